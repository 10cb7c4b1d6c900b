import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import { lockStripeObject } from '../payments/payment.repository.js';

/**
 * Refunded amounts only grow, so the largest one seen is the newest. Locks the charge's payment
 * intent first, so the payment it refunds is seen committed (see lockStripeObject).
 */
export async function upsertCharge(
  db: DbExecutor,
  charge: { id: string; payment_intent_id: string | null; amount: number; amount_refunded: number; currency: string; created: Date },
): Promise<void> {
  if (charge.payment_intent_id) await lockStripeObject(db, 'payment_intent', charge.payment_intent_id);
  await db
    .insertInto('stripe_charges')
    .values(charge)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        amount_refunded: sql<number>`greatest(stripe_charges.amount_refunded, excluded.amount_refunded)`,
        payment_intent_id: eb.fn.coalesce('stripe_charges.payment_intent_id', 'excluded.payment_intent_id'),
      })),
    )
    .execute();
}

const CLOSED_DISPUTE_STATUSES = new Set(['won', 'lost', 'warning_closed', 'prevented']);

/**
 * Keeps a dispute's newest state; a closed dispute outranks an open one whatever the timestamps say.
 * Locks the disputed payment intent first, like upsertCharge.
 */
export async function upsertDispute(
  db: DbExecutor,
  dispute: {
    id: string;
    charge_id: string;
    payment_intent_id: string | null;
    amount: number;
    currency: string;
    status: string;
    snapshot_at: Date;
  },
): Promise<void> {
  if (dispute.payment_intent_id) await lockStripeObject(db, 'payment_intent', dispute.payment_intent_id);
  const row = { ...dispute, snapshot_rank: CLOSED_DISPUTE_STATUSES.has(dispute.status) ? 1 : 0 };
  await db
    .insertInto('stripe_disputes')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          amount: eb.ref('excluded.amount'),
          snapshot_at: eb.ref('excluded.snapshot_at'),
          snapshot_rank: eb.ref('excluded.snapshot_rank'),
          payment_intent_id: eb.fn.coalesce('stripe_disputes.payment_intent_id', 'excluded.payment_intent_id'),
        }))
        .where(
          sql<boolean>`(excluded.snapshot_rank, excluded.snapshot_at, excluded.status)
            > (stripe_disputes.snapshot_rank, stripe_disputes.snapshot_at, stripe_disputes.status)`,
        ),
    )
    .execute();
}

/** The payment intent behind a charge, when the charge has been seen. */
export async function paymentIntentOfCharge(db: DbExecutor, chargeId: string): Promise<string | null> {
  const row = await db.selectFrom('stripe_charges').select('payment_intent_id').where('id', '=', chargeId).executeTakeFirst();
  return row?.payment_intent_id ?? null;
}
