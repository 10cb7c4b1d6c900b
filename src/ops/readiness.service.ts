import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { migrationsAreCurrent } from '../db/migrate.js';
import { databaseAnswers } from '../db/transaction-control.js';
import { lastReconcileRuns } from '../reconcile/reconcile.repository.js';
import { countInbox } from '../webhooks/event-inbox.repository.js';
import { countDisabledEndpoints } from '../outbound-webhooks/webhook-delivery.repository.js';

/** GET /readyz: statuses only, since anyone can ask; the reasons go to the log. */
export async function checkReadiness(db: Db, logger: Logger) {
  const database = await databaseAnswers(db).then(
    () => true,
    (err: Error) => {
      logger.warn({ err: err.message }, 'readiness: the database does not answer');
      return false;
    },
  );
  const migrations = database && (await migrationsAreCurrent(db));
  const ready = database && migrations;
  // Details only: a late reconciliation does not make the instance unready.
  const reconcile = ready ? await lastReconcileRuns(db).catch(() => undefined) : undefined;
  const inbox = ready ? await countInbox(db).catch(() => undefined) : undefined;
  const disabledEndpoints = ready ? await countDisabledEndpoints(db).catch(() => 0) : 0;
  const lastRun = reconcile?.lastRun;
  const runStatus = !lastRun ? undefined : lastRun.error !== null ? 'failed' : lastRun.finished_at ? 'succeeded' : 'running';
  return {
    status: ready ? ('ready' as const) : ('not_ready' as const),
    checks: {
      database: database ? 'ok' : 'unreachable',
      migrations: migrations ? 'ok' : database ? 'pending' : 'unknown',
      // Named only while a publisher's endpoint is disabled (five days of failures): for its publisher to mend, so the
      // instance stays ready.
      ...(disabledEndpoints > 0 ? { outbound_webhooks: 'endpoints_disabled' as const } : {}),
    },
    // A backlog draining is no reason to take the instance out of rotation: details only.
    webhooks: inbox
      ? {
          pending: inbox.pending,
          failed: inbox.failed,
          oldest_pending_seconds: inbox.oldestPendingAt
            ? Math.max(0, Math.round((Date.now() - inbox.oldestPendingAt.getTime()) / 1000))
            : 0,
          // Stored but not applied until an operator fixes the endpoint or key (README: "Stripe set-up").
          api_version_mismatch: inbox.held.api_version_mismatch,
          livemode_mismatch: inbox.held.livemode_mismatch,
        }
      : null,
    reconcile: {
      last_success_at: reconcile?.lastSuccess?.finished_at ?? null,
      last_run: lastRun
        ? { started_at: lastRun.started_at, finished_at: lastRun.finished_at, status: runStatus, applied: lastRun.applied }
        : null,
    },
  };
}
