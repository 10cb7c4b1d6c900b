import type Stripe from 'stripe';
import { refreshPaymentStatus } from '../../payments/payment.repository.js';
import { paymentIntentOfCharge, upsertCharge, upsertDispute } from '../stripe-mirror.repository.js';
import { fromUnix, type HandlerContext, type HandlerResult, idOf } from './handler-context.js';

/**
 * charge.refunded (full or partial). Charges carry no publication, so they are kept in the mirror
 * and applied to whichever payment was paid through the same payment intent, now or when it arrives.
 */
export async function handleChargeRefunded(ctx: HandlerContext): Promise<HandlerResult> {
  const charge = ctx.event.data.object as Stripe.Charge;
  const paymentIntentId = idOf(charge.payment_intent);
  await upsertCharge(ctx.trx, {
    id: charge.id,
    payment_intent_id: paymentIntentId,
    amount: charge.amount,
    amount_refunded: charge.amount_refunded,
    currency: charge.currency,
    created: fromUnix(charge.created),
  });
  return resultOf(paymentIntentId ? await refreshPaymentStatus(ctx.trx, { paymentIntentId }) : 0);
}

/** charge.dispute.created / updated / closed: a payment is disputed while a dispute is open or once it is lost. */
export async function handleDispute(ctx: HandlerContext): Promise<HandlerResult> {
  const dispute = ctx.event.data.object as Stripe.Dispute;
  const chargeId = idOf(dispute.charge);
  if (!chargeId) return { outcome: 'ignored', publicationId: null };
  const paymentIntentId = idOf(dispute.payment_intent) ?? (await paymentIntentOfCharge(ctx.trx, chargeId));
  await upsertDispute(ctx.trx, {
    id: dispute.id,
    charge_id: chargeId,
    payment_intent_id: paymentIntentId,
    amount: dispute.amount,
    currency: dispute.currency,
    status: dispute.status,
    snapshot_at: ctx.occurredAt,
  });
  return resultOf(paymentIntentId ? await refreshPaymentStatus(ctx.trx, { paymentIntentId }) : 0);
}

function resultOf(paymentsTouched: number): HandlerResult {
  return { outcome: paymentsTouched > 0 ? 'applied' : 'stored', publicationId: null };
}
