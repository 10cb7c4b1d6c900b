import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Db, DbExecutor } from '../db/database.js';
import { isRetryableTransactionError } from '../db/database-errors.js';
import { isLockTimeout, savepoint, setLockTimeout } from '../db/transaction-control.js';
import { redactEmails } from '../http/redact.js';
import { type BackgroundWorker, createBackgroundLoop } from '../ops/background-loop.js';
import type { Metrics } from '../ops/metrics.js';
import { foldRollupChanges } from '../rollups/rollup.repository.js';
import { applyEvent } from './apply-event.js';
import { claimDueEvents, type DueEvent, markEventApplied, markEventAttemptFailed } from './event-inbox.repository.js';

/** Applies stored Stripe events in the background; one per instance. */
export type WebhookApplier = BackgroundWorker;

export interface WebhookApplierOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Events per transaction (default 100). */
  batchSize?: number;
  /**
   * Batches applied at once, each in its own transaction on its own connection (default 1). Most of a batch's time
   * is round trips to the database, so a few in parallel multiply the rate; SKIP LOCKED keeps them apart.
   */
  concurrency?: number;
  /** Fallback poll for events stored elsewhere and for retries that came due (default 1 s; 0: none). */
  pollMs?: number;
  /** Called after a batch that applied events commits: what it queued (e-mails, outbound webhooks) can go at once. */
  afterBatch?: () => void;
}

const FIRST_RETRY_SECONDS = 5;
/**
 * How long an event waits for a lock another batch holds (its events about the same payment, say) before it is
 * put back for a moment: without it, batches running at once queue behind each other's commits, and a deadlock
 * costs Postgres' deadlock_timeout (1 s) to find.
 */
const LOCK_WAIT = '50ms';
/** An event put back after a conflict is due again within this long (50 ms plus up to 200 ms of jitter). */
const CONFLICT_RETRY_MS = 250;
/** How many times a pass waits for put-back events (about 5 s) before it leaves a lock held that long to the poll. */
const MAX_CONFLICT_WAITS = 20;
const MAX_RETRY_SECONDS = 3600;

/** 5 s, 10 s, 20 s … doubling up to an hour: a broken handler is retried, and never hammered. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claims due events in batches (FOR UPDATE SKIP LOCKED, oldest first, so two instances never take the same
 * event) and applies a batch in one transaction with a savepoint per event: an event's effects and its
 * "applied" mark commit together, and an event whose handler throws is rolled back alone and marked failed
 * with its error and next attempt, without holding up the others.
 */
export function createWebhookApplier(options: WebhookApplierOptions): WebhookApplier {
  const { db, logger, metrics } = options;
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 100;
  const concurrency = Math.max(1, options.concurrency ?? 1);

  /** What one event's attempt did, counted in the metrics once its batch has committed. */
  type Attempt = { type: string; outcome: string; lagSeconds?: number };

  /** An attempt, or 'conflict' when the event was put back to be tried again in a moment. */
  async function applyOne(trx: DbExecutor, due: DueEvent): Promise<Attempt | 'conflict'> {
    const event = due.payload as Stripe.Event;
    await savepoint.set(trx, 'apply_event');
    try {
      const result = await applyEvent(trx, event);
      const appliedAt = now();
      await markEventApplied(trx, due.id, result.outcome, result.publicationId, appliedAt);
      await savepoint.release(trx, 'apply_event');
      return {
        type: event.type,
        outcome: result.outcome,
        lagSeconds: Math.max(0, (appliedAt.getTime() - due.received_at.getTime()) / 1000),
      };
    } catch (err) {
      await savepoint.rollBackTo(trx, 'apply_event');
      // A deadlock, a serialization failure or a lock another batch holds past LOCK_WAIT is a race with another
      // batch, not a broken handler: the event is tried again soon, once that batch has committed.
      const conflict = isRetryableTransactionError(err) || isLockTimeout(err);
      const delayMs = conflict ? 50 + Math.random() * (CONFLICT_RETRY_MS - 50) : retryDelaySeconds(due.attempts + 1) * 1000;
      const error = redactEmails(err instanceof Error ? err.message : String(err)).slice(0, 1000);
      await markEventAttemptFailed(trx, due.id, { error, nextAttemptAt: new Date(now().getTime() + delayMs), failed: !conflict });
      await savepoint.release(trx, 'apply_event');
      if (conflict) return 'conflict';
      logger.error({ event_id: due.id, event_type: event.type, attempts: due.attempts + 1, err: error }, 'stripe event failed; will retry');
      return { type: event.type, outcome: 'failed' };
    }
  }

  /**
   * One batch in one transaction; returns how many events it took and how many it put back after a conflict. The
   * batch's rollup entries are added up at the end, each touched rollup row written once (with entries left
   * committed by writes elsewhere).
   */
  async function applyBatch(lookAheadMs: number): Promise<{ taken: number; putBack: number }> {
    const attempts: Attempt[] = [];
    let putBack = 0;
    const taken = await db.transaction().execute(async (trx) => {
      const batch = await claimDueEvents(trx, new Date(now().getTime() + lookAheadMs), batchSize);
      if (batch.length > 0) await setLockTimeout(trx, LOCK_WAIT);
      for (const due of batch) {
        const attempt = await applyOne(trx, due);
        if (attempt === 'conflict') putBack++;
        else attempts.push(attempt);
      }
      // Rollup rows are locked last and only until commit: the fold waits its turn.
      if (batch.length > 0) await setLockTimeout(trx, '0');
      await foldRollupChanges(trx);
      return batch.length;
    });
    for (const { type, outcome, lagSeconds } of attempts) {
      metrics.webhookEvents.inc({ type, outcome });
      if (lagSeconds !== undefined) metrics.webhookApplyLag.observe(lagSeconds);
    }
    if (taken > putBack) options.afterBatch?.();
    return { taken, putBack };
  }

  /**
   * Batches until one finds nothing due, and nothing put back after a conflict is still waiting (so `drain` returns
   * only once every stored event was tried); false when a batch failed for a reason other than a conflict.
   */
  async function work(): Promise<boolean> {
    let conflicts = 0;
    let waiting = false;
    let waits = 0;
    // After a wait, events put back are claimed as due whatever the clock says (a test's clock may stand still).
    let lookAheadMs = 0;
    for (;;) {
      try {
        while (!stopped()) {
          const { taken, putBack } = await applyBatch(lookAheadMs);
          conflicts = 0;
          if (putBack > 0) waiting = true;
          if (taken > putBack) continue;
          if (!waiting || waits >= MAX_CONFLICT_WAITS) break;
          waiting = false;
          waits++;
          await new Promise((resolve) => setTimeout(resolve, CONFLICT_RETRY_MS));
          lookAheadMs = CONFLICT_RETRY_MS;
        }
        return true;
      } catch (err) {
        // Two instances' folds (or a rebuild) met on the same rows: take the batch again shortly.
        if (isRetryableTransactionError(err) && ++conflicts <= 5 && !stopped()) {
          await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 100));
          continue;
        }
        // The database went away or a commit failed: the claimed events are still due; the poll tries again.
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook applier: batch failed; will retry');
        return false;
      }
    }
  }

  const loop = createBackgroundLoop(async () => {
    const results = await Promise.all(Array.from({ length: concurrency }, work));
    return !results.includes(false);
  }, options.pollMs ?? 1000);
  const stopped = () => loop.stopped;
  return loop;
}
