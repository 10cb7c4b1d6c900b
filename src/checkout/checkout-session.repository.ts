import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { NewCheckoutSessionRow } from '../db/tables/checkout-session.table.js';

/**
 * Records a session we just created; a retried request that got the same session back records nothing new.
 * Its funnel entry is added up within a second, by the next beacon flush or applier batch: every checkout
 * of a day counts in that day's row, and adding it here would make concurrent checkouts queue on it.
 */
export async function insertCheckoutSession(db: DbExecutor, session: NewCheckoutSessionRow): Promise<void> {
  await db
    .insertInto('checkout_sessions')
    .values(session)
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/**
 * Applies what a webhook says about a session. It may be the first we hear of it (created by another
 * deployment, or recorded before a restore), so it inserts too. Status only moves from open onwards.
 */
export async function upsertCheckoutSessionState(db: DbExecutor, session: NewCheckoutSessionRow): Promise<void> {
  await db
    .insertInto('checkout_sessions')
    .values(session)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        status: sql`CASE WHEN checkout_sessions.status = 'open' THEN excluded.status ELSE checkout_sessions.status END`,
        payment_status: sql`CASE WHEN excluded.payment_status = 'paid' OR checkout_sessions.payment_status IS NULL
          THEN excluded.payment_status ELSE checkout_sessions.payment_status END`,
        customer_id: eb.fn.coalesce('checkout_sessions.customer_id', 'excluded.customer_id'),
        payment_intent_id: eb.fn.coalesce('checkout_sessions.payment_intent_id', 'excluded.payment_intent_id'),
        subscription_id: eb.fn.coalesce('checkout_sessions.subscription_id', 'excluded.subscription_id'),
        completed_at: sql`least(checkout_sessions.completed_at, excluded.completed_at)`,
        expired_at: sql`least(checkout_sessions.expired_at, excluded.expired_at)`,
      })),
    )
    .execute();
}

export async function findCheckoutSession(db: DbExecutor, id: string) {
  return db.selectFrom('checkout_sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Gives the session its billing-portal pass (the hash of a secret held in one browser's cookie) unless it has
 * one already. True when this call gave it: only the first thank-you view, the paying browser's, gets one.
 */
export async function claimPortalPass(db: DbExecutor, id: string, passHash: string, issuedAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('checkout_sessions')
    .set({ portal_pass_hash: passHash, portal_pass_issued_at: issuedAt })
    .where('id', '=', id)
    .where('portal_pass_hash', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
