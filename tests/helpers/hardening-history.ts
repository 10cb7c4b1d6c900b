/**
 * Histories for the fault tests: several hundred distinct, realistic Stripe events (gifts, delayed
 * payments, refunds, disputes, memberships with renewals and cancellations, expired sessions and
 * customer e-mail/name changes that merge supporters), generated from a seed. Event timestamps
 * follow the rules of webhook-ordering.property.test.ts (journeys hours apart, customer updates on
 * odd seconds), so the final state does not depend on the delivery order: whatever the order,
 * concurrency or repetition, the database must end like one that got every event once, in order.
 *
 * Also the domain snapshot used to compare two databases, as in the property test.
 */
import type Stripe from 'stripe';
import type { Db } from '../../src/db/database.js';
import { seededRandom } from '../../src/demo/seeded-random.js';
import { charge, checkoutSession, customer, dispute, invoice, invoicePayment, stripeEvent, subscription, T0 } from './stripe-objects.js';

const DAY = 86_400;

// The demo seed's PRNG: a seed replays a history exactly.
export { seededRandom };

export interface LoadHistoryOptions {
  /** At least this many events (the last journey may add a few more). */
  minEvents: number;
  seed: number;
  /** Publication slug and one of its origins (article URLs are on it). */
  publication?: string;
  site?: string;
  /** Distinct id and e-mail namespace, so two histories never share an object. */
  tag?: string;
}

/** Several hundred events for one publication, sorted by when Stripe created them. */
export function loadHistory(options: LoadHistoryOptions): Stripe.Event[] {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const publication = options.publication ?? 'demo';
  const site = options.site ?? 'https://news.example';
  const tag = options.tag ?? 'h';
  // Few addresses, so journeys share supporters and e-mail changes merge them.
  const emails = Array.from({ length: 12 }, (_, i) => `reader${i}.${tag}@example.com`);
  const names = ['Ada', 'Bruno', 'Chiara', 'Dario', 'Elena', 'Fumiko', 'Giulia', 'Hiro'];

  const staged: Array<{ event: Stripe.Event; order: number }> = [];
  let counter = 0;
  const emit = (type: string, object: object, created: number, previous?: Record<string, unknown>) => {
    counter += 1;
    const id = `evt_${tag}_${String(counter).padStart(4, '0')}`;
    staged.push({
      event: stripeEvent(type, object, { id, created, ...(previous ? { previous_attributes: previous } : {}) }),
      order: counter,
    });
  };

  for (let index = 0; staged.length < options.minEvents; index++) {
    const key = `${tag}${index}`;
    const start = T0 + index * 7_200; // journeys two hours apart, even seconds
    const meta = { publication, article_url: `${site}/2026/story-${index % 9}`, variant: chance(0.5) ? `plea-${index % 3}` : '' };
    const currency = chance(0.8) ? 'eur' : 'usd';
    const amount = 250 * (1 + Math.floor(random() * 20)) + 1;
    const customerId = `cus_${key}`;
    const sessionId = `cs_${key}`;
    const roll = random();

    if (roll < 0.08) {
      emit(
        'checkout.session.expired',
        checkoutSession({
          id: sessionId,
          amount,
          currency,
          customer: null,
          email: null,
          status: 'expired',
          payment_status: 'unpaid',
          created: start - DAY,
          ...meta,
        }),
        start,
      );
      continue;
    }

    // Contact details over time: a change, when there is one, happens on an odd second after every
    // event that carries the old details (so a stale copy is never "newer" than the change).
    let email = pick(emails);
    const name = pick(names);

    const troubles = (chargeId: string, paymentIntentId: string, paidAt: number) => {
      let refunded = 0;
      if (chance(0.35)) {
        refunded = Math.floor(amount / 3);
        emit(
          'charge.refunded',
          charge({ id: chargeId, payment_intent: paymentIntentId, amount, amount_refunded: refunded, currency }),
          paidAt + 2 * DAY,
        );
        if (chance(0.4)) {
          refunded = amount;
          emit(
            'charge.refunded',
            charge({ id: chargeId, payment_intent: paymentIntentId, amount, amount_refunded: refunded, currency }),
            paidAt + 4 * DAY,
          );
        }
      }
      if (refunded < amount && chance(0.2)) {
        const disputeOf = (status: Stripe.Dispute.Status) =>
          dispute({ id: `dp_${chargeId}`, charge: chargeId, payment_intent: paymentIntentId, amount: amount - refunded, currency, status });
        emit('charge.dispute.created', disputeOf('needs_response'), paidAt + 6 * DAY);
        if (chance(0.6))
          emit('charge.dispute.closed', disputeOf(chance(0.5) ? 'won' : 'lost'), paidAt + 26 * DAY, { status: 'needs_response' });
      }
    };

    let lastEventAt = start;
    if (roll < 0.55) {
      // A gift, sometimes paid by a delayed method.
      const delayed = chance(0.25);
      const paymentIntentId = `pi_${key}`;
      const session = (status: 'paid' | 'unpaid') =>
        checkoutSession({
          id: sessionId,
          amount,
          currency,
          customer: customerId,
          email,
          name,
          payment_status: status,
          payment_intent: paymentIntentId,
          created: start - 600,
          ...meta,
        });
      emit('checkout.session.completed', session(delayed ? 'unpaid' : 'paid'), start);
      let paidAt: number | null = start;
      if (delayed) {
        const outcome = random();
        if (outcome < 0.6) {
          paidAt = start + 3 * DAY;
          emit('checkout.session.async_payment_succeeded', session('paid'), paidAt);
        } else {
          paidAt = null;
          if (outcome < 0.85) emit('checkout.session.async_payment_failed', session('unpaid'), start + 3 * DAY);
        }
        lastEventAt = start + 3 * DAY;
      }
      if (paidAt !== null) {
        troubles(`ch_${key}`, paymentIntentId, paidAt);
        lastEventAt = Math.max(lastEventAt, paidAt + 26 * DAY);
      }
    } else {
      // A membership with renewals, a failed-then-retried renewal, and maybe a cancellation.
      const interval: 'month' | 'year' = chance(0.8) ? 'month' : 'year';
      const period = (interval === 'month' ? 31 : 366) * DAY;
      const subscriptionId = `sub_${key}`;
      const subMeta = { ...meta, interval };
      const sub = (o: Partial<Parameters<typeof subscription>[0]>) =>
        subscription({ id: subscriptionId, customer: customerId, amount, currency, start_date: start, ...subMeta, ...o });
      emit(
        'checkout.session.completed',
        checkoutSession({
          id: sessionId,
          mode: 'subscription',
          amount,
          currency,
          customer: customerId,
          email,
          name,
          subscription: subscriptionId,
          created: start - 300,
          ...subMeta,
        }),
        start,
      );
      emit('customer.subscription.created', sub({ status: 'active', current_period_end: start + period }), start);
      const invoices: Array<{ k: number; paidAt: number }> = [];
      const pay = (k: number, createdAt: number, paidAt: number) => {
        emit(
          'invoice.paid',
          invoice({
            id: `in_${key}_${k}`,
            customer: customerId,
            subscription: subscriptionId,
            amount,
            currency,
            email,
            name,
            billing_reason: k === 0 ? 'subscription_create' : 'subscription_cycle',
            created: createdAt,
            paid_at: paidAt,
            ...subMeta,
          }),
          paidAt,
        );
        emit(
          'invoice_payment.paid',
          invoicePayment({ id: `inpay_${key}_${k}`, invoice: `in_${key}_${k}`, payment_intent: `pi_in_${key}_${k}`, amount, currency }),
          paidAt,
        );
        invoices.push({ k, paidAt });
      };
      pay(0, start, start);
      const renewals = Math.floor(random() * 3);
      const failed = chance(0.3) ? 1 + Math.floor(random() * Math.max(1, renewals)) : 0;
      for (let k = 1; k <= renewals; k++) {
        const renewAt = start + k * period;
        const nextEnd = start + (k + 1) * period;
        if (k === failed) {
          emit(
            'invoice.payment_failed',
            invoice({
              id: `in_${key}_${k}`,
              customer: customerId,
              subscription: subscriptionId,
              amount,
              currency,
              email,
              name,
              paid: false,
              created: renewAt,
              ...subMeta,
            }),
            renewAt + 2,
          );
          emit('customer.subscription.updated', sub({ status: 'past_due', current_period_end: nextEnd }), renewAt + 4, {
            status: 'active',
          });
          pay(k, renewAt, renewAt + 3 * DAY);
          emit('customer.subscription.updated', sub({ status: 'active', current_period_end: nextEnd }), renewAt + 3 * DAY + 2, {
            status: 'past_due',
          });
        } else {
          emit('customer.subscription.updated', sub({ status: 'active', current_period_end: nextEnd }), renewAt, {
            latest_invoice: `in_${key}_${k - 1}`,
          });
          pay(k, renewAt, renewAt + 2);
        }
      }
      const periodEnd = start + (renewals + 1) * period;
      const cancelAt = periodEnd - Math.floor(period / 2);
      const cancel = random();
      if (cancel < 0.25) {
        emit(
          'customer.subscription.updated',
          sub({ status: 'active', current_period_end: periodEnd, cancel_at_period_end: true, canceled_at: cancelAt }),
          cancelAt,
          { cancel_at_period_end: false },
        );
        if (chance(0.5))
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
      } else if (cancel < 0.4) {
        emit(
          'customer.subscription.deleted',
          sub({ status: 'canceled', current_period_end: periodEnd, canceled_at: cancelAt, ended_at: cancelAt }),
          cancelAt,
        );
      }
      const troubled = invoices[Math.floor(random() * invoices.length)]!;
      troubles(`ch_in_${key}_${troubled.k}`, `pi_in_${key}_${troubled.k}`, troubled.paidAt);
      lastEventAt = Math.max(periodEnd, troubled.paidAt + 26 * DAY);
    }

    // After the journey: the reader changes name and/or e-mail (sometimes to another reader's
    // address: two supporters become one).
    if (chance(0.3)) {
      const newEmail = chance(0.6) ? pick(emails) : email;
      const newName = chance(0.5) ? pick(names) : name;
      const previous: Record<string, unknown> = {};
      if (newEmail !== email) previous.email = email;
      if (newName !== name) previous.name = name;
      if (Object.keys(previous).length === 0) previous.metadata = {};
      emit('customer.updated', customer({ id: customerId, email: newEmail, name: newName }), lastEventAt + DAY + 1, previous);
      email = newEmail;
    }
  }
  staged.sort((a, b) => a.event.created - b.event.created || a.order - b.order);
  return staged.map((s) => s.event);
}

// ------------------------------------------------------------------------------------------------
// The database state without surrogate ids or bookkeeping timestamps (as in the property test).
// ------------------------------------------------------------------------------------------------

function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : v;
  return out;
}

function sorted(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows
    .map(normalise)
    .map((r) => [JSON.stringify(r), r] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r);
}

export async function domainSnapshot(db: Db) {
  const supporters = await db
    .selectFrom('supporters as s')
    .innerJoin('publications as pub', 'pub.id', 's.publication_id')
    .select(['pub.slug as publication', 's.email', 's.name'])
    .execute();
  const payments = await db
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
  const memberships = await db
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
  const sessions = await db
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
  const statusChanges = await db
    .selectFrom('membership_status_changes as h')
    .innerJoin('publications as pub', 'pub.id', 'h.publication_id')
    .select(['h.event_id', 'h.subscription_id', 'pub.slug as publication', 'h.status', 'h.previous_status', 'h.occurred_at'])
    .execute();
  const customers = await db
    .selectFrom('stripe_customers as c')
    .leftJoin('publications as pub', 'pub.id', 'c.publication_id')
    .leftJoin('supporters as s', 's.id', 'c.supporter_id')
    .select(['c.id', 'pub.slug as publication', 'c.email', 'c.name', 's.email as supporter_email'])
    .execute();
  const charges = await db
    .selectFrom('stripe_charges')
    .select(['id', 'payment_intent_id', 'amount', 'amount_refunded', 'currency'])
    .execute();
  const disputes = await db
    .selectFrom('stripe_disputes')
    .select(['id', 'charge_id', 'payment_intent_id', 'amount', 'currency', 'status'])
    .execute();
  // Not the outcome: a refund that arrives before its payment is 'stored', in order 'applied'.
  const events = await db.selectFrom('stripe_events').select(['id', 'type']).execute();
  return {
    supporters: sorted(supporters),
    payments: sorted(payments),
    memberships: sorted(memberships),
    checkout_sessions: sorted(sessions),
    membership_status_changes: sorted(statusChanges),
    stripe_customers: sorted(customers),
    stripe_charges: sorted(charges),
    stripe_disputes: sorted(disputes),
    stripe_events: sorted(events),
  };
}

export type DomainSnapshot = Awaited<ReturnType<typeof domainSnapshot>>;

/** Rows that would show a double application: the same Stripe object recorded twice. */
export async function duplicateRows(db: Db): Promise<{ payments: number; sessions: number; statusChanges: number; events: number }> {
  const count = async (table: 'payments' | 'checkout_sessions' | 'membership_status_changes' | 'stripe_events', key: string) => {
    const rows = await db
      .selectFrom(table)
      .select((eb) => [eb.ref(key as never).as('k'), eb.fn.countAll<number>().as('n')])
      .groupBy(key as never)
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    return rows.length;
  };
  return {
    payments: await count('payments', 'source_id'),
    sessions: await count('checkout_sessions', 'id'),
    statusChanges: await count('membership_status_changes', 'event_id'),
    events: await count('stripe_events', 'id'),
  };
}

// ------------------------------------------------------------------------------------------------
// A second publication's history, with nothing in common with knownHistory() (report-history.ts):
// other e-mails, other Stripe ids and odd amounts no sum of the demo amounts can make.
// ------------------------------------------------------------------------------------------------

export const ITALIA_ARTICLE = 'https://favore.example/2026/inchiesta';

export function italiaHistory(): Stripe.Event[] {
  const ts = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  const events: Stripe.Event[] = [];
  let n = 0;
  const add = (type: string, object: object, at: string, previous?: Record<string, unknown>) =>
    events.push(
      stripeEvent(type, object, { id: `evt_it_${++n}`, created: ts(at), ...(previous ? { previous_attributes: previous } : {}) }),
    );
  const meta = { publication: 'italia', article_url: ITALIA_ARTICLE, variant: 'appello' };
  add(
    'checkout.session.completed',
    checkoutSession({
      id: 'cs_it_uno',
      amount: 1237,
      currency: 'eur',
      customer: 'cus_it_uno',
      email: 'lettrice.uno@esempio.it',
      name: 'Lucia',
      created: ts('2026-01-12T08:00:00Z'),
      ...meta,
    }),
    '2026-01-12T08:00:00Z',
  );
  add(
    'charge.refunded',
    charge({ id: 'ch_it_uno', payment_intent: 'pi_cs_it_uno', amount: 1237, amount_refunded: 411 }),
    '2026-01-14T08:00:00Z',
  );
  add(
    'checkout.session.completed',
    checkoutSession({
      id: 'cs_it_due',
      amount: 773,
      currency: 'jpy',
      customer: 'cus_it_due',
      email: 'lettore.due@esempio.it',
      name: 'Marco',
      created: ts('2026-02-03T08:00:00Z'),
      ...meta,
    }),
    '2026-02-03T08:00:00Z',
  );
  const member = { ...meta, interval: 'month' as const };
  add(
    'checkout.session.completed',
    checkoutSession({
      id: 'cs_it_socio',
      mode: 'subscription',
      amount: 4327,
      currency: 'eur',
      customer: 'cus_it_socio',
      email: 'socia.tre@esempio.it',
      name: 'Sara',
      subscription: 'sub_it_socio',
      created: ts('2026-01-20T08:00:00Z'),
      ...member,
    }),
    '2026-01-20T08:00:00Z',
  );
  add(
    'customer.subscription.created',
    subscription({
      id: 'sub_it_socio',
      customer: 'cus_it_socio',
      amount: 4327,
      currency: 'eur',
      start_date: ts('2026-01-20T08:00:00Z'),
      ...member,
    }),
    '2026-01-20T08:00:00Z',
  );
  for (const [i, at] of ['2026-01-20T08:00:00Z', '2026-02-20T08:00:00Z', '2026-03-20T08:00:00Z'].entries()) {
    add(
      'invoice.paid',
      invoice({
        id: `in_it_socio_${i}`,
        customer: 'cus_it_socio',
        subscription: 'sub_it_socio',
        amount: 4327,
        currency: 'eur',
        email: 'socia.tre@esempio.it',
        created: ts(at),
        paid_at: ts(at),
        billing_reason: i === 0 ? 'subscription_create' : 'subscription_cycle',
        ...member,
      }),
      at,
    );
    add(
      'invoice_payment.paid',
      invoicePayment({
        id: `inpay_it_socio_${i}`,
        invoice: `in_it_socio_${i}`,
        payment_intent: `pi_in_it_socio_${i}`,
        amount: 4327,
        currency: 'eur',
      }),
      at,
    );
  }
  add('customer.updated', customer({ id: 'cus_it_due', email: 'lettore.nuovo@esempio.it', name: 'Marco R.' }), '2026-03-01T08:00:01Z', {
    email: 'lettore.due@esempio.it',
  });
  return events;
}
