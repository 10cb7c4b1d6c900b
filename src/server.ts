import { createServer, type Server } from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import type Stripe from 'stripe';
import type { Logger } from 'pino';
import { createApiKey } from './api-keys/api-key.service.js';
import type { Db } from './db/database.js';
import type { PublicationRow } from './db/tables/publication.table.js';
import { seedDemoHistory } from './demo/demo-seed.service.js';
import { scheduleReconciliation } from './reconcile/reconcile.service.js';
import { createApp, requestListener } from './app.js';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js';
import { type DatabaseHandle, openDatabase } from './db/create-database.js';
import { rateLimitsIn, type RateLimitStore } from './http/rate-limit.js';
import { migrateToLatest } from './db/migrate.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { ensureDemoPublication } from './publications/publication.service.js';
import { createStripeClient, STRIPE_API_VERSION } from './stripe/stripe-client.js';
import { countInbox, INBOX_CHANNEL } from './webhooks/event-inbox.repository.js';
import { createPublicationCache, PUBLICATIONS_CHANNEL } from './publications/publication-cache.js';
import { createWidgetCounterBuffer } from './widget/widget-counter-buffer.js';
import { createWebhookApplier, type WebhookApplier } from './webhooks/webhook-applier.js';
import { countEmails } from './email/email-outbox.repository.js';
import { createEmailSender } from './email/email-sender.js';
import { fileTransport, smtpTransport } from './email/mail-transport.js';
import { schedulePeriodic } from './ops/periodic-job.js';
import { countDeliveries, deleteOldMessages } from './outbound-webhooks/webhook-delivery.repository.js';
import { createWebhookDeliverer } from './outbound-webhooks/webhook-deliverer.js';
import { targetPolicyOf } from './outbound-webhooks/safe-target.js';
import { expireUnconfirmedReminders } from './reminders/reminder.repository.js';

/** The server's steps, in order; each is a small function below. */
async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel);
  const database = await openMigratedDatabase(config, logger);
  const demo = config.nodeEnv !== 'production' ? await ensureDemoPublication(database.db, config.publicUrl) : undefined;
  const stripe = stripeClientOf(config, logger);
  const metrics = createMetrics(
    database.poolStats,
    () => countInbox(database.db),
    () => countEmails(database.db),
    () => countDeliveries(database.db),
  );
  const background = await startBackgroundWork(config, database, metrics, logger);
  const rateLimitStore = await openRateLimitStore(config, database, logger);
  const app = createApp({
    db: database.db,
    pgPool: database.pgPool,
    stripe,
    logger,
    metrics,
    config,
    rateLimits: rateLimitsIn(rateLimitStore.store, { ...config.rateLimits, manageLinksPerAddress: config.manageLinksPerAddress }),
    webhookApplier: background.applier,
    publications: background.publications,
    widgetCounters: background.widgetCounters,
  });
  const server = listen(app, config, logger);
  const stopReconciling =
    stripe && config.reconcileIntervalSeconds > 0
      ? scheduleReconciliation(
          { database, stripe, logger, now: () => new Date(), applier: background.applier },
          config.reconcileIntervalSeconds,
        )
      : () => {};
  if (demo) void welcomeNewcomer(database.db, demo, config, logger, background.applier);
  stopGracefullyOnSignals(server, config, logger, async () => {
    stopReconciling();
    await background.stop();
    await rateLimitStore.close();
    await database.close().catch((err) => logger.error({ err }, 'error closing the database'));
  });
}

function readConfigOrExit(): Config {
  try {
    loadDotEnv();
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function openMigratedDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    onPoolError: (err) => logger.warn({ err }, 'idle database connection lost'),
  });
  const applied = await migrateToLatest(database.db);
  logger.info({ database: database.kind, applied }, 'database ready');
  return database;
}

function stripeClientOf(config: Config, logger: Logger): Stripe | undefined {
  const stripe = createStripeClient(config);
  if (!stripe) logger.warn('STRIPE_SECRET_KEY is not set: everything works except payments (POST /api/checkout answers 503)');
  if (!config.stripeWebhookSecret) logger.warn('STRIPE_WEBHOOK_SECRET is not set: POST /webhooks/stripe answers 503');
  return stripe;
}

/**
 * What runs beside the requests: the webhook applier (woken by any instance through LISTEN), the publications
 * held in memory (dropped on any instance's change), the beacon counts flushed every second, and the e-mail sender.
 */
async function startBackgroundWork(config: Config, database: DatabaseHandle, metrics: Metrics, logger: Logger) {
  // The embedded database has one connection: batches there take turns anyway.
  const concurrency = database.pgPool ? config.webhookApplierConcurrency : 1;
  // What a batch queued goes out at once rather than at the senders' next poll (bound once they exist, below).
  let wakeSenders = () => {};
  const applier = createWebhookApplier({ db: database.db, logger, metrics, concurrency, afterBatch: () => wakeSenders() });
  const onTrouble = (message: string) => logger.warn(message);
  const stopListening = await database.listen(INBOX_CHANNEL, applier.wake, onTrouble);
  const publications = createPublicationCache(database.db);
  const stopWatchingPublications = await database.listen(PUBLICATIONS_CHANNEL, publications.invalidate, onTrouble);
  const widgetCounters = createWidgetCounterBuffer(database.db, logger);
  applier.wake(); // events stored before a restart
  const transport = config.smtpUrl ? smtpTransport(config.smtpUrl) : fileTransport(path.join(config.dataDir, 'outbox'));
  const emails = createEmailSender({
    db: database.db,
    transport,
    logger,
    from: config.mailFrom,
    publicUrl: config.publicUrl,
    leaseSeconds: config.emailLeaseSeconds,
  });
  logger.info(
    { mail: transport.describe() },
    config.smtpUrl ? 'e-mails go out through SMTP' : 'SMTP_URL is not set: e-mails are written as .eml files',
  );
  emails.wake(); // messages queued before a restart
  // Publishers' webhooks: on their own loop and connections' time, so a slow endpoint delays nothing else.
  const outboundWebhooks = createWebhookDeliverer({
    db: database.db,
    logger,
    policy: targetPolicyOf(config),
    leaseSeconds: config.webhooksLeaseSeconds,
    onAttempt: (outcome) =>
      metrics.outboundWebhookDuration.observe({ outcome: outcome.error === null ? 'delivered' : 'failed' }, outcome.durationMs / 1000),
  });
  outboundWebhooks.wake();
  wakeSenders = () => {
    emails.wake();
    outboundWebhooks.wake();
  };
  // Hourly: sign-ups for a reminder that nobody confirmed lose their address after a week; webhook messages go after 30 days.
  const stopHousekeeping = schedulePeriodic({
    firstAfterMs: 60_000,
    intervalSeconds: 3600,
    run: async () => {
      const expired = await expireUnconfirmedReminders(database.db, new Date());
      if (expired > 0) logger.info({ expired }, 'unconfirmed reminder sign-ups deleted');
      const forgotten = await deleteOldMessages(database.db, new Date());
      if (forgotten > 0) logger.info({ forgotten }, 'outbound webhook messages past their retention deleted');
    },
    onError: (err) => logger.warn({ err }, 'hourly housekeeping failed; will retry'),
  });
  return {
    applier,
    publications,
    widgetCounters,
    async stop() {
      stopHousekeeping();
      await stopListening();
      await stopWatchingPublications();
      // Beacon counts held in memory are written before the database closes: exact across a restart.
      await widgetCounters.stop();
      // The batch under way commits or rolls back; anything still pending is applied after the restart.
      await applier.stop();
      await emails.stop();
      await outboundWebhooks.stop();
    },
  };
}

function listen(app: Express, config: Config, logger: Logger): Server {
  const server = createServer(requestListener(app));
  server.listen(config.port, () => {
    logger.info({ stripe_api_version: STRIPE_API_VERSION }, `favour listening on ${config.publicUrl} (port ${config.port})`);
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

/** SIGTERM or SIGINT: stop taking connections, finish the requests in flight (up to SHUTDOWN_TIMEOUT_MS), then `stop`. */
function stopGracefullyOnSignals(server: Server, config: Config, logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      logger.warn('shutdown timeout reached; closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    // Connections go idle as their requests finish: keep closing them, so shutdown ends when the
    // last request does rather than at the timeout.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 250);
    closeIdle.unref();
    server.close(async () => {
      clearInterval(closeIdle);
      await stop();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * First start on an empty database: a demo publication exists now. Give it a dashboard key and, in
 * the background, a year of synthetic history, so there is something to look at straight away.
 */
async function welcomeNewcomer(db: Db, demo: PublicationRow, config: Config, logger: Logger, applier: WebhookApplier): Promise<void> {
  const key = await createApiKey(db, demo.id, 'demo dashboard');
  logger.info(
    `created the "demo" publication. Try: ${config.publicUrl}/demo (an article with the widget), ` +
      `${config.publicUrl}/donate/demo, and the dashboard ${config.publicUrl}/dashboard with the API key ${key.key} (shown once)`,
  );
  if (config.demoSeedSupporters === 0) return;
  logger.info({ supporters: config.demoSeedSupporters }, 'filling the demo publication with synthetic history in the background');
  try {
    const result = await seedDemoHistory(db, demo, { supporters: config.demoSeedSupporters, now: new Date() });
    await applier.drain();
    logger.info(result, 'demo history ready');
  } catch (err) {
    logger.warn({ err }, 'could not fill the demo publication (run "favour demo seed" to try again)');
  }
}

/** Redis when REDIS_URL is set, else the Postgres database, else (embedded, one process) memory. */
async function openRateLimitStore(
  config: Config,
  database: DatabaseHandle,
  logger: Logger,
): Promise<{ store: RateLimitStore; close: () => Promise<void> }> {
  if (config.redisUrl) {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    client.on('error', (err) => logger.warn({ err: err.message }, 'redis (rate limits) unavailable; limiting in memory meanwhile'));
    logger.info('rate limits shared through Redis');
    return { store: { kind: 'redis', client }, close: async () => void client.disconnect() };
  }
  if (database.pgPool) return { store: { kind: 'postgres', pool: database.pgPool }, close: async () => {} };
  return { store: { kind: 'memory' }, close: async () => {} };
}
