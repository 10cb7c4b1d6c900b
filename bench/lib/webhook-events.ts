import Stripe from 'stripe';
import { charge, checkoutSession, invoice, stripeEvent, subscription, T0 } from '../../tests/helpers/stripe-objects.js';

export const BENCH_WEBHOOK_SECRET = 'whsec_favour_bench_secret';

export const EVENT_MIX_DESCRIPTION =
  '70% checkout.session.completed (one-off gift, new customer and supporter each), ' +
  '10% customer.subscription.created, 10% invoice.paid (first membership payment), 10% charge.refunded (full or partial refund of an earlier gift)';

export interface BenchEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  /** The exact bytes delivered (pretty-printed like Stripe's own deliveries). */
  payload: string;
  payloadBytes: number;
}

const AMOUNTS = [500, 1000, 1500, 2500, 5000];
const giftAmount = (i: number) => AMOUNTS[(i * 3 + Math.floor(i / 10)) % AMOUNTS.length]!;
const giftCurrency = (i: number) => (i % 7 === 3 ? 'usd' : 'eur');
const articleUrl = (i: number) => `https://news.example/2026/11/story-${i % 97}`;

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
