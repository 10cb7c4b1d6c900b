/**
 * Stripe delivers webhooks at least once and in no particular order. This property test builds
 * realistic histories for several supporters across both publications, delivers each history once
 * in the order the events happened, then in random orders with random redeliveries, and checks
 * that the database ends in exactly the same state every time. It also checks the state against
 * what the history says should be true (an oracle computed from the generator), so a handler that
 * is wrong in the same way in every order is caught too.
 *
 * Knobs (environment): ORDERING_RUNS (default 20), ORDERING_SEED (replay a reported seed),
 * ORDERING_SHRINK=0 (report the first counterexample unshrunk: faster while debugging),
 * ORDERING_CONCURRENT_ROUNDS (bursts in the concurrency test; default 15 on Postgres, 2 on PGlite).
 */
import fc from 'fast-check';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseEmail } from '../../src/supporters/supporter.service.js';
import { resetData } from '../helpers/reset-data.js';
import {
  charge,
  checkoutSession,
  customer,
  dispute,
  invoice,
  invoicePayment,
  stripeEvent,
  subscription,
  T0,
} from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { deliver, post } from '../helpers/webhook-delivery.js';
import { inboxOnlyApp, settleInbox } from '../helpers/inbox.js';
import type { Express } from 'express';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { createWebhookApplier } from '../../src/webhooks/webhook-applier.js';

// ---------------------------------------------------------------------------------------------
// The plan: plain data fast-check generates and shrinks; buildHistory turns it into Stripe events.
// ---------------------------------------------------------------------------------------------

const PUBLICATIONS = [
  { slug: 'demo', site: 'https://news.example', currencies: ['eur', 'usd'] },
  { slug: 'italia', site: 'https://favore.example', currencies: ['eur', 'jpy'] },
] as const;

// Few addresses, so journeys often share one (the same person giving again under a new Stripe
// customer) and e-mail changes often land on another supporter's address (a merge).
const EMAILS = ['ada@example.com', 'bruno@example.org', 'chiara@example.net', 'dario@example.com'];
// One word each with distinct initials, so every collation orders them the same way.
const NAMES = ['Ada', 'Bruno', 'Chiara', 'Dario', 'Elena', 'Fumiko', 'Giulia', 'Hiro'];

const DAY = 86_400;

type Kind = 'gift' | 'async_gift' | 'membership' | 'expired';
type RefundPlan = 'none' | 'partial' | 'full' | 'partial_then_full' | 'two_partials';
type DisputePlan = 'none' | 'open' | 'under_review' | 'won' | 'lost' | 'inquiry_closed';
type CancelPlan = 'none' | 'at_period_end' | 'at_period_end_then_deleted' | 'deleted';

interface CustomerUpdatePlan {
  /**
   * anywhere: at any time in the journey. in_flight: while an older copy of the details is still on
   * its way (between checkout and a delayed payment's outcome, or between a failed renewal and its
   * retry), where later events carry the details as they were before the update.
   */
  window: 'anywhere' | 'in_flight';
  /** When, in percent of the window (past 100: after it, for 'anywhere'). */
  at: number;
  name: number | null;
  email: number | null;
  shout: boolean;
}

interface JourneyPlan {
  publication: 0 | 1;
  email: number;
  /** Typed with capitals (Stripe keeps what the reader typed; supporters are keyed case-insensitively). */
  shout: boolean;
  name: number;
  kind: Kind;
  currency: 0 | 1;
  amountStep: number;
  day: number;
  variant: boolean;
  asyncOutcome: 'succeeded' | 'failed' | 'pending';
  refund: RefundPlan;
  dispute: DisputePlan;
  /** Memberships: which invoice is refunded or disputed. */
  troubledInvoice: number;
  interval: 'month' | 'year';
  renewals: number;
  /** Memberships: the renewal (1-based) whose first attempt fails and is retried three days later (0 or past `renewals`: none). */
  failedRenewal: number;
  createdIncomplete: boolean;
  cancel: CancelPlan;
  updates: CustomerUpdatePlan[];
}

type ForeignKind =
  'gift_without_metadata' | 'gift_unknown_slug' | 'membership_without_metadata' | 'membership_unknown_slug' | 'charge' | 'customer';

interface ForeignPlan {
  kind: ForeignKind;
  email: number;
  day: number;
}

interface HistoryPlan {
  journeys: JourneyPlan[];
  foreign: ForeignPlan[];
}

const customerUpdateArb: fc.Arbitrary<CustomerUpdatePlan> = fc.record({
  window: fc.constantFrom('anywhere' as const, 'in_flight' as const),
  at: fc.integer({ min: 0, max: 130 }),
  name: fc.option(fc.integer({ min: 0, max: NAMES.length - 1 }), { nil: null }),
  email: fc.option(fc.integer({ min: 0, max: EMAILS.length - 1 }), { nil: null, freq: 2 }),
  shout: fc.boolean(),
});

// Unbiased: fast-check's default bias towards the smallest values would make the first option of
// every choice (no renewal, no refund, no failed retry) far likelier than the rest.
const journeyArb: fc.Arbitrary<JourneyPlan> = fc.noBias(
  fc.record({
    publication: fc.constantFrom(0 as const, 1 as const),
    email: fc.integer({ min: 0, max: EMAILS.length - 1 }),
    shout: fc.boolean(),
    name: fc.integer({ min: 0, max: NAMES.length - 1 }),
    kind: fc.constantFrom<Kind>('gift', 'gift', 'async_gift', 'membership', 'membership', 'expired'),
    currency: fc.constantFrom(0 as const, 1 as const),
    amountStep: fc.integer({ min: 1, max: 20 }),
    day: fc.integer({ min: 0, max: 20 }),
    variant: fc.boolean(),
    asyncOutcome: fc.constantFrom('succeeded' as const, 'succeeded' as const, 'failed' as const, 'pending' as const),
    refund: fc.constantFrom<RefundPlan>('none', 'none', 'partial', 'full', 'partial_then_full', 'two_partials'),
    dispute: fc.constantFrom<DisputePlan>('none', 'none', 'none', 'open', 'under_review', 'won', 'lost', 'inquiry_closed'),
    troubledInvoice: fc.nat({ max: 2 }),
    interval: fc.constantFrom('month' as const, 'month' as const, 'year' as const),
    renewals: fc.integer({ min: 0, max: 2 }),
    failedRenewal: fc.integer({ min: 0, max: 3 }),
    createdIncomplete: fc.boolean(),
    cancel: fc.constantFrom<CancelPlan>('none', 'none', 'at_period_end', 'at_period_end_then_deleted', 'deleted'),
    updates: fc.array(customerUpdateArb, { maxLength: 2 }),
  }),
);

const foreignArb: fc.Arbitrary<ForeignPlan> = fc.noBias(
  fc.record({
    kind: fc.constantFrom<ForeignKind>(
      'gift_without_metadata',
      'gift_unknown_slug',
      'membership_without_metadata',
      'membership_unknown_slug',
      'charge',
      'customer',
    ),
    email: fc.integer({ min: 0, max: EMAILS.length - 1 }),
    day: fc.integer({ min: 0, max: 20 }),
  }),
);

const historyPlanArb: fc.Arbitrary<HistoryPlan> = fc.record({
  journeys: fc.array(journeyArb, { minLength: 3, maxLength: 8 }),
  foreign: fc.array(foreignArb, { maxLength: 3 }),
});

// ---------------------------------------------------------------------------------------------
// What the history says the database must hold, independently of how the service computes it.
// ---------------------------------------------------------------------------------------------

interface ExpectedPayment {
  kind: 'one_off' | 'membership';
  amount: number;
  currency: string;
  base_status: 'pending' | 'failed' | 'succeeded';
  status: string;
  refunded_amount: number;
  dispute_status: string | null;
  supporter_email: string;
  customer_id: string;
  payment_intent_id: string;
  subscription_id: string | null;
  paid_at: string | null;
}

interface ExpectedMembership {
  status: string;
  cancel_at_period_end: boolean;
  supporter_email: string;
  customer_id: string;
  amount: number;
  currency: string;
  interval: string;
  status_changes: number;
}

interface Expected {
  supporters: Array<{ publication: string; email: string; name: string }>;
  payments: Record<string, ExpectedPayment>;
  memberships: Record<string, ExpectedMembership>;
  sessions: Record<string, { status: string; payment_status: string }>;
  eventCount: number;
  /** Ids of objects that belong to no publication of ours: they must appear in no domain table. */
  foreignIds: string[];
}

interface History {
  /** In the order Stripe created them (event.created, then generation order). */
  events: Stripe.Event[];
  expected: Expected;
}

// Open and lost disputes count against a payment; won ones and closed inquiries do not.
const COUNTS_AS_DISPUTED = new Set(['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review', 'lost']);

function expectedStatus(base: ExpectedPayment['base_status'], amount: number, refunded: number, disputeStatus: string | null): string {
  if (base !== 'succeeded') return base;
  if (disputeStatus && COUNTS_AS_DISPUTED.has(disputeStatus)) return 'disputed';
  if (refunded >= amount) return 'refunded';
  if (refunded > 0) return 'partially_refunded';
  return 'succeeded';
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

const shouted = (email: string) => email.replace(/^./, (c) => c.toUpperCase()).replace(/@[^@]*$/, (domain) => domain.toUpperCase());

interface ContactState {
  email: string;
  name: string;
}

/** Everything a single Stripe customer's details were, over time. */
class CustomerTimeline {
  private readonly changes: Array<{ at: number; state: ContactState }>;
  /** Times at which events carried this customer's details (for "the newest name wins"). */
  readonly observedAt: number[] = [];
  constructor(initial: ContactState, start: number) {
    this.changes = [{ at: start, state: initial }];
  }
  change(at: number, state: ContactState): ContactState {
    const before = this.at(at);
    this.changes.push({ at, state });
    this.changes.sort((a, b) => a.at - b.at);
    return before;
  }
  /** The details as they were at `time` (changes happen on odd seconds, other events on even ones). */
  at(time: number): ContactState {
    let state = this.changes[0]!.state;
    for (const c of this.changes) if (c.at <= time) state = c.state;
    return state;
  }
  get final(): ContactState {
    return this.changes[this.changes.length - 1]!.state;
  }
  observe(at: number): void {
    this.observedAt.push(at);
  }
}

/** Turns a plan into the events Stripe would send for it, and what the database should then hold. */
function buildHistory(plan: HistoryPlan): History {
  const staged: Array<{ event: Stripe.Event; order: number }> = [];
  let counter = 0;
  const emit = (type: string, object: { object?: string } & object, created: number, previous?: Record<string, unknown>) => {
    counter += 1;
    const id = `evt_${String(counter).padStart(4, '0')}_${type.replace(/[^a-z]/g, '')}`;
    staged.push({
      event: stripeEvent(type, object, { id, created, ...(previous ? { previous_attributes: previous } : {}) }),
      order: counter,
    });
  };

  const payments: Record<string, ExpectedPayment> = {};
  const memberships: Record<string, ExpectedMembership> = {};
  const sessions: Record<string, { status: string; payment_status: string }> = {};
  const customers: Array<{ id: string; publication: string; timeline: CustomerTimeline }> = [];
  const foreignIds: string[] = [];

  plan.journeys.forEach((j, index) => {
    const pub = PUBLICATIONS[j.publication];
    const currency = pub.currencies[j.currency];
    const amount = currency === 'jpy' ? j.amountStep * 300 + 1 : j.amountStep * 250 + 1; // odd: refunds split unevenly
    // Journeys start hours apart (even seconds); customer updates happen on odd seconds.
    const start = T0 + j.day * DAY + index * 7_200;
    const key = `j${index}`;
    const meta = {
      publication: pub.slug,
      article_url: `${pub.site}/2026/story-${index}`,
      variant: j.variant ? `plea-${index % 3}` : '',
    };
    const sessionId = `cs_${key}`;
    const customerId = `cus_${key}`;

    if (j.kind === 'expired') {
      const session = checkoutSession({
        id: sessionId,
        amount,
        currency,
        customer: null,
        email: null,
        status: 'expired',
        payment_status: 'unpaid',
        created: start - DAY,
        ...meta,
      });
      emit('checkout.session.expired', session, start);
      sessions[sessionId] = { status: 'expired', payment_status: 'unpaid' };
      return;
    }

    const firstEmail = j.shout ? shouted(EMAILS[j.email]!) : EMAILS[j.email]!;
    const timeline = new CustomerTimeline({ email: firstEmail, name: NAMES[j.name]! }, start);
    customers.push({ id: customerId, publication: pub.slug, timeline });

    // The reader edits their details (billing portal, dashboard) at any time after checkout.
    // Planned before the journey's events, which carry the details as they were at their time.
    const period = (j.interval === 'month' ? 31 : 366) * DAY;
    const span = j.kind === 'membership' ? (j.renewals + 1) * period : (j.kind === 'async_gift' ? 3 * DAY : 0) + 30 * DAY;
    const failingRenewal = j.kind === 'membership' && j.failedRenewal >= 1 && j.failedRenewal <= j.renewals;
    const inFlight: [number, number] | null =
      j.kind === 'async_gift'
        ? [start, start + 3 * DAY]
        : failingRenewal
          ? [start + j.failedRenewal * period, start + j.failedRenewal * period + 3 * DAY]
          : null;
    const times = j.updates
      .map((u) => {
        const [from, length] =
          u.window === 'in_flight' && inFlight ? [inFlight[0], Math.min(100, u.at) * (inFlight[1] - inFlight[0])] : [start, u.at * span];
        return from + 2 * Math.floor(length / 200) + 1; // odd seconds: never at the same time as the journey's other events
      })
      .sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) if (times[i]! <= times[i - 1]!) times[i] = times[i - 1]! + 2;
    j.updates.forEach((u, i) => {
      const at = times[i]!;
      const current = timeline.at(at);
      const email = u.email === null ? current.email : u.shout ? shouted(EMAILS[u.email]!) : EMAILS[u.email]!;
      const name = u.name === null ? current.name : NAMES[u.name]!;
      const before = timeline.change(at, { email, name });
      const previous: Record<string, unknown> = {};
      if (before.email !== email) previous.email = before.email;
      if (before.name !== name) previous.name = before.name;
      if (Object.keys(previous).length === 0) previous.metadata = {}; // an update about something else
      emit('customer.updated', customer({ id: customerId, email, name }), at, previous);
      timeline.observe(at);
    });

    // Refunds and disputes of one charge, after its payment at `paidAt`.
    const troubles = (chargeId: string, paymentIntentId: string, paidAt: number): { refunded: number; disputeStatus: string | null } => {
      const steps: number[] =
        j.refund === 'none'
          ? []
          : j.refund === 'partial'
            ? [Math.floor(amount / 3)]
            : j.refund === 'full'
              ? [amount]
              : j.refund === 'partial_then_full'
                ? [Math.floor(amount / 3), amount]
                : [Math.floor(amount / 3), Math.floor(amount / 3) + Math.floor(amount / 4)];
      steps.forEach((refunded, i) => {
        emit(
          'charge.refunded',
          charge({ id: chargeId, payment_intent: paymentIntentId, amount, amount_refunded: refunded, currency }),
          paidAt + (2 + 2 * i) * DAY,
        );
      });
      const refunded = steps.at(-1) ?? 0;
      // A fully refunded charge cannot be disputed.
      if (j.dispute === 'none' || refunded >= amount) return { refunded, disputeStatus: null };
      const inquiry = j.dispute === 'inquiry_closed';
      const disputeOf = (status: Stripe.Dispute.Status) =>
        dispute({ id: `dp_${chargeId}`, charge: chargeId, payment_intent: paymentIntentId, amount: amount - refunded, currency, status });
      const openedAt = paidAt + 6 * DAY;
      emit('charge.dispute.created', disputeOf(inquiry ? 'warning_needs_response' : 'needs_response'), openedAt);
      if (j.dispute === 'open') return { refunded, disputeStatus: 'needs_response' };
      if (!inquiry) emit('charge.dispute.updated', disputeOf('under_review'), openedAt + 2 * DAY, { status: 'needs_response' });
      if (j.dispute === 'under_review') return { refunded, disputeStatus: 'under_review' };
      const closed: Stripe.Dispute.Status = inquiry ? 'warning_closed' : j.dispute === 'won' ? 'won' : 'lost';
      emit('charge.dispute.closed', disputeOf(closed), openedAt + 20 * DAY, {
        status: inquiry ? 'warning_needs_response' : 'under_review',
      });
      return { refunded, disputeStatus: closed };
    };

    if (j.kind === 'gift' || j.kind === 'async_gift') {
      const paymentIntentId = `pi_${key}`;
      const contact = timeline.at(start);
      const asyncGift = j.kind === 'async_gift';
      // The session as Checkout finished it; later events about it carry the same customer_details.
      const session = (paymentStatus: 'paid' | 'unpaid') =>
        checkoutSession({
          id: sessionId,
          amount,
          currency,
          customer: customerId,
          email: contact.email,
          name: contact.name,
          payment_status: paymentStatus,
          payment_intent: paymentIntentId,
          created: start - 600,
          ...meta,
        });
      emit('checkout.session.completed', session(asyncGift ? 'unpaid' : 'paid'), start);
      timeline.observe(start);

      let base: ExpectedPayment['base_status'] = 'succeeded';
      let paidAt: number | null = start;
      if (asyncGift) {
        const settledAt = start + 3 * DAY;
        if (j.asyncOutcome === 'succeeded') {
          emit('checkout.session.async_payment_succeeded', session('paid'), settledAt);
          paidAt = settledAt;
        } else {
          if (j.asyncOutcome === 'failed') emit('checkout.session.async_payment_failed', session('unpaid'), settledAt);
          base = j.asyncOutcome === 'failed' ? 'failed' : 'pending';
          paidAt = null;
        }
      }
      const { refunded, disputeStatus } =
        paidAt !== null ? troubles(`ch_${key}`, paymentIntentId, paidAt) : { refunded: 0, disputeStatus: null };
      sessions[sessionId] = { status: 'complete', payment_status: base === 'succeeded' ? 'paid' : 'unpaid' };
      payments[sessionId] = {
        kind: 'one_off',
        amount,
        currency,
        base_status: base,
        status: expectedStatus(base, amount, refunded, disputeStatus),
        refunded_amount: refunded,
        dispute_status: disputeStatus,
        supporter_email: '', // filled in once the customer's final e-mail is known
        customer_id: customerId,
        payment_intent_id: paymentIntentId,
        subscription_id: null,
        paid_at: paidAt === null ? null : iso(paidAt),
      };
    } else {
      // A membership: Checkout creates the subscription and pays its first invoice in one go.
      const subscriptionId = `sub_${key}`;
      const subMeta = { ...meta, interval: j.interval };
      const sub = (o: Partial<Parameters<typeof subscription>[0]>) =>
        subscription({ id: subscriptionId, customer: customerId, amount, currency, start_date: start, ...subMeta, ...o });
      const contact = timeline.at(start);
      emit(
        'checkout.session.completed',
        checkoutSession({
          id: sessionId,
          mode: 'subscription',
          amount,
          currency,
          customer: customerId,
          email: contact.email,
          name: contact.name,
          subscription: subscriptionId,
          created: start - 300,
          ...subMeta,
        }),
        start,
      );
      timeline.observe(start);
      sessions[sessionId] = { status: 'complete', payment_status: 'paid' };
      let statusChanges = 1;
      emit(
        'customer.subscription.created',
        sub({ status: j.createdIncomplete ? 'incomplete' : 'active', current_period_end: start + period }),
        start,
      );
      if (j.createdIncomplete) {
        emit('customer.subscription.updated', sub({ status: 'active', current_period_end: start + period }), start + 2, {
          status: 'incomplete',
        });
        statusChanges += 1;
      }

      const invoices: Array<{ id: string; paidAt: number }> = [];
      // An invoice's customer_email and customer_name freeze when it is finalized (here: when created).
      const invoiceOf = (k: number, createdAt: number, paidAt: number | null) => {
        const contactThen = timeline.at(createdAt);
        const inv = invoice({
          id: `in_${key}_${k}`,
          customer: customerId,
          subscription: subscriptionId,
          amount,
          currency,
          email: contactThen.email,
          name: contactThen.name,
          paid: paidAt !== null,
          billing_reason: k === 0 ? 'subscription_create' : 'subscription_cycle',
          created: createdAt,
          paid_at: paidAt,
          ...subMeta,
        });
        return { ...inv, status_transitions: { ...inv.status_transitions, finalized_at: createdAt } };
      };
      const pay = (k: number, createdAt: number, paidAt: number) => {
        emit('invoice.paid', invoiceOf(k, createdAt, paidAt), paidAt);
        emit(
          'invoice_payment.paid',
          invoicePayment({ id: `inpay_${key}_${k}`, invoice: `in_${key}_${k}`, payment_intent: `pi_in_${key}_${k}`, amount, currency }),
          paidAt,
        );
        invoices.push({ id: `in_${key}_${k}`, paidAt });
      };
      pay(0, start, start);
      timeline.observe(start);

      for (let k = 1; k <= j.renewals; k++) {
        const renewAt = start + k * period;
        const nextEnd = start + (k + 1) * period;
        if (k === j.failedRenewal) {
          emit('invoice.payment_failed', invoiceOf(k, renewAt, null), renewAt + 2);
          emit('customer.subscription.updated', sub({ status: 'past_due', current_period_end: nextEnd }), renewAt + 4, {
            status: 'active',
          });
          const retryAt = renewAt + 3 * DAY;
          pay(k, renewAt, retryAt);
          emit('customer.subscription.updated', sub({ status: 'active', current_period_end: nextEnd }), retryAt + 2, {
            status: 'past_due',
          });
          statusChanges += 2;
        } else {
          emit('customer.subscription.updated', sub({ status: 'active', current_period_end: nextEnd }), renewAt, {
            latest_invoice: `in_${key}_${k - 1}`,
          });
          pay(k, renewAt, renewAt + 2);
        }
        timeline.observe(renewAt);
      }

      const periodEnd = start + (j.renewals + 1) * period;
      const cancelAt = periodEnd - period / 2;
      let status = 'active';
      let cancelAtPeriodEnd = false;
      if (j.cancel === 'at_period_end' || j.cancel === 'at_period_end_then_deleted') {
        emit(
          'customer.subscription.updated',
          sub({ status: 'active', current_period_end: periodEnd, cancel_at_period_end: true, canceled_at: cancelAt }),
          cancelAt,
          {
            cancel_at_period_end: false,
            canceled_at: null,
          },
        );
        cancelAtPeriodEnd = true;
        if (j.cancel === 'at_period_end_then_deleted') {
          emit(
            'customer.subscription.deleted',
            sub({
              status: 'canceled',
              current_period_end: periodEnd,
              cancel_at_period_end: true,
              canceled_at: cancelAt,
              ended_at: periodEnd,
            }),
            periodEnd,
          );
          status = 'canceled';
          statusChanges += 1;
        }
      } else if (j.cancel === 'deleted') {
        emit(
          'customer.subscription.deleted',
          sub({ status: 'canceled', current_period_end: periodEnd, canceled_at: cancelAt, ended_at: cancelAt }),
          cancelAt,
        );
        status = 'canceled';
        statusChanges += 1;
      }
      memberships[subscriptionId] = {
        status,
        cancel_at_period_end: cancelAtPeriodEnd,
        supporter_email: '',
        customer_id: customerId,
        amount,
        currency,
        interval: j.interval,
        status_changes: statusChanges,
      };

      const troubled = invoices[j.troubledInvoice % invoices.length]!;
      const troubledK = troubled.id.split('_').at(-1)!;
      const { refunded, disputeStatus } = troubles(`ch_in_${key}_${troubledK}`, `pi_in_${key}_${troubledK}`, troubled.paidAt);
      for (const inv of invoices) {
        const k = inv.id.split('_').at(-1)!;
        const isTroubled = inv.id === troubled.id;
        payments[inv.id] = {
          kind: 'membership',
          amount,
          currency,
          base_status: 'succeeded',
          status: isTroubled ? expectedStatus('succeeded', amount, refunded, disputeStatus) : 'succeeded',
          refunded_amount: isTroubled ? refunded : 0,
          dispute_status: isTroubled ? disputeStatus : null,
          supporter_email: '',
          customer_id: customerId,
          payment_intent_id: `pi_in_${key}_${k}`,
          subscription_id: subscriptionId,
          paid_at: iso(inv.paidAt),
        };
      }
    }
  });

  // Supporters: one per publication and (normalised) current e-mail; its name is the name most
  // recently seen on any of its customers.
  const groups = new Map<string, { publication: string; email: string; name: string; seenAt: number }>();
  const supporterEmailOf = new Map<string, string>();
  for (const c of customers) {
    const final = c.timeline.final;
    const email = normaliseEmail(final.email)!;
    supporterEmailOf.set(c.id, email);
    const seenAt = Math.max(...c.timeline.observedAt);
    const k = `${c.publication}\u0000${email}`;
    const g = groups.get(k);
    if (!g || seenAt > g.seenAt || (seenAt === g.seenAt && final.name > g.name)) {
      groups.set(k, { publication: c.publication, email, name: final.name, seenAt });
    }
  }
  for (const p of Object.values(payments)) p.supporter_email = supporterEmailOf.get(p.customer_id)!;
  for (const m of Object.values(memberships)) m.supporter_email = supporterEmailOf.get(m.customer_id)!;

  plan.foreign.forEach((f, index) => {
    const at = T0 + f.day * DAY + index * 3_600 + 1_000;
    const key = `x${index}`;
    const email = EMAILS[f.email]!;
    const customerId = `cus_${key}`;
    foreignIds.push(customerId, `cs_${key}`, `sub_${key}`, `in_${key}`, `pi_${key}`, `ch_${key}`);
    // No metadata at all (another product on the same Stripe account), or another publication's slug.
    const publication = f.kind.endsWith('unknown_slug') ? 'gazette' : undefined;
    switch (f.kind) {
      case 'gift_without_metadata':
      case 'gift_unknown_slug': {
        const session = checkoutSession({
          id: `cs_${key}`,
          amount: 1200,
          customer: customerId,
          email,
          name: 'Stranger',
          payment_intent: `pi_${key}`,
          created: at - 60,
          publication,
        });
        emit('checkout.session.completed', session, at);
        emit('charge.refunded', charge({ id: `ch_${key}`, payment_intent: `pi_${key}`, amount: 1200, amount_refunded: 1200 }), at + DAY);
        break;
      }
      case 'membership_without_metadata':
      case 'membership_unknown_slug': {
        const subMeta = { publication, interval: 'month' as const };
        emit(
          'checkout.session.completed',
          checkoutSession({
            id: `cs_${key}`,
            mode: 'subscription',
            amount: 900,
            customer: customerId,
            email,
            subscription: `sub_${key}`,
            created: at - 60,
            ...subMeta,
          }),
          at,
        );
        emit(
          'customer.subscription.created',
          subscription({ id: `sub_${key}`, customer: customerId, amount: 900, start_date: at, ...subMeta }),
          at,
        );
        const inv = invoice({
          id: `in_${key}`,
          customer: customerId,
          subscription: `sub_${key}`,
          amount: 900,
          email,
          created: at,
          ...subMeta,
        });
        emit('invoice.paid', inv, at);
        emit(
          'invoice_payment.paid',
          invoicePayment({ id: `inpay_${key}`, invoice: `in_${key}`, payment_intent: `pi_${key}`, amount: 900 }),
          at,
        );
        emit(
          'customer.subscription.deleted',
          subscription({
            id: `sub_${key}`,
            customer: customerId,
            amount: 900,
            start_date: at,
            status: 'canceled',
            ended_at: at + DAY,
            ...subMeta,
          }),
          at + DAY,
        );
        break;
      }
      case 'charge': {
        const disputeOf = (status: Stripe.Dispute.Status) =>
          dispute({ id: `dp_${key}`, charge: `ch_${key}`, payment_intent: `pi_${key}`, amount: 700, status });
        emit('charge.refunded', charge({ id: `ch_${key}`, payment_intent: `pi_${key}`, amount: 1400, amount_refunded: 700 }), at);
        emit('charge.dispute.created', disputeOf('needs_response'), at + DAY);
        emit('charge.dispute.closed', disputeOf('lost'), at + 3 * DAY);
        break;
      }
      case 'customer':
        // A customer of another product with one of our supporters' e-mails: not a supporter.
        emit('customer.updated', customer({ id: customerId, email, name: 'Stranger' }), at, { name: null });
        break;
    }
  });

  staged.sort((a, b) => a.event.created - b.event.created || a.order - b.order);
  return {
    events: staged.map((s) => s.event),
    expected: {
      supporters: [...groups.values()].map(({ publication, email, name }) => ({ publication, email, name })),
      payments,
      memberships,
      sessions,
      eventCount: staged.length,
      foreignIds,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Delivery orders: a shuffle of every event plus some redeliveries at random places.
// ---------------------------------------------------------------------------------------------

interface DeliveryOrder {
  permutation: number[];
  redeliveries: Array<{ event: number; at: number }>;
  /** Where the appliers run in between deliveries, when the order is delivered to the inbox (batch boundaries). */
  cuts: number[];
  /** The batch sizes of the two appliers that apply the inbox at each cut. */
  batchSizes: [number, number];
}

const deliveryOrderArb = (n: number): fc.Arbitrary<DeliveryOrder> =>
  fc.record({
    permutation: fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: n, maxLength: n },
    ),
    redeliveries: fc.array(fc.record({ event: fc.nat({ max: n - 1 }), at: fc.nat({ max: n }) }), { maxLength: Math.ceil(n / 4) }),
    cuts: fc.array(fc.nat({ max: n }), { maxLength: 6 }),
    batchSizes: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })),
  });

function sequenceOf(events: Stripe.Event[], order: DeliveryOrder): Stripe.Event[] {
  const sequence = order.permutation.map((i) => events[i]!);
  for (const r of order.redeliveries) sequence.splice(Math.min(r.at, sequence.length), 0, events[r.event]!);
  return sequence;
}

const RANDOM_ORDERS = 3;
const scenarioArb = historyPlanArb.chain((plan) => {
  const history = buildHistory(plan);
  return fc.record({
    plan: fc.constant(plan),
    orders: fc.array(deliveryOrderArb(history.events.length), { minLength: RANDOM_ORDERS, maxLength: RANDOM_ORDERS }),
  });
});

// ---------------------------------------------------------------------------------------------
// The database state, without surrogate ids or bookkeeping timestamps, sorted.
// ---------------------------------------------------------------------------------------------

let t: TestApp;
/** The same database behind an app that only stores events: this file's tests decide when they are applied. */
let inboxOnly: Express;
const db = () => t.database.db;
const silent = createLogger('silent');

function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v;
  return out;
}

function sorted<T extends Record<string, unknown>>(rows: T[]): Array<Record<string, unknown>> {
  return rows.map(normalise).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

async function snapshot() {
  const supporters = await db()
    .selectFrom('supporters as s')
    .innerJoin('publications as pub', 'pub.id', 's.publication_id')
    .select(['pub.slug as publication', 's.email', 's.name'])
    .execute();
  const payments = await db()
    .selectFrom('payments as p')
    .innerJoin('publications as pub', 'pub.id', 'p.publication_id')
    .leftJoin('supporters as s', 's.id', 'p.supporter_id')
    .select([
      'p.source_id',
      'pub.slug as publication',
      'p.kind',
      'p.amount',
      'p.currency',
      'p.status',
      'p.base_status',
      'p.refunded_amount',
      'p.dispute_status',
      's.email as supporter_email',
      'p.customer_id',
      'p.checkout_session_id',
      'p.payment_intent_id',
      'p.invoice_id',
      'p.subscription_id',
      'p.article_url',
      'p.variant',
      'p.billing_reason',
      'p.created_at',
      'p.paid_at',
    ])
    .execute();
  const memberships = await db()
    .selectFrom('memberships as m')
    .innerJoin('publications as pub', 'pub.id', 'm.publication_id')
    .leftJoin('supporters as s', 's.id', 'm.supporter_id')
    .select([
      'm.subscription_id',
      'pub.slug as publication',
      's.email as supporter_email',
      'm.customer_id',
      'm.status',
      'm.amount',
      'm.currency',
      'm.interval',
      'm.interval_count',
      'm.current_period_end',
      'm.cancel_at_period_end',
      'm.canceled_at',
      'm.ended_at',
      'm.started_at',
      'm.article_url',
      'm.variant',
      'm.snapshot_at',
      'm.snapshot_rank',
      'm.snapshot_event_id',
    ])
    .execute();
  const sessions = await db()
    .selectFrom('checkout_sessions as c')
    .innerJoin('publications as pub', 'pub.id', 'c.publication_id')
    .select([
      'c.id',
      'pub.slug as publication',
      'c.status',
      'c.payment_status',
      'c.amount',
      'c.currency',
      'c.interval',
      'c.customer_id',
      'c.payment_intent_id',
      'c.subscription_id',
      'c.completed_at',
      'c.expired_at',
    ])
    .execute();
  const statusChanges = await db()
    .selectFrom('membership_status_changes as h')
    .innerJoin('publications as pub', 'pub.id', 'h.publication_id')
    .select(['h.event_id', 'h.subscription_id', 'pub.slug as publication', 'h.status', 'h.previous_status', 'h.occurred_at'])
    .execute();
  const customers = await db()
    .selectFrom('stripe_customers as c')
    .leftJoin('publications as pub', 'pub.id', 'c.publication_id')
    .leftJoin('supporters as s', 's.id', 'c.supporter_id')
    .select(['c.id', 'pub.slug as publication', 'c.email', 'c.name', 's.email as supporter_email'])
    .execute();
  const events = await db()
    .selectFrom('stripe_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    supporters: sorted(supporters),
    payments: sorted(payments),
    memberships: sorted(memberships),
    checkout_sessions: sorted(sessions),
    membership_status_changes: sorted(statusChanges),
    stripe_customers: sorted(customers),
    stripe_events: Number(events.n),
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Each event applied as it arrives (the order of application is the order of delivery). */
async function deliverAll(events: Stripe.Event[]): Promise<void> {
  for (const event of events) {
    const res = await deliver(t.app, event);
    if (res.status !== 200) throw new Error(`${event.type} ${event.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

/**
 * Deliveries acknowledged into the inbox with nothing applied, and two appliers (batch sizes from the order)
 * applying what is there at each cut, concurrently: batch boundaries fall at random places in the history.
 */
async function deliverToInbox(events: Stripe.Event[], order: DeliveryOrder): Promise<void> {
  const appliers = order.batchSizes.map((batchSize) =>
    createWebhookApplier({ db: db(), logger: silent, metrics: createMetrics(t.database.poolStats), pollMs: 0, batchSize }),
  );
  const applyAll = () => settleInbox(db(), appliers);
  const cuts = new Set(order.cuts);
  for (const [i, event] of events.entries()) {
    if (cuts.has(i)) await applyAll();
    const res = await post(inboxOnly, event);
    if (res.status !== 200) throw new Error(`${event.type} ${event.id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  await applyAll();
}

/** The state must say what the history says, whatever the order. */
function checkAgainstHistory(state: Snapshot, expected: Expected): void {
  const byKey = <T extends Record<string, unknown>>(rows: T[], key: string) => Object.fromEntries(rows.map((r) => [String(r[key]), r]));

  expect(state.stripe_events).toBe(expected.eventCount);
  expect(state.supporters).toEqual(sorted(expected.supporters));

  const payments = byKey(state.payments, 'source_id');
  expect(Object.keys(payments).sort()).toEqual(Object.keys(expected.payments).sort());
  for (const [sourceId, want] of Object.entries(expected.payments)) {
    expect(payments[sourceId], `payment ${sourceId}`).toMatchObject(want);
  }

  const memberships = byKey(state.memberships, 'subscription_id');
  expect(Object.keys(memberships).sort()).toEqual(Object.keys(expected.memberships).sort());
  for (const [subscriptionId, want] of Object.entries(expected.memberships)) {
    const { status_changes, ...row } = want;
    expect(memberships[subscriptionId], `membership ${subscriptionId}`).toMatchObject(row);
    expect(
      state.membership_status_changes.filter((h) => h.subscription_id === subscriptionId),
      `status history of ${subscriptionId}`,
    ).toHaveLength(status_changes);
  }

  const sessions = byKey(state.checkout_sessions, 'id');
  expect(Object.keys(sessions).sort()).toEqual(Object.keys(expected.sessions).sort());
  for (const [id, want] of Object.entries(expected.sessions)) expect(sessions[id], `session ${id}`).toMatchObject(want);

  // Foreign objects leave no trace outside the Stripe mirror.
  const domain = JSON.stringify([
    state.supporters,
    state.payments,
    state.memberships,
    state.checkout_sessions,
    state.membership_status_changes,
  ]);
  for (const id of expected.foreignIds) expect(domain.includes(`"${id}"`), `${id} must not be recorded`).toBe(false);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  t = await createTestApp();
  inboxOnly = inboxOnlyApp(t);
});
afterAll(() => t?.close());

const NUM_RUNS = Number(process.env.ORDERING_RUNS ?? 20);

describe('webhook delivery order', () => {
  it('ends in the same, correct state whatever the order and however often events are redelivered', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ plan, orders }) => {
        const history = buildHistory(plan);
        await resetData(db());
        await deliverAll(history.events);
        const canonical = await snapshot();
        checkAgainstHistory(canonical, history.expected);

        // Newest first is the most hostile order: every state arrives before the states it replaces.
        for (const sequence of [...orders.map((o) => sequenceOf(history.events, o)), [...history.events].reverse()]) {
          await resetData(db());
          await deliverAll(sequence);
          expect(await snapshot()).toEqual(canonical);
        }
        // Two of the orders again through the inbox, applied in batches by two appliers at once.
        for (const order of orders.slice(0, 2)) {
          await resetData(db());
          await deliverToInbox(sequenceOf(history.events, order), order);
          expect(await snapshot()).toEqual(canonical);
        }
      }),
      {
        numRuns: NUM_RUNS,
        ...(process.env.ORDERING_SEED ? { seed: Number(process.env.ORDERING_SEED) } : {}),
        // Shrinking replays whole histories; bound it so a failure is reported rather than a test
        // timeout. (20 runs take well under a minute; running out of time is a failure too.)
        interruptAfterTimeLimit: 240_000,
        markInterruptAsFailure: true,
        endOnFailure: process.env.ORDERING_SHRINK === '0',
      },
    );
  }, 300_000);

  it('generates every kind of history it claims to', () => {
    // Guards the generator itself: over a sample, every feature the property relies on must occur.
    const seen = new Set<string>();
    for (const plan of fc.sample(historyPlanArb, { numRuns: 200, seed: 42 })) {
      const { events, expected } = buildHistory(plan);
      for (const e of events) seen.add(e.type);
      for (const p of Object.values(expected.payments)) seen.add(`payment:${p.status}`).add(`currency:${p.currency}`);
      for (const m of Object.values(expected.memberships))
        seen.add(`membership:${m.status}${m.cancel_at_period_end ? ':cancel_at_period_end' : ''}`);
      const byCustomer = new Map<string, Set<string>>();
      for (const p of Object.values(expected.payments))
        byCustomer.set(p.supporter_email, (byCustomer.get(p.supporter_email) ?? new Set()).add(p.customer_id));
      if ([...byCustomer.values()].some((ids) => ids.size > 1)) seen.add('one supporter, several customers');
      if (
        events.some(
          (e) =>
            e.type === 'charge.refunded' &&
            events.filter(
              (o) => o.type === 'charge.refunded' && (o.data.object as Stripe.Charge).id === (e.data.object as Stripe.Charge).id,
            ).length > 1,
        )
      ) {
        seen.add('two refunds of one charge');
      }
      const emailChanges = events.filter(
        (e) => e.type === 'customer.updated' && (e.data.previous_attributes as { email?: string } | undefined)?.email,
      );
      if (emailChanges.length > 0) seen.add('e-mail change');
      if (expected.foreignIds.length > 0) seen.add('foreign');
      const staleCopiesInFlight = plan.journeys.some(
        (j) =>
          (j.kind === 'async_gift' || (j.kind === 'membership' && j.failedRenewal >= 1 && j.failedRenewal <= j.renewals)) &&
          j.updates.some((u) => u.window === 'in_flight' && (u.email !== null || u.name !== null)),
      );
      if (staleCopiesInFlight) seen.add('details changed while an older copy is in flight');
      if (expected.supporters.length < new Set(Object.values(expected.payments).map((p) => p.customer_id)).size)
        seen.add('fewer supporters than customers');
    }
    for (const feature of [
      'checkout.session.completed',
      'checkout.session.async_payment_succeeded',
      'checkout.session.async_payment_failed',
      'checkout.session.expired',
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.deleted',
      'invoice.paid',
      'invoice.payment_failed',
      'invoice_payment.paid',
      'charge.refunded',
      'charge.dispute.created',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'customer.updated',
      'payment:succeeded',
      'payment:pending',
      'payment:failed',
      'payment:refunded',
      'payment:partially_refunded',
      'payment:disputed',
      'currency:jpy',
      'currency:usd',
      'membership:active',
      'membership:active:cancel_at_period_end',
      'membership:canceled',
      'one supporter, several customers',
      'two refunds of one charge',
      'e-mail change',
      'foreign',
      'fewer supporters than customers',
      'details changed while an older copy is in flight',
    ]) {
      expect(seen, feature).toContain(feature);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrent deliveries: Stripe retries while the first attempt is still running, and sends
// related events within milliseconds of each other. On Postgres these really run in parallel.
// ---------------------------------------------------------------------------------------------

describe('concurrent delivery', () => {
  const meta = { publication: 'demo', article_url: 'https://news.example/2026/concurrency', variant: 'v1' } as const;

  /** A gift, a membership by the same reader under another customer, refunds, a dispute and an e-mail change. */
  function burstEvents(): Stripe.Event[] {
    const at = T0 + 10 * DAY;
    return [
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_c_gift',
          amount: 4000,
          customer: 'cus_c_gift',
          email: 'Corinna@Example.com',
          name: 'Corinna',
          payment_intent: 'pi_c_gift',
          created: at - 60,
          ...meta,
        }),
        { id: 'evt_c01', created: at },
      ),
      stripeEvent('charge.refunded', charge({ id: 'ch_c_gift', payment_intent: 'pi_c_gift', amount: 4000, amount_refunded: 1500 }), {
        id: 'evt_c02',
        created: at + 10,
      }),
      stripeEvent('charge.refunded', charge({ id: 'ch_c_gift', payment_intent: 'pi_c_gift', amount: 4000, amount_refunded: 2500 }), {
        id: 'evt_c03',
        created: at + 20,
      }),
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_c_member',
          mode: 'subscription',
          amount: 800,
          customer: 'cus_c_member',
          email: 'corinna.b@example.com',
          name: 'Corinna B',
          subscription: 'sub_c',
          created: at - 30,
          ...meta,
          interval: 'month',
        }),
        { id: 'evt_c04', created: at + 30 },
      ),
      stripeEvent(
        'customer.subscription.created',
        subscription({ id: 'sub_c', customer: 'cus_c_member', amount: 800, start_date: at + 30, ...meta, interval: 'month' }),
        { id: 'evt_c05', created: at + 30 },
      ),
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_c',
          customer: 'cus_c_member',
          subscription: 'sub_c',
          amount: 800,
          email: 'corinna.b@example.com',
          name: 'Corinna B',
          billing_reason: 'subscription_create',
          created: at + 30,
          ...meta,
          interval: 'month',
        }),
        { id: 'evt_c06', created: at + 30 },
      ),
      stripeEvent('invoice_payment.paid', invoicePayment({ id: 'inpay_c', invoice: 'in_c', payment_intent: 'pi_in_c', amount: 800 }), {
        id: 'evt_c07',
        created: at + 30,
      }),
      stripeEvent('charge.refunded', charge({ id: 'ch_in_c', payment_intent: 'pi_in_c', amount: 800, amount_refunded: 800 }), {
        id: 'evt_c08',
        created: at + 40,
      }),
      stripeEvent(
        'charge.dispute.created',
        dispute({ id: 'dp_c', charge: 'ch_c_gift', payment_intent: 'pi_c_gift', amount: 1500, status: 'needs_response' }),
        { id: 'evt_c09', created: at + 50 },
      ),
      // The member changes to the gift's e-mail: both customers are now one supporter.
      stripeEvent('customer.updated', customer({ id: 'cus_c_member', email: 'corinna@example.com', name: 'Corinna Bianchi' }), {
        id: 'evt_c10',
        created: at + 61,
      }),
      stripeEvent(
        'customer.subscription.updated',
        subscription({
          id: 'sub_c',
          customer: 'cus_c_member',
          amount: 800,
          start_date: at + 30,
          cancel_at_period_end: true,
          canceled_at: at + 70,
          ...meta,
          interval: 'month',
        }),
        { id: 'evt_c11', created: at + 70, previous_attributes: { cancel_at_period_end: false } },
      ),
    ];
  }

  it('applies an event exactly once when ten copies arrive at the same time, alongside related events', async () => {
    const events = burstEvents();
    await resetData(db());
    await deliverAll(events);
    const reference = await snapshot();
    expect(reference.supporters).toEqual([{ publication: 'demo', email: 'corinna@example.com', name: 'Corinna Bianchi' }]);
    expect(reference.payments.map((p) => [p.source_id, p.status, p.refunded_amount, p.supporter_email])).toEqual([
      ['cs_c_gift', 'disputed', 2500, 'corinna@example.com'],
      ['in_c', 'refunded', 800, 'corinna@example.com'],
    ]);

    const rounds = Number(process.env.ORDERING_CONCURRENT_ROUNDS ?? (process.env.DATABASE_URL ? 15 : 2));
    for (let round = 0; round < rounds; round++) {
      await resetData(db());
      // Ten copies of the gift's completion, two of everything else, interleaved differently each round.
      const burst = [...Array.from({ length: 10 }, () => events[0]!), ...events.slice(1).flatMap((e) => [e, e])];
      const shuffled = fc.sample(fc.shuffledSubarray(burst, { minLength: burst.length, maxLength: burst.length }), {
        numRuns: 1,
        seed: round,
      })[0]!;
      const responses = await Promise.all(shuffled.map((e) => deliver(t.app, e).then((res) => ({ id: e.id, res }))));
      for (const { id, res } of responses) expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(200);
      const giftResponses = responses.filter((r) => r.id === 'evt_c01');
      expect(giftResponses.filter((r) => r.res.body.duplicate === false)).toHaveLength(1);
      expect(giftResponses.filter((r) => r.res.body.duplicate === true)).toHaveLength(9);

      const state = await snapshot();
      expect(state.stripe_events).toBe(events.length);
      expect(state.payments.filter((p) => p.source_id === 'cs_c_gift')).toHaveLength(1);
      expect(state, `round ${round}`).toEqual(reference);
    }
  }, 120_000);
});
