import type Stripe from 'stripe';
import type { DbExecutor } from '../db/database.js';
import { handleChargeRefunded, handleDispute } from './handlers/charge.handler.js';
import { handleCheckoutSession } from './handlers/checkout-session.handler.js';
import { handleCustomerUpdated } from './handlers/customer.handler.js';
import { fromUnix, type HandlerResult, IGNORED } from './handlers/handler-context.js';
import { handleInvoice, handleInvoicePayment } from './handlers/invoice.handler.js';
import { handleSubscription } from './handlers/subscription.handler.js';

/** The event types this service acts on; subscribe the Stripe webhook endpoint to these. */
export const HANDLED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice_payment.paid',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'customer.updated',
] as const;

/** Applies one verified event inside the caller's transaction. */
export async function applyEvent(trx: DbExecutor, event: Stripe.Event): Promise<HandlerResult> {
  const ctx = { trx, event, occurredAt: fromUnix(event.created) };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired':
      return handleCheckoutSession(ctx, event.type);
    case 'invoice.paid':
    case 'invoice.payment_failed':
      return handleInvoice(ctx, event.type);
    case 'invoice_payment.paid':
      return handleInvoicePayment(ctx);
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return handleSubscription(ctx);
    case 'charge.refunded':
      return handleChargeRefunded(ctx);
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
      return handleDispute(ctx);
    case 'customer.updated':
      return handleCustomerUpdated(ctx);
    default:
      return IGNORED;
  }
}
