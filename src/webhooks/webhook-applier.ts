import { sql } from 'kysely';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Db, DbExecutor } from '../db/database.js';
import { isRetryableTransactionError } from '../db/database-errors.js';
import { redactEmails } from '../http/redact.js';
import type { Metrics } from '../ops/metrics.js';
import { applyEvent } from './apply-event.js';
import { claimDueEvents, type DueEvent, markEventApplied, markEventAttemptFailed } from './event-inbox.repository.js';

/** Applies stored Stripe events in the background; one per instance. */
export interface WebhookApplier {
  /** Something was stored: apply it now (coalesces with a run already under way). */
  wake(): void;
  /** Applies until nothing is due; resolves when the inbox has nothing more to do now. */
  drain(): Promise<void>;
  /** Stops polling and waits for the batch under way. */
  stop(): Promise<void>;
}

export interface WebhookApplierOptions {
  db: Db;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
  /** Events per transaction (default 100). */
  batchSize?: number;
  /** Fallback poll for events stored elsewhere and for retries that came due (default 1 s; 0: none). */
  pollMs?: number;
}

const FIRST_RETRY_SECONDS = 5;
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
  let running: Promise<void> | undefined;
  let wokenAgain = false;
  let stopped = false;

  async function applyOne(trx: DbExecutor, due: DueEvent): Promise<void> {
    const event = due.payload as Stripe.Event;
    await sql`SAVEPOINT apply_event`.execute(trx);
    try {
      const result = await applyEvent(trx, event);
      const appliedAt = now();
      await markEventApplied(trx, due.id, result.outcome, result.publicationId, appliedAt);
      await sql`RELEASE SAVEPOINT apply_event`.execute(trx);
      metrics.webhookEvents.inc({ type: event.type, outcome: result.outcome });
      metrics.webhookApplyLag.observe(Math.max(0, (appliedAt.getTime() - due.received_at.getTime()) / 1000));
    } catch (err) {
      await sql`ROLLBACK TO SAVEPOINT apply_event`.execute(trx);
      // A deadlock or serialization failure is a race with another applier, not a broken handler: soon again.
      const conflict = isRetryableTransactionError(err);
      const delayMs = conflict ? 50 + Math.random() * 200 : retryDelaySeconds(due.attempts + 1) * 1000;
      const error = redactEmails(err instanceof Error ? err.message : String(err)).slice(0, 1000);
      await markEventAttemptFailed(trx, due.id, { error, nextAttemptAt: new Date(now().getTime() + delayMs), failed: !conflict });
      await sql`RELEASE SAVEPOINT apply_event`.execute(trx);
      if (!conflict) {
        metrics.webhookEvents.inc({ type: event.type, outcome: 'failed' });
        logger.error({ event_id: due.id, event_type: event.type, attempts: due.attempts + 1, err: error }, 'stripe event failed; will retry');
      }
    }
  }

  /** One batch in one transaction; returns how many events it took. */
  async function applyBatch(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const batch = await claimDueEvents(trx, now(), batchSize);
      if (batch.length === 0) return 0;
      // Deferred rollup triggers fire at each statement instead of at commit, so an error in one shows up
      // inside its event's savepoint rather than failing the whole batch.
      await sql`SET CONSTRAINTS ALL IMMEDIATE`.execute(trx);
      for (const due of batch) await applyOne(trx, due);
      return batch.length;
    });
  }

  async function run(): Promise<void> {
    do {
      wokenAgain = false;
      try {
        while (!stopped && (await applyBatch()) > 0);
      } catch (err) {
        // The database went away or a commit failed: the claimed events are still due; the poll tries again.
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook applier: batch failed; will retry');
        return;
      }
    } while (wokenAgain && !stopped);
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      wokenAgain = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  }

  const poll = options.pollMs === 0 ? undefined : setInterval(wake, options.pollMs ?? 1000);
  poll?.unref();

  return {
    wake,
    async drain() {
      // A run under way may have started before the caller's events were stored: run once more after it.
      while (running) await running;
      wake();
      while (running) await running;
    },
    async stop() {
      stopped = true;
      if (poll) clearInterval(poll);
      while (running) await running;
    },
  };
}
