import type Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../stripe/stripe-client.js';

// Stripe objects with the fields Stripe sends (API 2026-10-28), trimmed of the many the service
// never reads. The demo seed feeds them through the same code path as real webhooks.

type Meta = { publication: string; article_url: string; variant: string; interval: string };

export function demoEvent(type: string, object: object, id: string, created: number, previous?: Record<string, unknown>): Stripe.Event {
  return {
    id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...(previous ? { previous_attributes: previous } : {}) },
  } as unknown as Stripe.Event;
}

export function demoSession(o: {
  id: string;
  mode: 'payment' | 'subscription';
  amount: number;
  currency: string;
  customer: string | null;
  email: string | null;
  name: string | null;
  status: 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid';
  subscription?: string;
  created: number;
  meta: Meta;
}): Stripe.Checkout.Session {
  return {
    id: o.id,
    object: 'checkout.session',
    mode: o.mode,
    status: o.status,
    payment_status: o.paymentStatus,
    amount_total: o.amount,
    amount_subtotal: o.amount,
    currency: o.currency,
    customer: o.customer,
    customer_creation: o.mode === 'payment' ? 'always' : null,
    customer_details: o.email ? { email: o.email, name: o.name, address: null, phone: null, tax_exempt: 'none', tax_ids: [] } : null,
    customer_email: null,
    payment_intent: o.mode === 'payment' && o.status === 'complete' ? `pi_${o.id.slice(3)}` : null,
    subscription: o.subscription ?? null,
    submit_type: o.mode === 'payment' ? 'donate' : null,
    metadata: o.meta,
    locale: null,
    livemode: false,
    created: o.created,
    expires_at: o.created + 86_400,
    url: null,
  } as unknown as Stripe.Checkout.Session;
}

export function demoSubscription(o: {
  id: string;
  customer: string;
  status: Stripe.Subscription.Status;
  amount: number;
  currency: string;
  interval: 'month' | 'year';
  start: number;
  periodEnd: number;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: number | null;
  endedAt?: number | null;
  meta: Meta;
}): Stripe.Subscription {
  return {
    id: o.id,
    object: 'subscription',
    customer: o.customer,
    status: o.status,
    currency: o.currency,
    start_date: o.start,
    created: o.start,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    canceled_at: o.canceledAt ?? null,
    ended_at: o.endedAt ?? null,
    metadata: o.meta,
    livemode: false,
    items: {
      object: 'list',
      has_more: false,
      url: `/v1/subscription_items?subscription=${o.id}`,
      data: [
        {
          id: `si_${o.id.slice(4)}`,
          object: 'subscription_item',
          quantity: 1,
          subscription: o.id,
          current_period_start: o.start,
          current_period_end: o.periodEnd,
          price: {
            id: `price_${o.currency}_${o.interval}_${o.amount}`,
            object: 'price',
            currency: o.currency,
            unit_amount: o.amount,
            type: 'recurring',
            recurring: { interval: o.interval, interval_count: 1, usage_type: 'licensed', meter: null, trial_period_days: null },
          },
        },
      ],
    },
  } as unknown as Stripe.Subscription;
}

export function demoInvoice(o: {
  id: string;
  customer: string;
  email: string;
  name: string | null;
  subscription: string;
  amount: number;
  currency: string;
  paid: boolean;
  created: number;
  billingReason: 'subscription_create' | 'subscription_cycle';
  meta: Meta;
}): Stripe.Invoice {
  return {
    id: o.id,
    object: 'invoice',
    customer: o.customer,
    customer_email: o.email,
    customer_name: o.name,
    currency: o.currency,
    amount_due: o.amount,
    amount_paid: o.paid ? o.amount : 0,
    amount_remaining: o.paid ? 0 : o.amount,
    total: o.amount,
    status: o.paid ? 'paid' : 'open',
    billing_reason: o.billingReason,
    created: o.created,
    livemode: false,
    status_transitions: { finalized_at: o.created, paid_at: o.paid ? o.created : null, marked_uncollectible_at: null, voided_at: null },
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: o.subscription, metadata: o.meta } },
  } as unknown as Stripe.Invoice;
}

export function demoInvoicePayment(o: {
  invoice: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  created: number;
}): Stripe.InvoicePayment {
  return {
    id: `inpay_${o.invoice.slice(3)}`,
    object: 'invoice_payment',
    invoice: o.invoice,
    amount_paid: o.amount,
    amount_requested: o.amount,
    currency: o.currency,
    created: o.created,
    is_default: true,
    livemode: false,
    status: 'paid',
    payment: { type: 'payment_intent', payment_intent: o.paymentIntent },
    status_transitions: { paid_at: o.created, canceled_at: null },
  } as unknown as Stripe.InvoicePayment;
}

export function demoCharge(o: {
  id: string;
  paymentIntent: string;
  amount: number;
  refunded: number;
  currency: string;
  created: number;
}): Stripe.Charge {
  return {
    id: o.id,
    object: 'charge',
    payment_intent: o.paymentIntent,
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: o.refunded,
    refunded: o.refunded >= o.amount,
    captured: true,
    paid: true,
    status: 'succeeded',
    currency: o.currency,
    created: o.created,
    livemode: false,
    metadata: {},
  } as unknown as Stripe.Charge;
}

export function demoDispute(o: {
  id: string;
  charge: string;
  paymentIntent: string;
  amount: number;
  currency: string;
  status: Stripe.Dispute.Status;
  created: number;
}): Stripe.Dispute {
  return {
    id: o.id,
    object: 'dispute',
    charge: o.charge,
    payment_intent: o.paymentIntent,
    amount: o.amount,
    currency: o.currency,
    status: o.status,
    reason: 'fraudulent',
    created: o.created,
    livemode: false,
    metadata: {},
  } as unknown as Stripe.Dispute;
}
