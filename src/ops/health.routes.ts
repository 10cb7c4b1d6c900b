import { Router } from 'express';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { migrationsAreCurrent } from '../db/migrate.js';
import { lastReconcileRuns } from '../reconcile/reconcile.repository.js';
import type { Metrics } from './metrics.js';

/** /healthz: the process answers. /readyz: the database answers and is migrated. /metrics: Prometheus. */
export function opsRoutes(deps: { db: Db; metrics: Metrics }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const database = await sql`SELECT 1`.execute(deps.db).then(
      () => true,
      () => false,
    );
    const migrations = database && (await migrationsAreCurrent(deps.db));
    const ready = database && migrations;
    // Details only: a late reconciliation does not make the instance unready.
    const reconcile = ready ? await lastReconcileRuns(deps.db).catch(() => undefined) : undefined;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      checks: { database: database ? 'ok' : 'unreachable', migrations: migrations ? 'ok' : database ? 'pending' : 'unknown' },
      reconcile: {
        last_success_at: reconcile?.lastSuccess?.finished_at ?? null,
        last_run: reconcile?.lastRun
          ? { started_at: reconcile.lastRun.started_at, finished_at: reconcile.lastRun.finished_at, error: reconcile.lastRun.error, applied: reconcile.lastRun.applied }
          : null,
      },
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return router;
}
