import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type pg from 'pg';
import type Stripe from 'stripe';
import { checkoutRoutes } from './checkout/checkout.routes.js';
import { createCheckoutAdmission } from './checkout/checkout-admission.js';
import { createCheckoutService } from './checkout/checkout.service.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import { errorHandler, notFoundHandler } from './http/error-middleware.js';
import { requestLogging } from './http/request-logging.js';
import { compressJsonAnswers } from './http/compression.js';
import { requestMetrics } from './http/request-metrics.js';
import { opsRoutes } from './ops/health.routes.js';
import type { Metrics } from './ops/metrics.js';
import { pageRoutes } from './pages/page.routes.js';
import { manageRoutes } from './manage/manage.routes.js';
import { createManageService } from './manage/manage.service.js';
import { reminderRoutes } from './reminders/reminder.routes.js';
import { createReminderService } from './reminders/reminder.service.js';
import { createThanksService } from './pages/thanks.service.js';
import { publicationCors } from './http/publication-cors.js';
import { NO_RATE_LIMITS, type RateLimits } from './http/rate-limit.js';
import { widgetBundlePath } from './paths.js';
import { widgetRoutes } from './widget/widget.routes.js';
import { createPageViewHandler, type PageViewDeps } from './widget/page-view.handler.js';
import { firstOf, type NodeHandler } from './http/node-handler.js';
import { dashboardBundleDir } from './dashboard/dashboard-paths.js';
import { dashboardRoutes } from './dashboard/dashboard.routes.js';
import { reportRoutes } from './reports/report.routes.js';
import { targetPolicyOf } from './outbound-webhooks/safe-target.js';
import { createWebhookEndpointService } from './outbound-webhooks/webhook-endpoint.service.js';
import { webhookRoutes } from './outbound-webhooks/webhook.routes.js';
import { createStripeWebhookHandler } from './webhooks/stripe-webhook.handler.js';
import { createWebhookApplier, type WebhookApplier } from './webhooks/webhook-applier.js';
import { createGoalTracker } from './goals/goal.service.js';
import { createPublicationCache, type PublicationCache } from './publications/publication-cache.js';
import { createWidgetCounterBuffer, type WidgetCounterBuffer } from './widget/widget-counter-buffer.js';
import { createWebhookService } from './webhooks/webhook.service.js';
import { livemodeOfKey } from './webhooks/event-hold.js';

/** Everything the app needs from outside; tests build it with fakes or a fresh database. */
export interface AppDeps {
  db: Db;
  /** The pg pool behind `db` on Postgres: CSV exports read through a cursor of their own with it (default: Kysely's stream). */
  pgPool?: pg.Pool | undefined;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
  /** Where the built widget lives (default dist/widget/widget.js). */
  widgetBundlePath?: string;
  /** Where the built dashboard lives (default dist/dashboard). */
  dashboardBundleDir?: string;
  /** Rate limits (default: none; server.ts builds them from the configuration). */
  rateLimits?: RateLimits;
  /** Undefined when STRIPE_SECRET_KEY is not set: checkout then answers 503. */
  stripe: Stripe | undefined;
  logger: Logger;
  metrics: Metrics;
  config: Pick<Config, 'publicUrl' | 'stripeWebhookSecret'> &
    Partial<Pick<Config, 'trustProxy' | 'metricsToken' | 'stripeSecretKey' | 'webhooksAllowPrivate' | 'nodeEnv'>>;
  /** Applies stored Stripe events (default: one made here, polling every second; server.ts passes its own). */
  webhookApplier?: WebhookApplier;
  /** Publications in memory for the article-page paths (default: reloaded at most a minute after a change). */
  publications?: PublicationCache;
  /** Beacon counts in memory, flushed every second (default: one made here). */
  widgetCounters?: WidgetCounterBuffer;
}

/** The beacon counters behind an app: tests flush them before reading; server.ts flushes them on shutdown. */
export const widgetCountersOf = (app: Express): WidgetCounterBuffer => app.locals.widgetCounters as WidgetCounterBuffer;

/**
 * What the HTTP server runs for each request: article views (widget configuration, beacons) and Stripe deliveries
 * are answered before Express sees them, since its request set-up alone costs more than their answer; the rest goes
 * to the app.
 */
export function requestListener(app: Express): RequestListener {
  const onNode = app.locals.onNode as NodeHandler;
  return (req, res) => {
    if (!onNode(req, res)) app(req, res);
  };
}

/** The applier behind an app: tests wait on it after delivering an event; server.ts stops it on shutdown. */
export const webhookApplierOf = (app: Express): WebhookApplier => app.locals.webhookApplier as WebhookApplier;

/** Wires routes to services. No listening, no env reading: server.ts does that. */
export function createApp(deps: AppDeps): Express {
  const { db, stripe, logger, metrics, config } = deps;
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  // Only believe X-Forwarded-For from the proxies TRUST_PROXY names: rate limits key on the client IP.
  app.set('trust proxy', config.trustProxy ?? false);
  const rateLimits = deps.rateLimits ?? NO_RATE_LIMITS;

  const admission = createCheckoutAdmission(rateLimits, logger, now);
  const checkout = createCheckoutService({ db, stripe, publicUrl: config.publicUrl, logger, metrics, admission });
  const thanks = createThanksService({ db, stripe, logger, now });
  // Every instance applies what any instance stored, whether or not it takes webhooks itself.
  const applier = deps.webhookApplier ?? createWebhookApplier({ db, logger, metrics, now });
  app.locals.webhookApplier = applier;
  const publications = deps.publications ?? createPublicationCache(db);
  const goals = createGoalTracker({ db, now, logger });
  const widgetCounters = deps.widgetCounters ?? createWidgetCounterBuffer(db, logger);
  app.locals.widgetCounters = widgetCounters;
  const webhooks = config.stripeWebhookSecret
    ? createWebhookService({
        db,
        logger,
        metrics,
        applier,
        webhookSecret: config.stripeWebhookSecret,
        expectedLivemode: livemodeOfKey(config.stripeSecretKey),
      })
    : undefined;

  // The requests that come in floods — every article view, every Stripe delivery — before Express's middleware
  // (requestListener puts them ahead of Express itself).
  const pageViews = createPageViewHandler({
    publications,
    goals,
    counters: widgetCounters,
    publicUrl: config.publicUrl,
    eventsRateLimit: rateLimits.eventsPerIp,
    now,
    logger,
    metrics,
    trustProxy: app.get('trust proxy fn') as PageViewDeps['trustProxy'],
  });
  const onNode = firstOf(pageViews, createStripeWebhookHandler({ webhooks, logger, metrics }));
  app.locals.onNode = onNode;
  app.use((req, res, next) => {
    if (!onNode(req, res)) next();
  });
  app.use(requestLogging(logger));
  app.use(requestMetrics(metrics));
  app.use(compressJsonAnswers());
  app.use(opsRoutes({ db, metrics, logger, metricsToken: config.metricsToken }));
  app.use(checkoutRoutes(checkout, publicationCors(publications), rateLimits.checkoutPerIp));
  app.use(widgetRoutes({ publications, bundlePath: deps.widgetBundlePath ?? widgetBundlePath() }));
  app.use(dashboardRoutes({ bundleDir: deps.dashboardBundleDir ?? dashboardBundleDir() }));
  app.use(pageRoutes({ publications, goals, thanks, pagesRateLimit: rateLimits.pagesPerIp, publicUrl: config.publicUrl }));
  const manage = createManageService({ db, stripe, logger, perAddress: rateLimits.manageLinksPerAddress, now });
  app.use(manageRoutes({ publications, manage, pagesRateLimit: rateLimits.pagesPerIp }));
  const reminders = createReminderService({ db, logger, perAddress: rateLimits.manageLinksPerAddress, now });
  app.use(reminderRoutes({ publications, reminders, cors: publicationCors(publications), pagesRateLimit: rateLimits.pagesPerIp }));
  app.use(reportRoutes({ db, now, pgPool: deps.pgPool }));
  const webhookEndpoints = createWebhookEndpointService({
    db,
    now,
    policy: targetPolicyOf({ webhooksAllowPrivate: config.webhooksAllowPrivate ?? false, nodeEnv: config.nodeEnv ?? 'development' }),
  });
  app.use(webhookRoutes({ db, now, endpoints: webhookEndpoints }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
