import type Stripe from 'stripe';
import { upsertCheckoutSessionState } from '../../checkout/checkout-session.repository.js';
import type { Interval } from '../../db/tables/publication.table.js';
import type { PaymentBaseStatus } from '../../db/tables/payment.table.js';
import { queueThankYou } from '../../email/email-outbox.repository.js';
import { upsertPayment } from '../../payments/payment.repository.js';
import { recordCustomer, supporterForEmail } from '../../supporters/supporter.service.js';
import {
  applied,
  attribution,
  feeCoverIn,
  fromUnix,
  isSynthetic,
  type HandlerContext,
  type HandlerResult,
  IGNORED,
  idOf,
  publicationOf,
} from './handler-context.js';

type SessionEventType =
  | 'checkout.session.completed'
  | 'checkout.session.async_payment_succeeded'
  | 'checkout.session.async_payment_failed'
  | 'checkout.session.expired';

const INTERVALS = new Set<Interval>(['once', 'month', 'year']);

/**
 * A finished Checkout Session: records the session's outcome and, in payment mode, the one-off gift
 * (membership payments arrive as invoices). A delayed payment method (SEPA, …) completes unpaid and
 * the gift stays pending until async_payment_succeeded or _failed.
 */
export async function handleCheckoutSession(ctx: HandlerContext, type: SessionEventType): Promise<HandlerResult> {
  const session = ctx.event.data.object as Stripe.Checkout.Session;
  const publication = await publicationOf(ctx.trx, session.metadata);
  if (!publication) return IGNORED;

  const { article_url, variant } = attribution(session.metadata);
  const metadataInterval = session.metadata?.interval as Interval | undefined;
  const interval: Interval =
    metadataInterval && INTERVALS.has(metadataInterval) ? metadataInterval : session.mode === 'payment' ? 'once' : 'month';
  const customerId = idOf(session.customer);
  const paymentIntentId = idOf(session.payment_intent);
  const expired = type === 'checkout.session.expired';

  await upsertCheckoutSessionState(ctx.trx, {
    id: session.id,
    publication_id: publication.id,
    article_url: article_url ?? '',
    variant,
    amount: session.amount_total ?? 0,
    currency: session.currency ?? publication.default_currency,
    interval,
    locale: session.locale ?? null,
    status: expired ? 'expired' : 'complete',
    payment_status: session.payment_status,
    customer_id: customerId,
    payment_intent_id: paymentIntentId,
    subscription_id: idOf(session.subscription),
    created_at: fromUnix(session.created),
    completed_at: expired ? null : ctx.occurredAt,
    expired_at: expired ? ctx.occurredAt : null,
  });
  if (expired) return applied(publication.id);

  const email = session.customer_details?.email ?? session.customer_email ?? null;
  // customer_details are what the reader typed at checkout and never change afterwards. Only the
  // completion reports them as news; dated at a later async_payment_* event they would look newer
  // than a customer.updated made in between and undo it.
  const observesDetails = type === 'checkout.session.completed';
  const supporterId = customerId
    ? await recordCustomer(ctx.trx, {
        id: customerId,
        publicationId: publication.id,
        email: observesDetails ? email : null,
        name: observesDetails ? (session.customer_details?.name ?? null) : null,
        observedAt: ctx.occurredAt,
      })
    : await supporterForEmail(ctx.trx, publication.id, email);

  if (session.mode === 'payment' && session.amount_total !== null && session.currency) {
    const baseStatus = giftStatus(type, session.payment_status);
    const payment = await upsertPayment(ctx.trx, {
      source_id: session.id,
      publication_id: publication.id,
      supporter_id: supporterId,
      customer_id: customerId,
      kind: 'one_off',
      amount: session.amount_total,
      currency: session.currency,
      base_status: baseStatus,
      checkout_session_id: session.id,
      payment_intent_id: paymentIntentId,
      invoice_id: null,
      subscription_id: null,
      article_url,
      variant,
      billing_reason: null,
      fee_cover_amount: feeCoverIn(session.metadata),
      created_at: fromUnix(session.created),
      paid_at: baseStatus === 'succeeded' ? ctx.occurredAt : null,
    });
    if (!isSynthetic(session.metadata) && baseStatus === 'succeeded') await queueThankYou(ctx.trx, payment.id);
  }
  return applied(publication.id);
}

function giftStatus(type: SessionEventType, paymentStatus: Stripe.Checkout.Session.PaymentStatus): PaymentBaseStatus {
  if (type === 'checkout.session.async_payment_failed') return 'failed';
  if (type === 'checkout.session.async_payment_succeeded') return 'succeeded';
  return paymentStatus === 'unpaid' ? 'pending' : 'succeeded';
}
