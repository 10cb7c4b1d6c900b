import type Stripe from 'stripe';
import { queuePaymentFailed, queueThankYou } from '../../email/email-outbox.repository.js';
import { linkInvoiceToPaymentIntent, upsertPayment } from '../../payments/payment.repository.js';
import { recordCustomer } from '../../supporters/supporter.service.js';
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

/**
 * Every membership payment, the first and each renewal, is an invoice. Its publication and article
 * come from the subscription metadata Stripe copies onto the invoice (parent.subscription_details).
 */
export async function handleInvoice(ctx: HandlerContext, type: 'invoice.paid' | 'invoice.payment_failed'): Promise<HandlerResult> {
  const invoice = ctx.event.data.object as Stripe.Invoice;
  const details = invoice.parent?.subscription_details;
  const subscriptionId = idOf(details?.subscription);
  const publication = subscriptionId ? await publicationOf(ctx.trx, details?.metadata) : undefined;
  if (!publication || !invoice.id) return IGNORED;

  const paid = type === 'invoice.paid';
  const amount = paid ? invoice.amount_paid : invoice.amount_due;
  // A free trial's first invoice moves no money: nothing to record as a payment.
  if (amount <= 0) return IGNORED;

  const customerId = idOf(invoice.customer);
  // customer_email and customer_name freeze when the invoice is finalized: they are the customer's
  // details as of then, not as of this event (a retry paid days later, after a customer.updated,
  // still carries the old ones and must not undo the change).
  const detailsAt = invoice.status_transitions?.finalized_at ?? invoice.created;
  const supporterId = customerId
    ? await recordCustomer(ctx.trx, {
        id: customerId,
        publicationId: publication.id,
        email: invoice.customer_email,
        name: invoice.customer_name,
        observedAt: fromUnix(detailsAt),
      })
    : null;
  const paidAt = invoice.status_transitions?.paid_at;
  const payment = await upsertPayment(ctx.trx, {
    source_id: invoice.id,
    publication_id: publication.id,
    supporter_id: supporterId,
    customer_id: customerId,
    kind: 'membership',
    amount,
    currency: invoice.currency,
    base_status: paid ? 'succeeded' : 'failed',
    checkout_session_id: null,
    payment_intent_id: null,
    invoice_id: invoice.id,
    subscription_id: subscriptionId,
    ...attribution(details?.metadata),
    billing_reason: invoice.billing_reason,
    fee_cover_amount: feeCoverIn(details?.metadata),
    created_at: fromUnix(invoice.created),
    paid_at: paid ? (paidAt ? fromUnix(paidAt) : ctx.occurredAt) : null,
  });
  if (!isSynthetic(details?.metadata)) {
    // A paid invoice: a thank-you if it is the supporter's first payment. A failed one: a link to update the card.
    if (paid) await queueThankYou(ctx.trx, payment.id);
    else await queuePaymentFailed(ctx.trx, payment.id);
  }
  return applied(publication.id);
}

/**
 * Since API version 2025-03-31 invoices no longer name their payment intent; this event links the
 * two so refunds and disputes of membership payments (which Stripe reports per charge) find them.
 */
export async function handleInvoicePayment(ctx: HandlerContext): Promise<HandlerResult> {
  const invoicePayment = ctx.event.data.object as Stripe.InvoicePayment;
  const invoiceId = idOf(invoicePayment.invoice as string | { id: string } | null);
  const paymentIntentId = idOf(invoicePayment.payment?.payment_intent);
  if (!invoiceId || !paymentIntentId) return IGNORED;
  await linkInvoiceToPaymentIntent(ctx.trx, invoiceId, paymentIntentId);
  return { outcome: 'stored', publicationId: null };
}
