import Stripe from 'stripe';
import { charge, checkoutSession, invoice, stripeEvent, subscription, T0 } from '../../tests/helpers/stripe-objects.js';

export const BENCH_WEBHOOK_SECRET = 'whsec_favour_bench_secret';

export const EVENT_MIX_DESCRIPTION =
  '70% checkout.session.completed (one-off gift, new customer and supporter each), ' +
  '10% customer.subscription.created, 10% invoice.paid (first membership payment), 10% charge.refunded (full or partial refund of an earlier gift)';

type Attribution = { slug: string | undefined; article_url: string | null; variant: string | null; interval: string | undefined };

/** What the handlers read from each kind of event: the floor replays exactly these writes. */
export type EventFacts =
  | {
      kind: 'gift';
      sessionId: string;
      attribution: Attribution;
      mode: Stripe.Checkout.Session.Mode;
      amount: number | null;
      currency: string | null;
      locale: string | null;
      paymentStatus: string;
      customerId: string | null;
      paymentIntentId: string | null;
      subscriptionId: string | null;
      created: number;
      email: string | null;
      name: string | null;
    }
  | {
      kind: 'subscription';
      subscriptionId: string;
      customerId: string;
      attribution: Attribution;
      status: string;
      amount: number;
      currency: string;
      interval: string;
      intervalCount: number;
      currentPeriodEnd: number | null;
      cancelAtPeriodEnd: boolean;
      canceledAt: number | null;
      endedAt: number | null;
      startedAt: number;
      previousStatus: string | null;
    }
  | {
      kind: 'invoice';
      invoiceId: string;
      subscriptionId: string;
      customerId: string;
      attribution: Attribution;
      email: string | null;
      name: string | null;
      amount: number;
      currency: string;
      billingReason: string | null;
      created: number;
      /** When the invoice's customer details were current: finalized_at, else created. */
      detailsAt: number;
      paidAt: number | null;
    }
  | {
      kind: 'refund';
      chargeId: string;
      paymentIntentId: string | null;
      amount: number;
      amountRefunded: number;
      currency: string;
      created: number;
    };

export interface BenchEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  /** The exact bytes delivered (pretty-printed like Stripe's own deliveries). */
  payload: string;
  payloadBytes: number;
  facts: EventFacts;
}

const AMOUNTS = [500, 1000, 1500, 2500, 5000];
const giftAmount = (i: number) => AMOUNTS[(i * 3 + Math.floor(i / 10)) % AMOUNTS.length]!;
const giftCurrency = (i: number) => (i % 7 === 3 ? 'usd' : 'eur');
const articleUrl = (i: number) => `https://news.example/2026/11/story-${i % 97}`;
const idOf = (ref: string | { id: string } | null | undefined) => (!ref ? null : typeof ref === 'string' ? ref : ref.id);

function attributionOf(metadata: Stripe.Metadata | null | undefined): Attribution {
  return {
    slug: metadata?.publication,
    article_url: metadata?.article_url || null,
    variant: metadata?.variant || null,
    interval: metadata?.interval,
  };
}

/**
 * Event i of the mix, built with the test builders (Stripe's canonical fixtures with overrides). Blocks of ten:
 * seven gifts, then a membership (subscription.created, invoice.paid) and a refund of a gift fifty events back.
 */
export function buildEvent(i: number): BenchEvent {
  const block = Math.floor(i / 10);
  const slot = i % 10;
  const created = T0 + i;
  const id = `evt_bench_${i}`;
  let event: Stripe.Event;
  let facts: EventFacts;

  if (slot < 7) {
    const s = checkoutSession({
      id: `cs_bench_${i}`,
      amount: giftAmount(i),
      currency: giftCurrency(i),
      email: `reader${i}@example.com`,
      name: `Reader ${i}`,
      created: created - 60,
      publication: 'demo',
      article_url: articleUrl(i),
      variant: i % 2 === 0 ? 'plea-a' : 'plea-b',
      interval: 'once',
    });
    event = stripeEvent('checkout.session.completed', s, { id, created });
    facts = {
      kind: 'gift',
      sessionId: s.id,
      attribution: attributionOf(s.metadata),
      mode: s.mode,
      amount: s.amount_total,
      currency: s.currency,
      locale: s.locale ?? null,
      paymentStatus: s.payment_status,
      customerId: idOf(s.customer),
      paymentIntentId: idOf(s.payment_intent),
      subscriptionId: idOf(s.subscription),
      created: s.created,
      email: s.customer_details?.email ?? s.customer_email ?? null,
      name: s.customer_details?.name ?? null,
    };
  } else if (slot === 7) {
    const sub = subscription({
      id: `sub_bench_${block}`,
      customer: `cus_bench_m${block}`,
      amount: block % 2 === 0 ? 500 : 1000,
      interval: block % 4 === 3 ? 'year' : 'month',
      start_date: created,
      publication: 'demo',
      article_url: articleUrl(i),
      variant: 'member-a',
    });
    event = stripeEvent('customer.subscription.created', sub, { id, created });
    const items = sub.items.data;
    const periodEnds = items.map((item) => item.current_period_end).filter((end): end is number => typeof end === 'number');
    facts = {
      kind: 'subscription',
      subscriptionId: sub.id,
      customerId: idOf(sub.customer)!,
      attribution: attributionOf(sub.metadata),
      status: sub.status,
      amount: items.reduce((sum, item) => sum + (item.price.unit_amount ?? 0) * (item.quantity ?? 1), 0),
      currency: sub.currency,
      interval: items[0]!.price.recurring!.interval,
      intervalCount: items[0]!.price.recurring!.interval_count ?? 1,
      currentPeriodEnd: periodEnds.length > 0 ? Math.max(...periodEnds) : null,
      cancelAtPeriodEnd: sub.cancel_at_period_end,
      canceledAt: sub.canceled_at,
      endedAt: sub.ended_at,
      startedAt: sub.start_date ?? sub.created,
      previousStatus: null,
    };
  } else if (slot === 8) {
    const inv = invoice({
      id: `in_bench_${block}`,
      customer: `cus_bench_m${block}`,
      subscription: `sub_bench_${block}`,
      amount: block % 2 === 0 ? 500 : 1000,
      email: `member${block}@example.com`,
      name: `Member ${block}`,
      billing_reason: 'subscription_create',
      created,
      paid_at: created,
      publication: 'demo',
      article_url: articleUrl(i - 1),
      variant: 'member-a',
      interval: block % 4 === 3 ? 'year' : 'month',
    });
    event = stripeEvent('invoice.paid', inv, { id, created });
    const details = inv.parent!.subscription_details!;
    facts = {
      kind: 'invoice',
      invoiceId: inv.id!,
      subscriptionId: idOf(details.subscription)!,
      customerId: idOf(inv.customer)!,
      attribution: attributionOf(details.metadata),
      email: inv.customer_email,
      name: inv.customer_name,
      amount: inv.amount_paid,
      currency: inv.currency,
      billingReason: inv.billing_reason,
      created: inv.created,
      detailsAt: inv.status_transitions?.finalized_at ?? inv.created,
      paidAt: inv.status_transitions?.paid_at ?? null,
    };
  } else {
    const refunded = Math.max(0, block - 5) * 10; // the first gift of the block fifty events back
    const amount = giftAmount(refunded);
    const ch = charge({
      id: `ch_bench_${block}`,
      payment_intent: `pi_cs_bench_${refunded}`,
      amount,
      amount_refunded: block % 2 === 0 ? amount : Math.floor(amount / 2),
      currency: giftCurrency(refunded),
    });
    event = stripeEvent('charge.refunded', ch, { id, created });
    facts = {
      kind: 'refund',
      chargeId: ch.id,
      paymentIntentId: idOf(ch.payment_intent),
      amount: ch.amount,
      amountRefunded: ch.amount_refunded,
      currency: ch.currency,
      created: ch.created,
    };
  }

  const payload = JSON.stringify(event, null, 2);
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    apiVersion: event.api_version ?? null,
    payload,
    payloadBytes: Buffer.byteLength(payload),
    facts,
  };
}

/** Events from … from+count of the mix (each index always gives the same event). */
export function buildEvents(from: number, count: number): BenchEvent[] {
  return Array.from({ length: count }, (_, k) => buildEvent(from + k));
}

/** A Stripe-Signature header (t=…,v1=…) for the payload, signed now with the bench endpoint secret. */
export function signPayload(payload: string): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: BENCH_WEBHOOK_SECRET });
}
