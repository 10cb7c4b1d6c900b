import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { migrationsAreCurrent } from '../db/migrate.js';
import { HttpError } from '../http/http-error.js';
import { lastReconcileRuns } from '../reconcile/reconcile.repository.js';
import { countInbox } from '../webhooks/event-inbox.repository.js';
import type { Metrics } from './metrics.js';

export interface OpsDeps {
  db: Db;
  metrics: Metrics;
  logger: Logger;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * /healthz: the process answers. /readyz: the database answers and is migrated — statuses only, since anyone
 * can ask; the reasons go to the log. /metrics: Prometheus, behind METRICS_TOKEN when it is set.
 */
export function opsRoutes(deps: OpsDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const database = await sql`SELECT 1`.execute(deps.db).then(
      () => true,
      (err: Error) => {
        deps.logger.warn({ err: err.message }, 'readiness: the database does not answer');
        return false;
      },
    );
    const migrations = database && (await migrationsAreCurrent(deps.db));
    const ready = database && migrations;
    // Details only: a late reconciliation does not make the instance unready.
    const reconcile = ready ? await lastReconcileRuns(deps.db).catch(() => undefined) : undefined;
    const inbox = ready ? await countInbox(deps.db).catch(() => undefined) : undefined;
    const lastRun = reconcile?.lastRun;
    const runStatus = !lastRun ? undefined : lastRun.error !== null ? 'failed' : lastRun.finished_at ? 'succeeded' : 'running';
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      checks: { database: database ? 'ok' : 'unreachable', migrations: migrations ? 'ok' : database ? 'pending' : 'unknown' },
      // A backlog draining is no reason to take the instance out of rotation: details only.
      webhooks: inbox
        ? {
            pending: inbox.pending,
            failed: inbox.failed,
            oldest_pending_seconds: inbox.oldestPendingAt ? Math.max(0, Math.round((Date.now() - inbox.oldestPendingAt.getTime()) / 1000)) : 0,
          }
        : null,
      reconcile: {
        last_success_at: reconcile?.lastSuccess?.finished_at ?? null,
        last_run: lastRun ? { started_at: lastRun.started_at, finished_at: lastRun.finished_at, status: runStatus, applied: lastRun.applied } : null,
      },
    });
  });
  router.get('/metrics', async (req, res) => {
    if (deps.metricsToken !== undefined) {
      const given = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      // Compared as digests: equal lengths, constant time.
      if (!timingSafeEqual(digest(given), digest(deps.metricsToken))) {
        throw new HttpError(401, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.', undefined, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
      }
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
