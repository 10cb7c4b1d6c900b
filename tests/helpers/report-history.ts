import type { Express } from 'express';
import type Stripe from 'stripe';
import { charge, checkoutSession, dispute, invoice, invoicePayment, stripeEvent, subscription } from './stripe-objects.js';
import { deliver } from './webhook-delivery.js';

const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);
export const ARTICLE_1 = 'https://news.example/2026/city-hall';
export const ARTICLE_2 = 'https://news.example/2026/library';
export const ARTICLE_3 = 'https://news.example/2026/river';

/**
 * A small history for the demo publication whose report figures are worked out by hand in the
 * reports test: gifts in three currencies (one zero-decimal), a partial and a full refund, a lost
 * dispute, a pending gift, monthly and yearly members, a cancellation, a gift before the range and
 * a foreign event.
 */
export function knownHistory(): Stripe.Event[] {
  const events: Stripe.Event[] = [];
  let n = 0;
  const add = (type: string, object: object, at: string, extra: { previous_attributes?: Record<string, unknown> } = {}) =>
    events.push(stripeEvent(type, object, { id: `evt_hist_${++n}`, created: ts(at), ...extra }));
  const gift = (
    id: string,
    o: { amount: number; currency: string; email: string; at: string; article: string; variant: string; unpaid?: boolean },
  ) =>
    add(
      'checkout.session.completed',
      checkoutSession({
        id,
        amount: o.amount,
        currency: o.currency,
        email: o.email,
        customer: `cus_${o.email}`,
        publication: 'demo',
        article_url: o.article,
        variant: o.variant,
        created: ts(o.at),
        payment_status: o.unpaid ? 'unpaid' : 'paid',
      }),
      o.at,
    );
  gift('cs_old', { amount: 999, currency: 'eur', email: 'g@example.com', at: '2025-12-31T10:00:00Z', article: ARTICLE_1, variant: 'a' });
  gift('cs_a', { amount: 2500, currency: 'eur', email: 'a@example.com', at: '2026-01-10T10:00:00Z', article: ARTICLE_1, variant: 'a' });
  gift('cs_b', { amount: 1000, currency: 'eur', email: 'b@example.com', at: '2026-01-15T10:00:00Z', article: ARTICLE_1, variant: 'a' });
  add('charge.refunded', charge({ id: 'ch_b', payment_intent: 'pi_cs_b', amount: 1000, amount_refunded: 300 }), '2026-01-20T10:00:00Z');
  gift('cs_c', { amount: 5000, currency: 'usd', email: 'c@example.com', at: '2026-02-01T10:00:00Z', article: ARTICLE_2, variant: 'b' });
  add(
    'charge.refunded',
    charge({ id: 'ch_c', payment_intent: 'pi_cs_c', amount: 5000, amount_refunded: 5000, currency: 'usd' }),
    '2026-02-02T10:00:00Z',
  );
  gift('cs_d', { amount: 3000, currency: 'jpy', email: 'd@example.com', at: '2026-02-10T10:00:00Z', article: ARTICLE_2, variant: 'b' });
  const lost = dispute({ id: 'dp_d', charge: 'ch_d', payment_intent: 'pi_cs_d', amount: 3000, currency: 'jpy', status: 'needs_response' });
  add('charge.dispute.created', lost, '2026-02-12T10:00:00Z');
  add('charge.dispute.closed', { ...lost, status: 'lost' }, '2026-03-01T10:00:00Z');
  gift('cs_e', {
    amount: 700,
    currency: 'eur',
    email: 'p@example.com',
    at: '2026-03-02T10:00:00Z',
    article: ARTICLE_1,
    variant: 'a',
    unpaid: true,
  });

  const member = (o: {
    sub: string;
    email: string;
    amount: number;
    currency: string;
    interval: 'month' | 'year';
    start: string;
    article: string;
    variant: string;
    payments: string[];
    end?: string;
    session?: boolean;
  }) => {
    const customer = `cus_${o.email}`;
    const meta = { publication: 'demo', article_url: o.article, variant: o.variant, interval: o.interval };
    if (o.session) {
      add(
        'checkout.session.completed',
        checkoutSession({
          id: `cs_${o.sub}`,
          mode: 'subscription',
          amount: o.amount,
          currency: o.currency,
          customer,
          email: o.email,
          subscription: o.sub,
          created: ts(o.start),
          ...meta,
        }),
        o.start,
      );
    }
    const sub = (extra: Partial<Parameters<typeof subscription>[0]> = {}) =>
      subscription({ id: o.sub, customer, amount: o.amount, currency: o.currency, start_date: ts(o.start), ...meta, ...extra });
    add('customer.subscription.created', sub(), o.start);
    o.payments.forEach((at, i) => {
      add(
        'invoice.paid',
        invoice({
          id: `in_${o.sub}_${i}`,
          customer,
          subscription: o.sub,
          amount: o.amount,
          currency: o.currency,
          email: o.email,
          created: ts(at),
          paid_at: ts(at),
          billing_reason: i === 0 ? 'subscription_create' : 'subscription_cycle',
          ...meta,
        }),
        at,
      );
      add(
        'invoice_payment.paid',
        invoicePayment({
          id: `inpay_${o.sub}_${i}`,
          invoice: `in_${o.sub}_${i}`,
          payment_intent: `pi_in_${o.sub}_${i}`,
          amount: o.amount,
          currency: o.currency,
        }),
        at,
      );
    });
    if (o.end)
      add('customer.subscription.deleted', sub({ status: 'canceled', canceled_at: ts(o.end), ended_at: ts(o.end) }), o.end, {
        previous_attributes: { status: 'active' },
      });
  };
  member({
    sub: 'sub_m1',
    email: 'a@example.com',
    amount: 500,
    currency: 'eur',
    interval: 'month',
    start: '2026-01-05T09:00:00Z',
    article: ARTICLE_1,
    variant: 'a',
    payments: ['2026-01-05T09:00:00Z', '2026-02-05T09:00:00Z', '2026-03-05T09:00:00Z'],
    session: true,
  });
  member({
    sub: 'sub_m2',
    email: 'e@example.com',
    amount: 6000,
    currency: 'eur',
    interval: 'year',
    start: '2026-02-20T09:00:00Z',
    article: ARTICLE_2,
    variant: 'b',
    payments: ['2026-02-20T09:00:00Z'],
    session: true,
  });
  member({
    sub: 'sub_m3',
    email: 'f@example.com',
    amount: 300,
    currency: 'usd',
    interval: 'month',
    start: '2026-01-20T09:00:00Z',
    article: ARTICLE_3,
    variant: 'a',
    payments: ['2026-01-20T09:00:00Z', '2026-02-20T09:00:00Z'],
    end: '2026-03-10T09:00:00Z',
  });
  add('checkout.session.completed', checkoutSession({ id: 'cs_foreign', amount: 123456, email: 'x@example.com' }), '2026-02-01T00:00:00Z');
  return events;
}

export async function deliverAll(app: Express, events: Stripe.Event[]): Promise<void> {
  for (const event of events) {
    const res = await deliver(app, event);
    if (res.status !== 200) throw new Error(`${event.type} ${event.id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
