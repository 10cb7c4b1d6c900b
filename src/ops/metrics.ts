import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/create-database.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  webhookEvents: Counter<'type' | 'outcome'>;
  /** Seconds from a Stripe event's acknowledgement to its application. */
  webhookApplyLag: Histogram;
  checkoutSessions: Counter<'publication' | 'interval'>;
  /** Seconds an outbound webhook attempt took, by outcome (delivered, failed). */
  outboundWebhookDuration: Histogram<'outcome'>;
}

/** Counts read from the webhook inbox at each scrape. */
type InboxCounts = { pending: number; failed: number; held: Record<string, number> };
export type InboxCountsSource = () => Promise<InboxCounts>;

/** One registry per app (no global state), so several apps can run in one process, e.g. in tests. */
export function createMetrics(
  poolStats: () => PoolStats,
  inboxCounts?: InboxCountsSource,
  emailCounts?: () => Promise<{ pending: number; failed: number }>,
  outboundWebhookCounts?: () => Promise<{ pending: number; failed: number; disabled_endpoints: number }>,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'favour_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'favour_webhook_events_total',
    help: 'Stripe webhook events by type and outcome: received or duplicate when acknowledged; applied, stored, ignored or failed when applied',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const webhookApplyLag = new Histogram({
    name: 'favour_webhook_apply_lag_seconds',
    help: 'Seconds from acknowledging a Stripe event to applying it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
    registers: [registry],
  });
  const checkoutSessions = new Counter({
    name: 'favour_checkout_sessions_created_total',
    help: 'Stripe Checkout Sessions created',
    labelNames: ['publication', 'interval'] as const,
    registers: [registry],
  });
  const pool = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(poolStats()));
      },
    });
  pool('favour_db_pool_connections', 'Database connections open', (s) => s.total);
  pool('favour_db_pool_idle_connections', 'Database connections idle', (s) => s.idle);
  pool('favour_db_pool_waiting_requests', 'Queries waiting for a database connection', (s) => s.waiting);
  /** Gauges read from one count query per scrape; a database that does not answer leaves them as they were. */
  function countGauges<T>(counts: () => Promise<T | undefined>) {
    return (name: string, help: string, pick: (c: T) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        async collect() {
          const c = await counts();
          if (c) this.set(pick(c));
        },
      });
  }
  if (inboxCounts) {
    const readInbox = oncePerScrape(inboxCounts);
    const inbox = countGauges(readInbox);
    inbox('favour_webhook_events_pending', 'Stripe events stored and waiting to be applied', (c) => c.pending);
    inbox('favour_webhook_events_failed', 'Stripe events whose handler failed, waiting for their next attempt', (c) => c.failed);
    new Gauge({
      name: 'favour_webhook_events_held',
      help: 'Stripe events stored but held, not applied, by reason (api_version_mismatch, livemode_mismatch)',
      labelNames: ['reason'] as const,
      registers: [registry],
      async collect() {
        const counts = await readInbox();
        for (const [reason, n] of Object.entries(counts?.held ?? {})) this.set({ reason }, n);
      },
    });
  }
  if (emailCounts) {
    new Gauge({
      name: 'favour_emails',
      help: 'E-mails to supporters by status: pending (waiting to go out) or failed (given up after retries)',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        const counts = await emailCounts().catch(() => undefined);
        if (counts) for (const status of ['pending', 'failed'] as const) this.set({ status }, counts[status]);
      },
    });
  }
  if (outboundWebhookCounts) {
    const outbound = countGauges(oncePerScrape(outboundWebhookCounts));
    outbound('favour_outbound_webhooks_pending', "Deliveries to publishers' webhook endpoints waiting to go out", (c) => c.pending);
    outbound('favour_outbound_webhooks_failed', "Deliveries to publishers' webhook endpoints given up after retries", (c) => c.failed);
    outbound(
      'favour_outbound_webhook_endpoints_disabled',
      'Webhook endpoints disabled after failing for 5 days',
      (c) => c.disabled_endpoints,
    );
  }
  const outboundWebhookDuration = new Histogram({
    name: 'favour_outbound_webhook_delivery_seconds',
    help: "Seconds an attempt to deliver to a publisher's webhook endpoint took, by outcome",
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration, webhookEvents, webhookApplyLag, checkoutSessions, outboundWebhookDuration };
}

/**
 * `read`, shared by every caller while one is under way: prom-client collects all gauges of a scrape at once, so the
 * gauges of one count query ask the database once per scrape. A failed read gives undefined.
 */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  let inFlight: Promise<T | undefined> | undefined;
  return () =>
    (inFlight ??= read()
      .catch(() => undefined)
      .finally(() => {
        inFlight = undefined;
      }));
}
