import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { NewMembershipRow } from '../db/tables/membership.table.js';

/**
 * Stores a subscription's state unless a newer one is already stored. Newer means a later event,
 * then (same second) a status further along the lifecycle, then the event id, so the outcome never
 * depends on delivery order.
 */
export async function upsertMembershipSnapshot(db: DbExecutor, m: Omit<NewMembershipRow, 'updated_at'>): Promise<void> {
  await db
    .insertInto('memberships')
    .values(m)
    .onConflict((oc) =>
      oc
        .column('subscription_id')
        .doUpdateSet((eb) => ({
          supporter_id: eb.fn.coalesce('excluded.supporter_id', 'memberships.supporter_id'),
          status: eb.ref('excluded.status'),
          amount: eb.ref('excluded.amount'),
          currency: eb.ref('excluded.currency'),
          interval: eb.ref('excluded.interval'),
          interval_count: eb.ref('excluded.interval_count'),
          current_period_end: eb.ref('excluded.current_period_end'),
          cancel_at_period_end: eb.ref('excluded.cancel_at_period_end'),
          canceled_at: eb.ref('excluded.canceled_at'),
          ended_at: eb.ref('excluded.ended_at'),
          article_url: eb.fn.coalesce('memberships.article_url', 'excluded.article_url'),
          variant: eb.fn.coalesce('memberships.variant', 'excluded.variant'),
          snapshot_at: eb.ref('excluded.snapshot_at'),
          snapshot_rank: eb.ref('excluded.snapshot_rank'),
          snapshot_event_id: eb.ref('excluded.snapshot_event_id'),
          updated_at: new Date(),
        }))
        .where(
          sql<boolean>`(excluded.snapshot_at, excluded.snapshot_rank, excluded.snapshot_event_id)
          > (memberships.snapshot_at, memberships.snapshot_rank, memberships.snapshot_event_id)`,
        ),
    )
    .execute();
}

/** One row per subscription event that set a status: the history churn reports read. */
export async function recordMembershipStatusChange(
  db: DbExecutor,
  change: {
    eventId: string;
    subscriptionId: string;
    publicationId: number;
    status: string;
    previousStatus: string | null;
    occurredAt: Date;
  },
): Promise<void> {
  await db
    .insertInto('membership_status_changes')
    .values({
      event_id: change.eventId,
      subscription_id: change.subscriptionId,
      publication_id: change.publicationId,
      status: change.status,
      previous_status: change.previousStatus,
      occurred_at: change.occurredAt,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** When the membership's paid period ends, as far as we know. */
export async function findMembershipPeriodEnd(db: DbExecutor, subscriptionId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('memberships')
    .select('current_period_end')
    .where('subscription_id', '=', subscriptionId)
    .executeTakeFirst();
  return row?.current_period_end ?? null;
}
