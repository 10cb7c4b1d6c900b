import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { EventOutcome, HoldReason } from '../db/tables/stripe-mirror.table.js';

/** The channel an instance that stores an event notifies, so every instance's applier wakes at once. */
export const INBOX_CHANNEL = 'favour_stripe_events';

export interface NewStripeEvent {
  id: string;
  type: string;
  created: Date;
  livemode: boolean;
  api_version: string | null;
  payload: string;
  /** Stored but not applied, for this reason; null: pending, to apply. */
  hold_reason: HoldReason | null;
}

/**
 * Stores an event as pending (or held); false when it was stored before (a redelivery). One statement: the row
 * and, at its commit, a notification to every instance listening on INBOX_CHANNEL.
 */
export async function storeEvent(db: DbExecutor, event: NewStripeEvent): Promise<boolean> {
  const status = event.hold_reason ? 'held' : 'pending';
  const { rows } = await sql<{ id: string }>`
    WITH stored AS (
      INSERT INTO stripe_events (id, type, created, livemode, api_version, payload, status, hold_reason)
      VALUES (${event.id}, ${event.type}, ${event.created}, ${event.livemode}, ${event.api_version}, ${event.payload}::jsonb,
        ${status}, ${event.hold_reason})
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
    .where('status', '<>', 'held')
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
    .set({
      status: 'applied',
      hold_reason: null,
      outcome,
      publication_id: publicationId,
      applied_at: now,
      last_error: null,
      next_attempt_at: null,
    })
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
  held: Record<HoldReason, number>;
}

export async function countInbox(db: DbExecutor): Promise<InboxCounts> {
  const row = await db
    .selectFrom('stripe_events')
    .select((eb) => [
      eb.fn.countAll<string>().filterWhere('status', '=', 'pending').as('pending'),
      eb.fn.countAll<string>().filterWhere('status', '=', 'failed').as('failed'),
      eb.fn.min('received_at').filterWhere('status', '=', 'pending').as('oldest'),
      eb.fn.countAll<string>().filterWhere('hold_reason', '=', 'api_version_mismatch').as('api_version_mismatch'),
      eb.fn.countAll<string>().filterWhere('hold_reason', '=', 'livemode_mismatch').as('livemode_mismatch'),
    ])
    .where('status', '<>', 'applied')
    .executeTakeFirstOrThrow();
  return {
    pending: Number(row.pending),
    failed: Number(row.failed),
    oldestPendingAt: row.oldest ? new Date(row.oldest as Date) : null,
    held: { api_version_mismatch: Number(row.api_version_mismatch), livemode_mismatch: Number(row.livemode_mismatch) },
  };
}

export type InboxFilter = 'all' | 'pending' | 'failed' | 'held';

/** Events for operators, newest first. */
export async function listInboxEvents(db: DbExecutor, filter: InboxFilter, limit: number) {
  let query = db
    .selectFrom('stripe_events')
    .select([
      'id',
      'type',
      'created',
      'received_at',
      'status',
      'hold_reason',
      'outcome',
      'attempts',
      'last_error',
      'next_attempt_at',
      'applied_at',
    ])
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

export interface HeldEvent {
  id: string;
  created: Date;
  hold_reason: HoldReason;
  livemode: boolean;
  payload: unknown;
}

/** Held events, oldest first, after `afterId` in that order (to page through them). */
export async function listHeldEvents(
  db: DbExecutor,
  limit: number,
  after?: { created: Date; id: string },
  id?: string,
): Promise<HeldEvent[]> {
  let query = db
    .selectFrom('stripe_events')
    .select(['id', 'hold_reason', 'livemode', 'payload', 'created'])
    .where('status', '=', 'held')
    .orderBy('created')
    .orderBy('id')
    .limit(limit);
  if (after)
    query = query.where((eb) =>
      eb.or([eb('created', '>', after.created), eb.and([eb('created', '=', after.created), eb('id', '>', after.id)])]),
    );
  if (id !== undefined) query = query.where('id', '=', id);
  return (await query.execute()) as HeldEvent[];
}

/** Makes a held event due now, with the payload (and API version) it is to be applied with. */
export async function releaseHeldEvent(
  db: DbExecutor,
  id: string,
  payload: { json: string; apiVersion: string | null },
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('stripe_events')
    .set({
      status: 'pending',
      hold_reason: null,
      payload: payload.json,
      api_version: payload.apiVersion,
      next_attempt_at: now,
      last_error: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'held')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Keeps an event held, with why the last attempt to release it failed. */
export async function noteHeldEventError(db: DbExecutor, id: string, error: string): Promise<void> {
  await db.updateTable('stripe_events').set({ last_error: error }).where('id', '=', id).where('status', '=', 'held').execute();
}
