import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';

// Stripe's canonical example objects (see tests/fixtures/stripe/README.md), cloned and overridden per test.
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as T;
}
const FIXTURES = {
  session: fixture<Stripe.Checkout.Session>('checkout-session'),
  invoice: fixture<Stripe.Invoice>('invoice'),
  subscription: fixture<Stripe.Subscription>('subscription'),
  charge: fixture<Stripe.Charge>('charge'),
  dispute: fixture<Stripe.Dispute>('dispute'),
  customer: fixture<Stripe.Customer>('customer'),
  invoicePayment: fixture<Stripe.InvoicePayment>('invoice-payment'),
  event: fixture<Stripe.Event>('event'),
};

export const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z, in Stripe's unix seconds

export interface Attribution {
  publication?: string | undefined;
  article_url?: string;
  variant?: string;
  interval?: string;
  /** What checkout recorded the reader added to cover the fees (minor units). */
  fee_cover?: number;
}

function metadataOf(a: Attribution): Record<string, string> {
  if (!a.publication) return {};
  return {
    publication: a.publication,
    article_url: a.article_url ?? 'https://news.example/a',
    variant: a.variant ?? '',
    interval: a.interval ?? 'once',
    ...(a.fee_cover !== undefined ? { fee_cover: String(a.fee_cover) } : {}),
  };
}

export function checkoutSession(
  o: {
    id: string;
    mode?: 'payment' | 'subscription';
    amount?: number;
    currency?: string;
    customer?: string | null;
    email?: string | null;
    name?: string | null;
    payment_status?: 'paid' | 'unpaid' | 'no_payment_required';
    status?: 'open' | 'complete' | 'expired';
    payment_intent?: string | null;
    subscription?: string | null;
    created?: number;
  } & Attribution,
): Stripe.Checkout.Session {
  const s = structuredClone(FIXTURES.session);
  const mode = o.mode ?? 'payment';
  return {
    ...s,
    id: o.id,
    mode,
    amount_total: o.amount ?? 1000,
    amount_subtotal: o.amount ?? 1000,
    currency: o.currency ?? 'eur',
    customer: o.customer === undefined ? `cus_${o.id}` : o.customer,
    customer_details: { ...s.customer_details!, email: o.email === undefined ? 'reader@example.com' : o.email, name: o.name ?? null },
    payment_status: o.payment_status ?? 'paid',
    status: o.status ?? 'complete',
    payment_intent: mode === 'payment' ? (o.payment_intent === undefined ? `pi_${o.id}` : o.payment_intent) : null,
    subscription: mode === 'subscription' ? (o.subscription ?? `sub_${o.id}`) : null,
    submit_type: mode === 'payment' ? 'donate' : null,
    metadata: metadataOf({ interval: mode === 'payment' ? 'once' : 'month', ...o }),
    created: o.created ?? T0,
    url: null,
  };
}

export function invoice(
  o: {
    id: string;
    customer: string;
    subscription: string;
    amount: number;
    currency?: string;
    email?: string | null;
    name?: string | null;
    paid?: boolean;
    billing_reason?: Stripe.Invoice.BillingReason;
    created?: number;
    paid_at?: number | null;
  } & Attribution,
): Stripe.Invoice {
  const inv = structuredClone(FIXTURES.invoice);
  const paid = o.paid ?? true;
  return {
    ...inv,
    id: o.id,
    customer: o.customer,
    customer_email: o.email === undefined ? 'member@example.com' : o.email,
    customer_name: o.name ?? null,
    currency: o.currency ?? 'eur',
    amount_due: o.amount,
    amount_paid: paid ? o.amount : 0,
    amount_remaining: paid ? 0 : o.amount,
    total: o.amount,
    subtotal: o.amount,
    status: paid ? 'paid' : 'open',
    billing_reason: o.billing_reason ?? 'subscription_cycle',
    created: o.created ?? T0,
    status_transitions: { ...inv.status_transitions, paid_at: paid ? (o.paid_at ?? o.created ?? T0) : null },
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: o.subscription, metadata: metadataOf({ interval: 'month', ...o }) },
    } as Stripe.Invoice.Parent,
    lines: { ...inv.lines, data: [] },
  };
}

export function subscription(
  o: {
    id: string;
    customer: string;
    status?: Stripe.Subscription.Status;
    amount?: number;
    currency?: string;
    interval?: 'month' | 'year';
    current_period_end?: number;
    cancel_at_period_end?: boolean;
    canceled_at?: number | null;
    ended_at?: number | null;
    start_date?: number;
  } & Attribution,
): Stripe.Subscription {
  const sub = structuredClone(FIXTURES.subscription);
  const item = sub.items.data[0]!;
  const interval = o.interval ?? 'month';
  const start = o.start_date ?? T0;
  return {
    ...sub,
    id: o.id,
    customer: o.customer,
    status: o.status ?? 'active',
    currency: o.currency ?? 'eur',
    cancel_at_period_end: o.cancel_at_period_end ?? false,
    cancel_at: null,
    canceled_at: o.canceled_at ?? null,
    ended_at: o.ended_at ?? null,
    trial_start: null,
    trial_end: null,
    start_date: start,
    created: start,
    metadata: metadataOf({ interval, ...o }),
    items: {
      ...sub.items,
      data: [
        {
          ...item,
          subscription: o.id,
          quantity: 1,
          current_period_start: start,
          current_period_end: o.current_period_end ?? start + (interval === 'month' ? 31 : 365) * 86_400,
          price: {
            ...item.price,
            currency: o.currency ?? 'eur',
            unit_amount: o.amount ?? 500,
            unit_amount_decimal: String(o.amount ?? 500) as unknown as Stripe.Price['unit_amount_decimal'],
            recurring: { ...item.price.recurring!, interval, interval_count: 1 },
          },
        },
      ],
    },
  };
}

export function charge(o: {
  id: string;
  payment_intent: string | null;
  amount: number;
  amount_refunded: number;
  currency?: string;
  customer?: string | null;
}): Stripe.Charge {
  const ch = structuredClone(FIXTURES.charge);
  return {
    ...ch,
    id: o.id,
    payment_intent: o.payment_intent,
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: o.amount_refunded,
    refunded: o.amount_refunded >= o.amount,
    captured: true,
    currency: o.currency ?? 'eur',
    customer: o.customer ?? null,
    metadata: {},
  };
}

export function dispute(o: {
  id: string;
  charge: string;
  payment_intent: string | null;
  amount: number;
  status: Stripe.Dispute.Status;
  currency?: string;
}): Stripe.Dispute {
  const dp = structuredClone(FIXTURES.dispute);
  return {
    ...dp,
    id: o.id,
    charge: o.charge,
    payment_intent: o.payment_intent,
    amount: o.amount,
    currency: o.currency ?? 'eur',
    status: o.status,
  };
}

export function customer(o: { id: string; email: string | null; name?: string | null }): Stripe.Customer {
  const cu = structuredClone(FIXTURES.customer);
  return { ...cu, id: o.id, email: o.email, name: o.name ?? null, metadata: {} };
}

export function invoicePayment(o: {
  id: string;
  invoice: string;
  payment_intent: string;
  amount: number;
  currency?: string;
}): Stripe.InvoicePayment {
  const ip = structuredClone(FIXTURES.invoicePayment);
  return {
    ...ip,
    id: o.id,
    invoice: o.invoice,
    amount_paid: o.amount,
    amount_requested: o.amount,
    currency: o.currency ?? 'eur',
    status: 'paid',
    payment: { type: 'payment_intent', payment_intent: o.payment_intent } as Stripe.InvoicePayment.Payment,
  };
}

/** Wraps an object in an event as Stripe delivers it. */
export function stripeEvent(
  type: string,
  object: object,
  o: { id: string; created?: number; previous_attributes?: Record<string, unknown> },
): Stripe.Event {
  const ev = structuredClone(FIXTURES.event);
  return {
    ...ev,
    id: o.id,
    type,
    created: o.created ?? T0,
    api_version: '2026-10-28.endive',
    data: { object, ...(o.previous_attributes ? { previous_attributes: o.previous_attributes } : {}) },
  } as unknown as Stripe.Event;
}
