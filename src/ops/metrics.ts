import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/create-database.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  webhookEvents: Counter<'type' | 'outcome'>;
  checkoutSessions: Counter<'publication' | 'interval'>;
}

/** One registry per app (no global state), so several apps can run in one process, e.g. in tests. */
export function createMetrics(poolStats: () => PoolStats): Metrics {
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
    help: 'Stripe webhook events by type and outcome (applied, stored, ignored, duplicate, error)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const checkoutSessions = new Counter({
    name: 'favour_checkout_sessions_created_total',
    help: 'Stripe Checkout Sessions created',
    labelNames: ['publication', 'interval'] as const,
    registers: [registry],
  });
  const pool = (name: string, help: string, read: (s: PoolStats) => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read(poolStats())); } });
  pool('favour_db_pool_connections', 'Database connections open', (s) => s.total);
  pool('favour_db_pool_idle_connections', 'Database connections idle', (s) => s.idle);
  pool('favour_db_pool_waiting_requests', 'Queries waiting for a database connection', (s) => s.waiting);
  return { registry, httpDuration, webhookEvents, checkoutSessions };
}
