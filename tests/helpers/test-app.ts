import { Writable } from 'node:stream';
import type { Express } from 'express';
import Stripe from 'stripe';
import { createApp, webhookApplierOf, widgetCountersOf } from '../../src/app.js';
import { createPublicationCache, PUBLICATIONS_CHANNEL } from '../../src/publications/publication-cache.js';
import { countInbox } from '../../src/webhooks/event-inbox.repository.js';
import type { DatabaseHandle } from '../../src/db/create-database.js';
import { createLogger } from '../../src/logger.js';
import { countEmails } from '../../src/email/email-outbox.repository.js';
import { countDeliveries } from '../../src/outbound-webhooks/webhook-delivery.repository.js';
import { createMetrics, type Metrics } from '../../src/ops/metrics.js';
import { insertPublication } from '../../src/publications/publication.repository.js';
import { changePublication, demoPublicationInput, validatePublication } from '../../src/publications/publication.service.js';
import { createTestDatabase } from './test-database.js';
import { NO_RATE_LIMITS, type RateLimits } from '../../src/http/rate-limit.js';

export const TEST_PUBLIC_URL = 'http://favour.test';
export const TEST_WEBHOOK_SECRET = 'whsec_test_secret_for_favour';
export const TEST_STRIPE_KEY = 'sk_test_favour123';
export const STRIPE_TEST_HOST = 'http://stripe.test';

export interface TestApp {
  app: Express;
  database: DatabaseHandle & { url: string | undefined };
  metrics: Metrics;
  /** Every log line the app wrote, for tests about logging. */
  logs: string[];
  /**
   * Changes a publication and drops the app's cached copy at once. On Postgres the change notification arrives a
   * moment later, so a request right after a bare `changePublication` may still see the old settings.
   */
  changePublication(slug: string, patch: Parameters<typeof changePublication>[2]): Promise<void>;
  close(): Promise<void>;
}

/** The Stripe client tests use: it talks to http://stripe.test, which nock intercepts. */
export function createTestStripe(): Stripe {
  return new Stripe(TEST_STRIPE_KEY, { host: 'stripe.test', port: 80, protocol: 'http', maxNetworkRetries: 2 });
}

/** A whole app on a fresh database with the demo publication (origin https://news.example) and an Italian one. */
export async function createTestApp(
  options: {
    stripe?: Stripe | null;
    webhookSecret?: string | null;
    /** The app's own public URL (default http://favour.test); it is also an origin of the demo publication. */
    publicUrl?: string;
    now?: () => Date;
    widgetBundlePath?: string;
    rateLimits?: Partial<RateLimits>;
    /** METRICS_TOKEN: /metrics then needs it as a bearer token. */
    metricsToken?: string;
    /** STRIPE_SECRET_KEY as configured (default: the test-mode key of the test client): it sets the mode events must be in. */
    stripeSecretKey?: string;
    /** WEBHOOKS_ALLOW_PRIVATE: outbound webhooks may go to 127.0.0.1. */
    webhooksAllowPrivate?: boolean;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const publicUrl = options.publicUrl ?? TEST_PUBLIC_URL;
  await seedPublications(database, [publicUrl]);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const metrics = createMetrics(
    database.poolStats,
    () => countInbox(database.db),
    () => countEmails(database.db),
    () => countDeliveries(database.db),
  );
  const stripe = options.stripe === null ? undefined : (options.stripe ?? createTestStripe());
  const publications = createPublicationCache(database.db);
  const stopWatching = await database.listen(PUBLICATIONS_CHANNEL, publications.invalidate);
  const app = createApp({
    publications,
    db: database.db,
    pgPool: database.pgPool,
    stripe,
    logger,
    metrics,
    ...(options.now ? { now: options.now } : {}),
    ...(options.widgetBundlePath ? { widgetBundlePath: options.widgetBundlePath } : {}),
    ...(options.rateLimits ? { rateLimits: { ...NO_RATE_LIMITS, ...options.rateLimits } } : {}),
    config: {
      publicUrl,
      stripeWebhookSecret: options.webhookSecret === null ? undefined : (options.webhookSecret ?? TEST_WEBHOOK_SECRET),
      metricsToken: options.metricsToken,
      stripeSecretKey: options.stripeSecretKey ?? (stripe ? TEST_STRIPE_KEY : undefined),
      webhooksAllowPrivate: options.webhooksAllowPrivate ?? false,
    },
  });
  return {
    app,
    database,
    metrics,
    logs,
    async changePublication(slug, patch) {
      await changePublication(database.db, slug, patch);
      publications.invalidate();
    },
    async close() {
      await stopWatching();
      await widgetCountersOf(app).stop();
      await webhookApplierOf(app).stop();
      await database.close();
    },
  };
}

export async function seedPublications(database: DatabaseHandle, extraDemoOrigins: string[] = []): Promise<void> {
  const demo = demoPublicationInput('https://news.example');
  await insertPublication(database.db, {
    ...demo,
    origins: [...new Set(['https://news.example', 'https://www.news.example', ...extraDemoOrigins.map((u) => new URL(u).origin)])],
  });
  await insertPublication(
    database.db,
    validatePublication({
      slug: 'italia',
      name: 'Il Favore',
      origins: ['https://favore.example'],
      currencies: {
        eur: { min: 200, max: 50_000, presets: { once: [500, 1000], month: [500] } },
        jpy: { min: 100, max: 100_000, presets: {} },
      },
      default_currency: 'eur',
      intervals: ['once', 'month'],
      default_locale: 'it',
      time_zone: 'Europe/Rome',
    }),
  );
}
