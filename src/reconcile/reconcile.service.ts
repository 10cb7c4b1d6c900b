import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { DatabaseHandle } from '../db/create-database.js';
import type { Db } from '../db/database.js';
import { redactEmails } from '../http/redact.js';
import { HANDLED_EVENT_TYPES } from '../webhooks/apply-event.js';
import type { WebhookApplier } from '../webhooks/webhook-applier.js';
import { storeStripeEvent } from '../webhooks/webhook.service.js';
import { finishReconcileRun, outcomesOf, startReconcileRun, storedEventIds } from './reconcile.repository.js';
import { schedulePeriodic } from '../ops/periodic-job.js';

export interface ReconcileResult {
  fetched: number;
  already_had: number;
  applied: number;
  ignored: number;
  /** Stored but held (rendered in another API version than favour's: see `favour stripe check`). */
  held: number;
}

/** Stripe keeps events for 30 days: asking for more returns nothing older. */
export const MAX_RECONCILE_SECONDS = 30 * 86_400;

/**
 * Pages through Stripe's Events API (the types this service handles, since `since`), stores every event
 * not stored yet in the webhook inbox, oldest first, and applies them through the same applier: the result is
 * what full delivery would have given. Safe to run at any time and in parallel with webhooks.
 */
export async function reconcileWithStripe(
  deps: { db: Db; stripe: Stripe; logger: Logger; now: () => Date; applier: Pick<WebhookApplier, 'drain'> },
  since: Date,
): Promise<ReconcileResult> {
  const runId = await startReconcileRun(deps.db, deps.now(), since);
  const result: ReconcileResult = { fetched: 0, already_had: 0, applied: 0, ignored: 0, held: 0 };
  const finish = (error: string | null) =>
    finishReconcileRun(deps.db, runId, {
      finished_at: deps.now(),
      fetched: result.fetched,
      already_had: result.already_had,
      applied: result.applied,
      ignored: result.ignored,
      error,
    });
  try {
    const missing: Stripe.Event[] = [];
    let page: Stripe.Event[] = [];
    const collect = async () => {
      const stored = await storedEventIds(
        deps.db,
        page.map((e) => e.id),
      );
      for (const event of page) if (!stored.has(event.id)) missing.push(event);
      result.already_had += stored.size;
      page = [];
    };
    // Stripe renders listed events in the API version of their day: one in another version than favour's is
    // stored held, as a webhook would be. Stripe lists newest first; collect what is missing page by page, then apply it oldest first.
    for await (const event of deps.stripe.events.list({
      types: [...HANDLED_EVENT_TYPES],
      created: { gte: Math.floor(since.getTime() / 1000) },
      limit: 100,
    })) {
      result.fetched++;
      page.push(event);
      if (page.length === 100) await collect();
    }
    await collect();
    missing.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
    const stored: string[] = [];
    for (const event of missing) {
      if ((await storeStripeEvent(deps.db, event)).stored) stored.push(event.id);
      else result.already_had++; // a webhook delivered it meanwhile
    }
    // Into the same inbox as webhooks; applied here and now, so the run reports what it changed.
    await deps.applier.drain();
    const outcomes = await outcomesOf(deps.db, stored);
    result.ignored = outcomes.ignored;
    result.applied = outcomes.applied;
    result.held = outcomes.held;
    await finish(null);
    deps.logger.info(result, 'reconciled with Stripe');
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await finish(message.slice(0, 500)).catch(() => {});
    throw err;
  }
}

// Any fixed number, the same in every instance: the key of the "one reconciler at a time" lock.
const RECONCILE_LOCK_KEY = 0x6661766f; // "favo"

/**
 * Runs reconciliation only if no other instance is doing it right now (a Postgres advisory lock held
 * on one connection for the run). The embedded database is a single process: no lock is needed.
 * Returns undefined when another instance holds the lock.
 */
export async function reconcileOnce(
  deps: { database: DatabaseHandle; stripe: Stripe; logger: Logger; now: () => Date; applier: Pick<WebhookApplier, 'drain'> },
  since: Date,
): Promise<ReconcileResult | undefined> {
  const { database } = deps;
  const run = () =>
    reconcileWithStripe({ db: database.db, stripe: deps.stripe, logger: deps.logger, now: deps.now, applier: deps.applier }, since);
  if (!database.pgPool) return run();
  const client = await database.pgPool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RECONCILE_LOCK_KEY]);
    if (!rows[0]?.locked) return undefined;
    try {
      return await run();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** Starts periodic reconciliation; returns a function that stops it. */
export function scheduleReconciliation(
  deps: { database: DatabaseHandle; stripe: Stripe; logger: Logger; now: () => Date; applier: Pick<WebhookApplier, 'drain'> },
  intervalSeconds: number,
): () => void {
  return schedulePeriodic({
    firstAfterMs: 30_000,
    intervalSeconds,
    run: async () => {
      // Look back over two intervals (at least a day), so a run that failed is covered by the next.
      const lookback = Math.min(MAX_RECONCILE_SECONDS, Math.max(86_400, 2 * intervalSeconds));
      const result = await reconcileOnce(deps, new Date(deps.now().getTime() - lookback * 1000));
      if (!result) deps.logger.debug('another instance is reconciling; skipped');
    },
    onError: (err) =>
      deps.logger.error(
        { err: redactEmails(err instanceof Error ? err.message : String(err)) },
        'reconciliation with Stripe failed; will retry next interval',
      ),
  });
}
