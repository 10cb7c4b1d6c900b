import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { NewPaymentRow, PaymentBaseStatus } from '../db/tables/payment.table.js';

// Payment outcomes only move forward: pending → failed or succeeded, and a failed invoice can still be paid.
// Ranking them lets an older event arriving late never undo a newer one.
const rank = (column: 'excluded.base_status' | 'payments.base_status') =>
  sql.raw(`CASE ${column} WHEN 'pending' THEN 0 WHEN 'failed' THEN 1 WHEN 'succeeded' THEN 2 END`);

/**
 * Holds, until the transaction ends, a lock on everything known about one Stripe payment intent or
 * invoice. A payment's status is derived from rows other events write (its charges, disputes and
 * invoice link); under READ COMMITTED two concurrent transactions that each write one side would
 * each miss the other's uncommitted row and both leave a stale status. Every writer takes the lock
 * before reading the other side, so the later one sees the earlier one's commit. Invoice locks are
 * taken before payment intent locks, and both after any customer row lock (recordCustomer), so
 * transactions always queue in the same order.
 */
export async function lockStripeObject(db: DbExecutor, kind: 'invoice' | 'payment_intent', id: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${kind}:${id}`}, 0))`.execute(db);
}

export type PaymentFacts = Omit<NewPaymentRow, 'status' | 'refunded_amount' | 'fee_cover_amount' | 'dispute_status' | 'updated_at'> & {
  base_status: PaymentBaseStatus;
  /** The reader's fee cover, from the checkout's metadata (at most the amount). */
  fee_cover_amount: number;
};

/**
 * Inserts or merges a payment keyed by its source (Checkout Session or invoice). Facts that never change
 * (amount, attribution) fill in where unknown; the outcome advances by rank. Returns the payment intent
 * the payment is paid through, if known, so refunds and disputes can be applied to it.
 */
export async function upsertPayment(db: DbExecutor, p: PaymentFacts): Promise<{ id: number; payment_intent_id: string | null }> {
  // The invoice lock first: the payment intent of an invoice comes from its link, read below.
  if (p.invoice_id) await lockStripeObject(db, 'invoice', p.invoice_id);
  // Taken before the payment row when known, in the same order as refunds and disputes take them.
  if (p.payment_intent_id) await lockStripeObject(db, 'payment_intent', p.payment_intent_id);
  const result = await sql<{ id: number; payment_intent_id: string | null }>`
    INSERT INTO payments (source_id, publication_id, supporter_id, customer_id, kind, amount, currency, base_status, status,
      checkout_session_id, payment_intent_id, invoice_id, subscription_id, article_url, variant, billing_reason, created_at, paid_at,
      fee_cover_amount)
    VALUES (${p.source_id}, ${p.publication_id}, ${p.supporter_id ?? null}, ${p.customer_id ?? null}, ${p.kind}, ${p.amount},
      ${p.currency}, ${p.base_status}, ${p.base_status}, ${p.checkout_session_id ?? null},
      coalesce(${p.payment_intent_id ?? null}, (SELECT ip.payment_intent_id FROM stripe_invoice_payments ip WHERE ip.invoice_id = ${p.invoice_id ?? null} ORDER BY 1 LIMIT 1)),
      ${p.invoice_id ?? null}, ${p.subscription_id ?? null}, ${p.article_url ?? null}, ${p.variant ?? null}, ${p.billing_reason ?? null},
      ${p.created_at}, ${p.paid_at ?? null}, ${Math.min(p.fee_cover_amount, p.amount)})
    ON CONFLICT (source_id) DO UPDATE SET
      supporter_id = coalesce(excluded.supporter_id, payments.supporter_id),
      customer_id = coalesce(payments.customer_id, excluded.customer_id),
      checkout_session_id = coalesce(payments.checkout_session_id, excluded.checkout_session_id),
      payment_intent_id = coalesce(payments.payment_intent_id, excluded.payment_intent_id),
      invoice_id = coalesce(payments.invoice_id, excluded.invoice_id),
      subscription_id = coalesce(payments.subscription_id, excluded.subscription_id),
      article_url = coalesce(payments.article_url, excluded.article_url),
      variant = coalesce(payments.variant, excluded.variant),
      billing_reason = coalesce(payments.billing_reason, excluded.billing_reason),
      fee_cover_amount = greatest(payments.fee_cover_amount, excluded.fee_cover_amount),
      amount = CASE WHEN ${rank('excluded.base_status')} > ${rank('payments.base_status')} THEN excluded.amount ELSE payments.amount END,
      base_status = CASE WHEN ${rank('excluded.base_status')} > ${rank('payments.base_status')} THEN excluded.base_status ELSE payments.base_status END,
      paid_at = coalesce(payments.paid_at, excluded.paid_at),
      created_at = least(payments.created_at, excluded.created_at),
      updated_at = now()
    RETURNING id, payment_intent_id`.execute(db);
  const row = result.rows[0]!;
  if (row.payment_intent_id && row.payment_intent_id !== p.payment_intent_id)
    await lockStripeObject(db, 'payment_intent', row.payment_intent_id);
  await refreshPaymentStatus(db, { paymentId: row.id });
  return row;
}

/** Links an invoice's payments to the payment intent that paid it (from invoice_payment.paid). */
export async function linkInvoiceToPaymentIntent(db: DbExecutor, invoiceId: string, paymentIntentId: string): Promise<void> {
  await lockStripeObject(db, 'invoice', invoiceId);
  await lockStripeObject(db, 'payment_intent', paymentIntentId);
  await db
    .insertInto('stripe_invoice_payments')
    .values({ invoice_id: invoiceId, payment_intent_id: paymentIntentId })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .updateTable('payments')
    .set({ payment_intent_id: paymentIntentId, updated_at: new Date() })
    .where('invoice_id', '=', invoiceId)
    .where('payment_intent_id', 'is', null)
    .execute();
  await refreshPaymentStatus(db, { paymentIntentId });
}

// Open disputes and lost ones mark a payment as disputed; won or withdrawn ones do not.
const DISPUTED = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review', 'lost'];

/**
 * Recomputes a payment's status and refunded amount from what the Stripe mirror holds about its
 * charges and disputes. Called whenever either side changes, so it converges in any order.
 */
export async function refreshPaymentStatus(db: DbExecutor, target: { paymentId: number } | { paymentIntentId: string }): Promise<number> {
  const which = 'paymentId' in target ? sql`p2.id = ${target.paymentId}` : sql`p2.payment_intent_id = ${target.paymentIntentId}`;
  const result = await sql`
    UPDATE payments p SET
      refunded_amount = least(p.amount, x.refunded),
      dispute_status = x.dispute_status,
      status = CASE
        WHEN p.base_status <> 'succeeded' THEN p.base_status
        WHEN x.dispute_status IN (${sql.join(DISPUTED)}) THEN 'disputed'
        WHEN x.refunded >= p.amount AND p.amount > 0 THEN 'refunded'
        WHEN x.refunded > 0 THEN 'partially_refunded'
        ELSE 'succeeded' END,
      updated_at = now()
    FROM (
      SELECT p2.id,
        coalesce((SELECT sum(c.amount_refunded) FROM stripe_charges c WHERE c.payment_intent_id = p2.payment_intent_id), 0)::bigint AS refunded,
        (SELECT d.status FROM stripe_disputes d
           WHERE d.payment_intent_id = p2.payment_intent_id
              OR d.charge_id IN (SELECT c.id FROM stripe_charges c WHERE c.payment_intent_id = p2.payment_intent_id)
           ORDER BY d.snapshot_at DESC, d.id DESC LIMIT 1) AS dispute_status
      FROM payments p2 WHERE ${which}
    ) x
    WHERE x.id = p.id`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
