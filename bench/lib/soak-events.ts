import type Stripe from 'stripe';
import {
  charge,
  checkoutSession,
  customer,
  dispute,
  invoice,
  invoicePayment,
  stripeEvent,
  subscription,
} from '../../tests/helpers/stripe-objects.js';
import { BENCH_PUBLIC_URL } from './settings.js';

/*
 * The soak's webhook traffic: a deterministic plan of events in blocks of 25, built lazily (position i → event) with
 * the test builders (Stripe's canonical fixtures with overrides, pretty-printed as Stripe delivers them). Block b:
 *
 *  0-10  checkout.session.completed: one-off gift g = 12b+slot, paid (its own customer; e-mails repeat every 50,000
 *        gifts, so repeat donors share a supporter)
 *  11    checkout.session.completed: a SEPA gift, unpaid (payment pending)
 *  12    checkout.session.async_payment_succeeded (3 of 4) or _failed (1 of 4) for the SEPA gift of block b-3
 *  13    customer.subscription.created: membership b (monthly, every 7th yearly; eur or usd)
 *  14    checkout.session.completed in subscription mode for membership b (customer details)
 *  15    invoice.paid, subscription_create: the membership's first payment
 *  16    invoice_payment.paid: links that invoice to its payment intent
 *  17    invoice.paid, subscription_cycle: first renewal of membership b-40 (every 10th: invoice.payment_failed)
 *  18    invoice.paid: second renewal of membership b-80
 *  19    charge.refunded: full (even blocks) or half refund of a gift six blocks back
 *  20    charge.dispute.created (b % 8 = 0) / charge.dispute.closed lost or won (b % 8 = 4) for a gift ten blocks back;
 *        otherwise customer.updated: a new name, and every 5th block a new e-mail (that of another reader: the
 *        customer's history moves to that reader's supporter, and an emptied supporter is deleted)
 *  21    customer.subscription.updated for membership b-20: cancel at period end (every 5th) or a metadata change
 *  22    customer.subscription.deleted for membership b-60 (those set to cancel); otherwise checkout.session.expired
 *        for a subscription-mode session the soak created through POST /api/checkout
 *  23    checkout.session.completed for a one-off session the soak created through POST /api/checkout (paid)
 *  24    a redelivery (same id, same bytes) of the event 1 position back (every 4th block: likely concurrently with
 *        the first delivery) or 9 positions back
 * A slot whose subject does not exist (early blocks, an empty checkout queue, a yearly or canceled membership)
 * sends a fresh one-off gift instead, so every position is one delivery.
 */

export const SOAK_MIX_DESCRIPTION =
  'per 25 deliveries: 13 one-off gifts (1 SEPA pending → async succeeded/failed later), membership created + its subscription checkout + ' +
  'first invoice + invoice_payment link, 2 renewals (10 % failed), 1 refund (full/partial), 1 dispute step or customer.updated (name; ' +
  'every 5th an e-mail change that merges supporters), 1 subscription.updated, 1 subscription.deleted or checkout.session.expired, ' +
  '1 completion of a session created by POST /api/checkout, 1 redelivery (4 %)';

const AMOUNTS = [500, 1000, 1500, 2500, 5000];
const giftAmount = (g: number) => AMOUNTS[(g * 7 + Math.floor(g / 5)) % AMOUNTS.length]!;
const giftCurrency = (g: number) => (g % 5 === 4 ? 'usd' : 'eur');
const giftEmail = (g: number) => `reader${g % 50_000}@soak.example`;
const articleOf = (n: number) => `${BENCH_PUBLIC_URL}/2026/11/story-${n % 211}`;
const memberAmount = (m: number) => [500, 1000, 300][m % 3]!;
const memberCurrency = (m: number) => (m % 6 === 5 ? 'usd' : 'eur');
const memberInterval = (m: number): 'month' | 'year' => (m % 7 === 6 ? 'year' : 'month');
const canceling = (m: number) => m % 5 === 0;

export type BaseStatus = 'pending' | 'failed' | 'succeeded';

/** What the database should hold once an event has been answered 200: the soak's own record of what it sent. */
export type Fact =
  | {
      kind: 'payment';
      sourceId: string;
      amount: number;
      currency: string;
      paymentKind: 'one_off' | 'membership';
      base: BaseStatus;
      paymentIntentId: string | null;
    }
  | { kind: 'charge'; chargeId: string; paymentIntentId: string; amountRefunded: number }
  | { kind: 'dispute'; disputeId: string; paymentIntentId: string; status: string; snapshotAt: number }
  | { kind: 'membership'; subscriptionId: string }
  | { kind: 'session'; sessionId: string };

export interface SoakEvent {
  id: string;
  type: string;
  payload: string;
  facts: Fact[];
  /** True for a redelivery of an event sent before. */
  redelivery: boolean;
}

/** A Checkout Session the soak created through POST /api/checkout, waiting for its webhook. */
export interface CreatedSession {
  id: string;
  n: number;
  amount: number;
  currency: string;
  interval: 'once' | 'month' | 'year';
  articleUrl: string;
  variant: string | undefined;
  email: string | undefined;
}

function wrap(type: string, object: object, id: string, created: number, facts: Fact[], previous?: Record<string, unknown>): SoakEvent {
  const event = stripeEvent(type, object, { id, created, ...(previous ? { previous_attributes: previous } : {}) });
  return { id, type, payload: JSON.stringify(event, null, 2), facts, redelivery: false };
}

export class SoakPlan {
  /** One-off sessions created by POST /api/checkout, to complete (slot 23). */
  readonly toComplete: CreatedSession[] = [];
  /** Subscription-mode sessions created by POST /api/checkout, to expire (slot 22). */
  readonly toExpire: CreatedSession[] = [];
  private readonly recent = new Map<number, SoakEvent>();

  /** t0: the created time of position 0 (unix seconds); each position is `step` seconds later. */
  constructor(
    private readonly t0: number,
    private readonly step = 12,
  ) {}

  /** The event at position i; call in order of i (redeliveries and queues depend on what came before). */
  build(i: number): SoakEvent {
    const event = this.compose(i);
    this.recent.set(i, event);
    this.recent.delete(i - 16);
    return event;
  }

  private created(i: number): number {
    return this.t0 + i * this.step;
  }

  private compose(i: number): SoakEvent {
    const b = Math.floor(i / 25);
    const slot = i % 25;
    const id = `evt_soak_${i}`;
    const created = this.created(i);
    if (slot <= 11) return this.gift(12 * b + slot, id, created, slot === 11);
    switch (slot) {
      case 12:
        return b >= 3 ? this.sepaOutcome(12 * (b - 3) + 11, b - 3, id, created) : this.fallbackGift(i);
      case 13:
        return this.subscriptionEvent('customer.subscription.created', b, id, created);
      case 14:
        return this.subscriptionCheckout(b, id, created);
      case 15:
        return this.memberInvoice(b, 0, id, created, true);
      case 16:
        return wrap(
          'invoice_payment.paid',
          invoicePayment({
            id: `inpay_soak_${b}_0`,
            invoice: `in_soak_${b}_0`,
            payment_intent: `pi_in_soak_${b}_0`,
            amount: memberAmount(b),
            currency: memberCurrency(b),
          }),
          id,
          created,
          [],
        );
      case 17: {
        const m = b - 40;
        if (m < 0 || memberInterval(m) === 'year') return this.fallbackGift(i);
        return this.memberInvoice(m, 1, id, created, m % 10 !== 3);
      }
      case 18: {
        const m = b - 80;
        if (m < 0 || memberInterval(m) === 'year' || canceling(m)) return this.fallbackGift(i);
        return this.memberInvoice(m, 2, id, created, true);
      }
      case 19: {
        if (b < 6) return this.fallbackGift(i);
        const g = 12 * (b - 6) + (b % 11);
        const amount = giftAmount(g);
        const refunded = b % 2 === 0 ? amount : Math.floor(amount / 2);
        const pi = `pi_cs_soak_g${g}`;
        return wrap(
          'charge.refunded',
          charge({ id: `ch_soak_r${b}`, payment_intent: pi, amount, amount_refunded: refunded, currency: giftCurrency(g) }),
          id,
          created,
          [{ kind: 'charge', chargeId: `ch_soak_r${b}`, paymentIntentId: pi, amountRefunded: refunded }],
        );
      }
      case 20:
        return this.disputeOrCustomer(b, i, id, created);
      case 21: {
        const m = b - 20;
        if (m < 0) return this.fallbackGift(i);
        return canceling(m)
          ? this.subscriptionEvent(
              'customer.subscription.updated',
              m,
              id,
              created,
              { cancelAtPeriodEnd: true },
              { cancel_at_period_end: false },
            )
          : this.subscriptionEvent('customer.subscription.updated', m, id, created, {}, { metadata: {} });
      }
      case 22: {
        const m = b - 60;
        if (m >= 0 && canceling(m)) return this.subscriptionEvent('customer.subscription.deleted', m, id, created, { canceled: true });
        const s = this.toExpire.shift();
        return s ? this.createdSessionEvent('checkout.session.expired', s, id, created) : this.fallbackGift(i);
      }
      case 23: {
        const s = this.toComplete.shift();
        return s ? this.createdSessionEvent('checkout.session.completed', s, id, created) : this.fallbackGift(i);
      }
      default: {
        const back = b % 4 === 0 ? 1 : 9;
        const original = this.recent.get(i - back);
        if (!original) return this.fallbackGift(i);
        return { ...original, redelivery: true };
      }
    }
  }

  private gift(g: number, id: string, created: number, sepa: boolean): SoakEvent {
    const sessionId = `cs_soak_g${g}`;
    const s = checkoutSession({
      id: sessionId,
      amount: giftAmount(g),
      currency: giftCurrency(g),
      customer: `cus_soak_g${g}`,
      email: giftEmail(g),
      name: `Reader ${g % 50_000}`,
      payment_status: sepa ? 'unpaid' : 'paid',
      created: created - 90,
      publication: 'demo',
      article_url: articleOf(g),
      variant: g % 2 === 0 ? 'plea-a' : 'plea-b',
      interval: 'once',
    });
    return wrap('checkout.session.completed', s, id, created, [
      { kind: 'session', sessionId },
      {
        kind: 'payment',
        sourceId: sessionId,
        amount: giftAmount(g),
        currency: giftCurrency(g),
        paymentKind: 'one_off',
        base: sepa ? 'pending' : 'succeeded',
        paymentIntentId: `pi_${sessionId}`,
      },
    ]);
  }

  private fallbackGift(i: number): SoakEvent {
    const g = 1_000_000 + i;
    const sessionId = `cs_soak_f${i}`;
    const s = checkoutSession({
      id: sessionId,
      amount: giftAmount(g),
      currency: giftCurrency(g),
      customer: `cus_soak_f${i}`,
      email: giftEmail(g),
      name: `Reader ${g % 50_000}`,
      created: this.created(i) - 90,
      publication: 'demo',
      article_url: articleOf(g),
      variant: 'plea-a',
      interval: 'once',
    });
    return wrap('checkout.session.completed', s, `evt_soak_${i}`, this.created(i), [
      { kind: 'session', sessionId },
      {
        kind: 'payment',
        sourceId: sessionId,
        amount: giftAmount(g),
        currency: giftCurrency(g),
        paymentKind: 'one_off',
        base: 'succeeded',
        paymentIntentId: `pi_${sessionId}`,
      },
    ]);
  }

  private sepaOutcome(g: number, block: number, id: string, created: number): SoakEvent {
    const failed = block % 4 === 0;
    const sessionId = `cs_soak_g${g}`;
    const s = checkoutSession({
      id: sessionId,
      amount: giftAmount(g),
      currency: giftCurrency(g),
      customer: `cus_soak_g${g}`,
      email: giftEmail(g),
      name: `Reader ${g % 50_000}`,
      payment_status: failed ? 'unpaid' : 'paid',
      created: this.created(25 * block + 11) - 90,
      publication: 'demo',
      article_url: articleOf(g),
      variant: g % 2 === 0 ? 'plea-a' : 'plea-b',
      interval: 'once',
    });
    return wrap(failed ? 'checkout.session.async_payment_failed' : 'checkout.session.async_payment_succeeded', s, id, created, [
      { kind: 'session', sessionId },
      {
        kind: 'payment',
        sourceId: sessionId,
        amount: giftAmount(g),
        currency: giftCurrency(g),
        paymentKind: 'one_off',
        base: failed ? 'failed' : 'succeeded',
        paymentIntentId: `pi_${sessionId}`,
      },
    ]);
  }

  private subscriptionEvent(
    type: string,
    m: number,
    id: string,
    created: number,
    o: { cancelAtPeriodEnd?: boolean; canceled?: boolean } = {},
    previous?: Record<string, unknown>,
  ): SoakEvent {
    const start = this.created(25 * m + 13);
    const sub = subscription({
      id: `sub_soak_${m}`,
      customer: `cus_soak_m${m}`,
      status: o.canceled ? 'canceled' : 'active',
      amount: memberAmount(m),
      currency: memberCurrency(m),
      interval: memberInterval(m),
      start_date: start,
      cancel_at_period_end: o.cancelAtPeriodEnd ?? (o.canceled ? true : false),
      canceled_at: o.canceled || o.cancelAtPeriodEnd ? created : null,
      ended_at: o.canceled ? created : null,
      publication: 'demo',
      article_url: articleOf(m),
      variant: 'member-a',
    });
    return wrap(type, sub, id, created, [{ kind: 'membership', subscriptionId: `sub_soak_${m}` }], previous);
  }

  private subscriptionCheckout(m: number, id: string, created: number): SoakEvent {
    const sessionId = `cs_soak_m${m}`;
    const s = checkoutSession({
      id: sessionId,
      mode: 'subscription',
      amount: memberAmount(m),
      currency: memberCurrency(m),
      customer: `cus_soak_m${m}`,
      email: `member${m}@soak.example`,
      name: `Member ${m}`,
      subscription: `sub_soak_${m}`,
      created: created - 120,
      publication: 'demo',
      article_url: articleOf(m),
      variant: 'member-a',
      interval: memberInterval(m),
    });
    return wrap('checkout.session.completed', s, id, created, [{ kind: 'session', sessionId }]);
  }

  private memberInvoice(m: number, cycle: number, id: string, created: number, paid: boolean): SoakEvent {
    const invoiceId = `in_soak_${m}_${cycle}`;
    const inv = invoice({
      id: invoiceId,
      customer: `cus_soak_m${m}`,
      subscription: `sub_soak_${m}`,
      amount: memberAmount(m),
      currency: memberCurrency(m),
      email: `member${m}@soak.example`,
      name: `Member ${m}`,
      paid,
      billing_reason: cycle === 0 ? 'subscription_create' : 'subscription_cycle',
      created: created - 30,
      paid_at: paid ? created : null,
      publication: 'demo',
      article_url: articleOf(m),
      variant: 'member-a',
      interval: memberInterval(m),
    });
    return wrap(paid ? 'invoice.paid' : 'invoice.payment_failed', inv, id, created, [
      {
        kind: 'payment',
        sourceId: invoiceId,
        amount: memberAmount(m),
        currency: memberCurrency(m),
        paymentKind: 'membership',
        base: paid ? 'succeeded' : 'failed',
        paymentIntentId: null,
      },
    ]);
  }

  private disputeOrCustomer(b: number, i: number, id: string, created: number): SoakEvent {
    if (b % 8 === 0 && b >= 10) {
      const g = 12 * (b - 10) + 3;
      const pi = `pi_cs_soak_g${g}`;
      return wrap(
        'charge.dispute.created',
        dispute({
          id: `dp_soak_${b}`,
          charge: `ch_soak_d${b}`,
          payment_intent: pi,
          amount: giftAmount(g),
          status: 'needs_response',
          currency: giftCurrency(g),
        }),
        id,
        created,
        [{ kind: 'dispute', disputeId: `dp_soak_${b}`, paymentIntentId: pi, status: 'needs_response', snapshotAt: created }],
      );
    }
    if (b % 8 === 4 && b >= 14) {
      const d = b - 4;
      const g = 12 * (d - 10) + 3;
      const pi = `pi_cs_soak_g${g}`;
      const status: Stripe.Dispute.Status = (d / 8) % 2 === 0 ? 'lost' : 'won';
      return wrap(
        'charge.dispute.closed',
        dispute({
          id: `dp_soak_${d}`,
          charge: `ch_soak_d${d}`,
          payment_intent: pi,
          amount: giftAmount(g),
          status,
          currency: giftCurrency(g),
        }),
        id,
        created,
        [{ kind: 'dispute', disputeId: `dp_soak_${d}`, paymentIntentId: pi, status, snapshotAt: created }],
      );
    }
    if (b < 3) return this.fallbackGift(i);
    const g = 12 * (b - 3) + 5;
    const email = b % 5 === 0 ? giftEmail(12 * (b - 3) + 6) : giftEmail(g);
    return wrap('customer.updated', customer({ id: `cus_soak_g${g}`, email, name: `Reader ${g % 50_000} (renamed)` }), id, created, []);
  }

  private createdSessionEvent(
    type: 'checkout.session.completed' | 'checkout.session.expired',
    c: CreatedSession,
    id: string,
    created: number,
  ): SoakEvent {
    const once = c.interval === 'once';
    const expired = type === 'checkout.session.expired';
    const s = checkoutSession({
      id: c.id,
      mode: once ? 'payment' : 'subscription',
      amount: c.amount,
      currency: c.currency,
      customer: expired ? null : `cus_soak_c${c.n}`,
      email: expired ? null : (c.email ?? `buyer${c.n}@soak.example`),
      name: expired ? null : `Buyer ${c.n}`,
      payment_status: expired ? 'unpaid' : 'paid',
      status: expired ? 'expired' : 'complete',
      payment_intent: expired ? null : undefined,
      subscription: once ? null : `sub_soak_c${c.n}`,
      created: created - 600,
      publication: 'demo',
      article_url: c.articleUrl,
      ...(c.variant ? { variant: c.variant } : {}),
      interval: c.interval,
    });
    const facts: Fact[] = [{ kind: 'session', sessionId: c.id }];
    if (!expired && once) {
      facts.push({
        kind: 'payment',
        sourceId: c.id,
        amount: c.amount,
        currency: c.currency,
        paymentKind: 'one_off',
        base: 'succeeded',
        paymentIntentId: `pi_${c.id}`,
      });
    }
    return wrap(type, s, id, created, facts);
  }
}

/** POST /api/checkout body n, as the widget sends it (as in bench/checkout.bench.ts, with a third of them carrying an e-mail). */
export function checkoutRequest(n: number): { body: string; session: Omit<CreatedSession, 'id'> } {
  const slot = n % 20;
  const interval = slot < 16 ? 'once' : slot < 19 ? 'month' : 'year';
  const amount = interval === 'once' ? [500, 1000, 2500, 5000][n % 4]! : interval === 'month' ? [500, 1000][n % 2]! : 5000;
  const currency = n % 9 === 0 ? 'usd' : 'eur';
  const story = `${BENCH_PUBLIC_URL}/2026/11/story-${n % 211}`;
  const variant = n % 10 === 9 ? undefined : n % 2 === 0 ? 'plea-a' : 'plea-b';
  const email = n % 3 === 0 ? `buyer${n}@soak.example` : undefined;
  const body = JSON.stringify({
    publication: 'demo',
    amount,
    currency,
    interval,
    article_url: `${story}?utm_source=newsletter&utm_medium=email`,
    ...(variant ? { variant } : {}),
    ...(email ? { email } : {}),
    ...(n % 5 === 0 ? { locale: ['it', 'de', 'fr-CA', 'pt-BR', 'en'][n % 5]! } : {}),
  });
  // The service stores the article URL without tracking parameters: that is what Stripe's metadata will carry.
  return { body, session: { n, amount, currency, interval, articleUrl: story, variant, email } };
}
