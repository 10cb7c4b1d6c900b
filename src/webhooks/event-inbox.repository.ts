import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { EventOutcome } from '../db/tables/stripe-mirror.table.js';

/** The channel an instance that stores an event notifies, so every instance's applier wakes at once. */
export const INBOX_CHANNEL = 'favour_stripe_events';

export interface NewStripeEvent {
  id: string;
  type: string;
  created: Date;
  livemode: boolean;
  api_version: string | null;
  payload: string;
}

/**
 * Stores an event as pending; false when it was stored before (a redelivery). One statement: the row and,
 * at its commit, a notification to every instance listening on INBOX_CHANNEL.
 */
export async function storeEvent(db: DbExecutor, event: NewStripeEvent): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    WITH stored AS (
      INSERT INTO stripe_events (id, type, created, livemode, api_version, payload)
      VALUES (${event.id}, ${event.type}, ${event.created}, ${event.livemode}, ${event.api_version}, ${event.payload}::jsonb)
      ON CONFLICT (id) DO NOTHING
      RETURNING id
    )
    SELECT id, pg_notify(${INBOX_CHANNEL}, '') FROM stored`.execute(db);
  return rows.length > 0;
}

export interface DueEvent {
  id: string;
  payload: unknown;
  attempts: number;
  received_at: Date;
}

/** Locks up to `limit` events due to be applied, oldest first; events other appliers hold are skipped. */
export async function claimDueEvents(trx: DbExecutor, now: Date, limit: number): Promise<DueEvent[]> {
  return trx
    .selectFrom('stripe_events')
    .select(['id', 'payload', 'attempts', 'received_at'])
    .where('status', '<>', 'applied')
    .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
    .orderBy('created')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function markEventApplied(
  trx: DbExecutor,
  id: string,
  outcome: EventOutcome,
  publicationId: number | null,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('stripe_events')
    .set({ status: 'applied', outcome, publication_id: publicationId, applied_at: now, last_error: null, next_attempt_at: null })
    .where('id', '=', id)
    .execute();
}

/** Records a failed attempt; `failed` marks a handler error (shown to operators), else a conflict to retry soon. */
export async function markEventAttemptFailed(
  trx: DbExecutor,
  id: string,
  failure: { error: string; nextAttemptAt: Date; failed: boolean },
): Promise<void> {
  await trx
    .updateTable('stripe_events')
    .set((eb) => ({
      status: failure.failed ? 'failed' : 'pending',
      attempts: eb('attempts', '+', 1),
      last_error: failure.error,
      next_attempt_at: failure.nextAttemptAt,
    }))
    .where('id', '=', id)
    .execute();
}

export interface InboxCounts {
  pending: number;
  failed: number;
  /** When the oldest pending event was received, or null. */
  oldestPendingAt: Date | null;
}

export async function countInbox(db: DbExecutor): Promise<InboxCounts> {
  const row = await db
    .selectFrom('stripe_events')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere('status', '=', 'pending').as('pending'),
      eb.fn.countAll<string>().filterWhere('status', '=', 'failed').as('failed'),
      eb.fn.min('received_at').filterWhere('status', '=', 'pending').as('oldest'),
    ])
    .where('status', '<>', 'applied')
    .executeTakeFirstOrThrow();
  return { pending: Number(row.pending), failed: Number(row.failed), oldestPendingAt: row.oldest ? new Date(row.oldest as Date) : null };
}

export type InboxFilter = 'all' | 'pending' | 'failed';

/** Events for operators, newest first. */
export async function listInboxEvents(db: DbExecutor, filter: InboxFilter, limit: number) {
  let query = db
    .selectFrom('stripe_events')
    .select(['id', 'type', 'created', 'received_at', 'status', 'outcome', 'attempts', 'last_error', 'next_attempt_at', 'applied_at'])
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
  if (filter !== 'all') query = query.where('status', '=', filter);
  return query.execute();
}

export async function findInboxEvent(db: DbExecutor, id: string) {
  return db.selectFrom('stripe_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Makes failed events due now (after an upgrade that fixes their handler); returns how many. */
export async function retryFailedEvents(db: DbExecutor, now: Date, id?: string): Promise<number> {
  let query = db.updateTable('stripe_events').set({ status: 'pending', next_attempt_at: now }).where('status', '=', 'failed');
  if (id !== undefined) query = query.where('id', '=', id);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
