import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openDatabase } from '../../src/db/create-database.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
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
import { createTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';
import { deliver, signPayload } from '../helpers/webhook-delivery.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());
beforeEach(() => resetData(t.database.db));

const db = () => t.database.db;
const payments = () => db().selectFrom('payments').selectAll().orderBy('source_id').execute();
const supporters = () => db().selectFrom('supporters').selectAll().orderBy('email').execute();
const eventCount = async () => (await db().selectFrom('stripe_events').select('id').execute()).length;
const membership = (id: string) => db().selectFrom('memberships').selectAll().where('subscription_id', '=', id).executeTakeFirst();

/** Delivers, waits for the applier, and tells what the acknowledgement said and what applying the event did. */
async function deliverOk(event: Parameters<typeof deliver>[1]) {
  const res = await deliver(t.app, event);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const row = await db().selectFrom('stripe_events').select(['status', 'outcome']).where('id', '=', event.id).executeTakeFirstOrThrow();
  expect(row.status).toBe('applied');
  return { ...(res.body as { received: boolean; duplicate: boolean }), outcome: row.outcome };
}

const gift = (id: string, extra: Partial<Parameters<typeof checkoutSession>[0]> = {}) =>
  checkoutSession({ id, publication: 'demo', article_url: 'https://news.example/story', variant: 'plea-a', ...extra });

describe('signature verification', () => {
  const event = stripeEvent('checkout.session.completed', gift('cs_sig'), { id: 'evt_sig' });
  const payload = JSON.stringify(event);

  it.each([
    ['missing', undefined],
    ['forged with another secret', signPayload(payload, { secret: 'whsec_attacker' })],
    ['stale (older than 300 s)', signPayload(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 })],
    ['garbage', 't=1,v1=deadbeef'],
  ])('rejects a %s signature with 400 and writes nothing', async (_name, signature) => {
    const req = request(t.app).post('/webhooks/stripe').set('content-type', 'application/json');
    if (signature) req.set('stripe-signature', signature);
    const res = await req.send(payload);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_signature');
    expect(await eventCount()).toBe(0);
    expect(await payments()).toEqual([]);
  });

  it('rejects a body changed after signing', async () => {
    const signature = signPayload(payload);
    const tampered = payload.replace('"amount_total":1000', '"amount_total":1');
    const res = await request(t.app)
      .post('/webhooks/stripe')
      .set('stripe-signature', signature)
      .set('content-type', 'application/json')
      .send(tampered);
    expect(res.status).toBe(400);
    expect(await eventCount()).toBe(0);
  });

  it('answers 503 when no webhook secret is configured', async () => {
    const unconfigured = await createTestApp({ webhookSecret: null });
    try {
      const res = await deliver(unconfigured.app, event);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('webhooks_not_configured');
    } finally {
      await unconfigured.close();
    }
  });
});

describe('one-off gifts', () => {
  it('records a paid gift, its supporter (normalised e-mail) and the completed session; a redelivery changes nothing', async () => {
    const session = gift('cs_1', { amount: 2500, email: '  Ana.Reader@Example.COM ', name: 'Ana Reader', customer: 'cus_ana' });
    const event = stripeEvent('checkout.session.completed', session, { id: 'evt_1', created: T0 + 60 });
    expect(await deliverOk(event)).toEqual({ received: true, duplicate: false, outcome: 'applied' });

    const [payment] = await payments();
    const [supporter] = await supporters();
    expect(supporter).toMatchObject({ email: 'ana.reader@example.com', name: 'Ana Reader' });
    expect(payment).toMatchObject({
      source_id: 'cs_1',
      kind: 'one_off',
      amount: 2500,
      currency: 'eur',
      status: 'succeeded',
      refunded_amount: 0,
      customer_id: 'cus_ana',
      payment_intent_id: 'pi_cs_1',
      article_url: 'https://news.example/story',
      variant: 'plea-a',
      supporter_id: supporter!.id,
    });
    expect(payment!.paid_at).toEqual(new Date((T0 + 60) * 1000));
    const session_ = await db().selectFrom('checkout_sessions').selectAll().where('id', '=', 'cs_1').executeTakeFirstOrThrow();
    expect(session_).toMatchObject({ status: 'complete', payment_status: 'paid', customer_id: 'cus_ana', interval: 'once' });

    const before = await payments();
    expect(await deliverOk(event)).toEqual({ received: true, duplicate: true, outcome: 'applied' });
    expect(await payments()).toEqual(before);
    expect(await eventCount()).toBe(1);
  });

  it('keeps one supporter for two gifts made through two Stripe customers with the same e-mail', async () => {
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_a', { customer: 'cus_a', email: 'same@example.com' }), { id: 'evt_a' }),
    );
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_b', { customer: 'cus_b', email: 'SAME@example.com' }), { id: 'evt_b' }),
    );
    const list = await supporters();
    expect(list).toHaveLength(1);
    expect((await payments()).map((p) => p.supporter_id)).toEqual([list[0]!.id, list[0]!.id]);
  });

  it('keeps an async payment pending until it succeeds', async () => {
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_sepa', { payment_status: 'unpaid' }), { id: 'evt_s1', created: T0 }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'pending', paid_at: null });
    await deliverOk(stripeEvent('checkout.session.async_payment_succeeded', gift('cs_sepa'), { id: 'evt_s2', created: T0 + 86_400 }));
    expect((await payments())[0]).toMatchObject({ status: 'succeeded', paid_at: new Date((T0 + 86_400) * 1000) });
  });

  it('marks a failed async payment failed, even when the failure arrives first', async () => {
    await deliverOk(
      stripeEvent('checkout.session.async_payment_failed', gift('cs_fail', { payment_status: 'unpaid' }), {
        id: 'evt_f2',
        created: T0 + 100,
      }),
    );
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_fail', { payment_status: 'unpaid' }), { id: 'evt_f1', created: T0 }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'failed', paid_at: null });
  });

  it('records an expired session without a payment', async () => {
    await deliverOk(
      stripeEvent('checkout.session.expired', gift('cs_exp', { status: 'expired', payment_status: 'unpaid', customer: null }), {
        id: 'evt_exp',
      }),
    );
    const row = await db().selectFrom('checkout_sessions').selectAll().where('id', '=', 'cs_exp').executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    expect(await payments()).toEqual([]);
    expect(await supporters()).toEqual([]);
  });
});

describe('refunds and disputes', () => {
  beforeEach(async () => {
    await deliverOk(stripeEvent('checkout.session.completed', gift('cs_r', { amount: 3000, payment_intent: 'pi_r' }), { id: 'evt_r0' }));
  });

  it('applies partial then full refunds', async () => {
    await deliverOk(
      stripeEvent('charge.refunded', charge({ id: 'ch_r', payment_intent: 'pi_r', amount: 3000, amount_refunded: 1000 }), {
        id: 'evt_r1',
        created: T0 + 10,
      }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'partially_refunded', refunded_amount: 1000 });
    await deliverOk(
      stripeEvent('charge.refunded', charge({ id: 'ch_r', payment_intent: 'pi_r', amount: 3000, amount_refunded: 3000 }), {
        id: 'evt_r2',
        created: T0 + 20,
      }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'refunded', refunded_amount: 3000 });
    // An older partial refund event arriving late does not undo the full refund.
    await deliverOk(
      stripeEvent('charge.refunded', charge({ id: 'ch_r', payment_intent: 'pi_r', amount: 3000, amount_refunded: 1000 }), {
        id: 'evt_r1b',
        created: T0 + 10,
      }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'refunded', refunded_amount: 3000 });
  });

  it('marks a payment disputed while the dispute is open, restores it when won and keeps it disputed when lost', async () => {
    const open = dispute({ id: 'dp_1', charge: 'ch_r', payment_intent: 'pi_r', amount: 3000, status: 'needs_response' });
    await deliverOk(stripeEvent('charge.dispute.created', open, { id: 'evt_d1', created: T0 + 10 }));
    expect((await payments())[0]).toMatchObject({ status: 'disputed', dispute_status: 'needs_response' });
    await deliverOk(stripeEvent('charge.dispute.closed', { ...open, status: 'won' }, { id: 'evt_d2', created: T0 + 20 }));
    expect((await payments())[0]).toMatchObject({ status: 'succeeded', dispute_status: 'won' });

    await deliverOk(stripeEvent('charge.dispute.created', { ...open, id: 'dp_2' }, { id: 'evt_d3', created: T0 + 30 }));
    await deliverOk(stripeEvent('charge.dispute.closed', { ...open, id: 'dp_2', status: 'lost' }, { id: 'evt_d4', created: T0 + 40 }));
    expect((await payments())[0]).toMatchObject({ status: 'disputed', dispute_status: 'lost' });
  });
});

describe('a refund that arrives before its payment', () => {
  it('is stored and applied when the payment arrives', async () => {
    const refund = await deliverOk(
      stripeEvent('charge.refunded', charge({ id: 'ch_early', payment_intent: 'pi_early', amount: 1000, amount_refunded: 400 }), {
        id: 'evt_e1',
        created: T0 + 50,
      }),
    );
    expect(refund.outcome).toBe('stored');
    expect(await payments()).toEqual([]);
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_early', { payment_intent: 'pi_early' }), { id: 'evt_e0', created: T0 }),
    );
    expect((await payments())[0]).toMatchObject({ status: 'partially_refunded', refunded_amount: 400 });
  });
});

describe('memberships', () => {
  const meta = { publication: 'demo', article_url: 'https://news.example/long-read', variant: 'v2', interval: 'month' } as const;
  const sub = (extra: Partial<Parameters<typeof subscription>[0]> = {}) =>
    subscription({ id: 'sub_m', customer: 'cus_m', amount: 700, ...meta, ...extra });

  it('follows a membership from checkout through renewals, a refund of a renewal, cancellation and end', async () => {
    await deliverOk(
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_m',
          mode: 'subscription',
          amount: 700,
          customer: 'cus_m',
          email: 'Member@Example.com',
          name: 'Mia Member',
          subscription: 'sub_m',
          ...meta,
        }),
        { id: 'evt_m1', created: T0 },
      ),
    );
    expect(await payments()).toEqual([]); // membership money arrives as invoices
    await deliverOk(stripeEvent('customer.subscription.created', sub({ status: 'active' }), { id: 'evt_m2', created: T0 }));
    await deliverOk(
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_1',
          customer: 'cus_m',
          subscription: 'sub_m',
          amount: 700,
          billing_reason: 'subscription_create',
          email: 'member@example.com',
          ...meta,
        }),
        { id: 'evt_m3', created: T0 + 1 },
      ),
    );
    await deliverOk(
      stripeEvent('invoice_payment.paid', invoicePayment({ id: 'inpay_1', invoice: 'in_1', payment_intent: 'pi_in_1', amount: 700 }), {
        id: 'evt_m4',
        created: T0 + 1,
      }),
    );
    const renewalAt = T0 + 31 * 86_400;
    await deliverOk(
      stripeEvent(
        'invoice.paid',
        invoice({ id: 'in_2', customer: 'cus_m', subscription: 'sub_m', amount: 700, created: renewalAt, ...meta }),
        { id: 'evt_m5', created: renewalAt },
      ),
    );
    await deliverOk(
      stripeEvent('invoice_payment.paid', invoicePayment({ id: 'inpay_2', invoice: 'in_2', payment_intent: 'pi_in_2', amount: 700 }), {
        id: 'evt_m6',
        created: renewalAt,
      }),
    );
    await deliverOk(
      stripeEvent('charge.refunded', charge({ id: 'ch_in_2', payment_intent: 'pi_in_2', amount: 700, amount_refunded: 700 }), {
        id: 'evt_m7',
        created: renewalAt + 10,
      }),
    );

    const list = await payments();
    const [supporter] = await supporters();
    expect(supporter).toMatchObject({ email: 'member@example.com', name: 'Mia Member' });
    expect(list.map((p) => [p.source_id, p.kind, p.amount, p.status, p.subscription_id, p.article_url, p.variant, p.supporter_id])).toEqual(
      [
        ['in_1', 'membership', 700, 'succeeded', 'sub_m', 'https://news.example/long-read', 'v2', supporter!.id],
        ['in_2', 'membership', 700, 'refunded', 'sub_m', 'https://news.example/long-read', 'v2', supporter!.id],
      ],
    );
    expect(await membership('sub_m')).toMatchObject({
      status: 'active',
      amount: 700,
      currency: 'eur',
      interval: 'month',
      supporter_id: supporter!.id,
      cancel_at_period_end: false,
    });

    const cancelAt = renewalAt + 5 * 86_400;
    await deliverOk(
      stripeEvent('customer.subscription.updated', sub({ cancel_at_period_end: true, canceled_at: cancelAt }), {
        id: 'evt_m8',
        created: cancelAt,
        previous_attributes: { cancel_at_period_end: false },
      }),
    );
    expect(await membership('sub_m')).toMatchObject({
      status: 'active',
      cancel_at_period_end: true,
      canceled_at: new Date(cancelAt * 1000),
    });
    const endAt = renewalAt + 31 * 86_400;
    await deliverOk(
      stripeEvent('customer.subscription.deleted', sub({ status: 'canceled', canceled_at: cancelAt, ended_at: endAt }), {
        id: 'evt_m9',
        created: endAt,
      }),
    );
    expect(await membership('sub_m')).toMatchObject({ status: 'canceled', ended_at: new Date(endAt * 1000) });
    // A stale update delivered late does not resurrect the membership.
    await deliverOk(
      stripeEvent('customer.subscription.updated', sub({ status: 'past_due' }), {
        id: 'evt_m10',
        created: renewalAt + 2,
        previous_attributes: { status: 'active' },
      }),
    );
    expect((await membership('sub_m'))!.status).toBe('canceled');

    const history = await db()
      .selectFrom('membership_status_changes')
      .select(['status', 'previous_status'])
      .orderBy('occurred_at')
      .execute();
    expect(history).toEqual([
      { status: 'active', previous_status: null },
      { status: 'past_due', previous_status: 'active' },
      { status: 'canceled', previous_status: null },
    ]);
  });

  it('records a failed membership payment, then the retry that succeeds', async () => {
    await deliverOk(
      stripeEvent(
        'invoice.payment_failed',
        invoice({ id: 'in_f', customer: 'cus_m', subscription: 'sub_m', amount: 700, paid: false, ...meta }),
        { id: 'evt_pf1', created: T0 },
      ),
    );
    expect((await payments())[0]).toMatchObject({ status: 'failed', paid_at: null });
    await deliverOk(
      stripeEvent(
        'invoice.paid',
        invoice({ id: 'in_f', customer: 'cus_m', subscription: 'sub_m', amount: 700, ...meta, paid_at: T0 + 3 * 86_400 }),
        { id: 'evt_pf2', created: T0 + 3 * 86_400 },
      ),
    );
    expect((await payments())[0]).toMatchObject({ status: 'succeeded', paid_at: new Date((T0 + 3 * 86_400) * 1000) });
  });

  it('ends canceled when deletion arrives before creation', async () => {
    await deliverOk(
      stripeEvent('customer.subscription.deleted', sub({ status: 'canceled', ended_at: T0 + 100 }), { id: 'evt_x2', created: T0 + 100 }),
    );
    await deliverOk(stripeEvent('customer.subscription.created', sub({ status: 'active' }), { id: 'evt_x1', created: T0 }));
    expect((await membership('sub_m'))!.status).toBe('canceled');
  });

  it('stores yearly memberships with their own interval and amount', async () => {
    await deliverOk(
      stripeEvent(
        'customer.subscription.created',
        subscription({ id: 'sub_y', customer: 'cus_y', amount: 6000, ...meta, interval: 'year' }),
        { id: 'evt_y' },
      ),
    );
    expect(await membership('sub_y')).toMatchObject({ interval: 'year', amount: 6000 });
  });
});

describe('customer.updated', () => {
  it('renames the supporter and moves the history to a changed e-mail, merging with an existing supporter', async () => {
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_1', { customer: 'cus_1', email: 'old@example.com', name: 'Old Name' }), {
        id: 'evt_1',
        created: T0,
      }),
    );
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_2', { customer: 'cus_2', email: 'new@example.com', name: 'Other' }), {
        id: 'evt_2',
        created: T0 + 1,
      }),
    );
    await deliverOk(
      stripeEvent('customer.updated', customer({ id: 'cus_1', email: 'New@Example.com', name: 'New Name' }), {
        id: 'evt_3',
        created: T0 + 100,
      }),
    );
    const list = await supporters();
    expect(list.map((s) => s.email)).toEqual(['new@example.com']);
    expect(list[0]!.name).toBe('New Name');
    expect((await payments()).every((p) => p.supporter_id === list[0]!.id)).toBe(true);
  });

  it('stores an update for a customer not seen yet and uses it when the gift arrives', async () => {
    const res = await deliverOk(
      stripeEvent('customer.updated', customer({ id: 'cus_9', email: 'later@example.com', name: 'Later' }), {
        id: 'evt_9b',
        created: T0 + 100,
      }),
    );
    expect(res.outcome).toBe('stored');
    await deliverOk(
      stripeEvent('checkout.session.completed', gift('cs_9', { customer: 'cus_9', email: 'earlier@example.com' }), {
        id: 'evt_9a',
        created: T0,
      }),
    );
    expect((await supporters()).map((s) => [s.email, s.name])).toEqual([['later@example.com', 'Later']]);
  });
});

describe('events that are not ours', () => {
  it.each([
    [
      'a session without publication metadata',
      stripeEvent('checkout.session.completed', checkoutSession({ id: 'cs_foreign' }), { id: 'evt_fx1' }),
    ],
    [
      'a session of an unknown publication',
      stripeEvent('checkout.session.completed', checkoutSession({ id: 'cs_other', publication: 'someone-else' }), { id: 'evt_fx2' }),
    ],
    [
      'an invoice of another product',
      stripeEvent('invoice.paid', invoice({ id: 'in_foreign', customer: 'cus_f', subscription: 'sub_f', amount: 999 }), { id: 'evt_fx3' }),
    ],
    [
      'a subscription of another product',
      stripeEvent('customer.subscription.created', subscription({ id: 'sub_f', customer: 'cus_f' }), { id: 'evt_fx4' }),
    ],
    ['an event type we do not act on', stripeEvent('product.created', { object: 'product', name: 'Tote bag' }, { id: 'evt_fx5' })],
  ])('stores %s, answers 200 and records no supporter', async (_name, event) => {
    expect(await deliverOk(event)).toMatchObject({ duplicate: false, outcome: 'ignored' });
    expect(await eventCount()).toBe(1);
    expect(await supporters()).toEqual([]);
    expect(await payments()).toEqual([]);
    expect(await db().selectFrom('memberships').selectAll().execute()).toEqual([]);
    const stored = await db().selectFrom('stripe_events').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ id: event.id, type: event.type, outcome: 'ignored', publication_id: null });
    expect((stored.payload as { id: string }).id).toBe(event.id);
  });
});

describe('failures', () => {
  it('keeps an event whose handler fails as failed, with its error and next attempt, and rolls back all it did', async () => {
    // A negative amount violates a table constraint half-way through the handler.
    const broken = stripeEvent('checkout.session.completed', gift('cs_broken', { amount: -5 }), { id: 'evt_broken' });
    const res = await deliver(t.app, broken);
    expect(res.status).toBe(200); // stored: Stripe need not retry, the applier will
    const row = await db().selectFrom('stripe_events').selectAll().where('id', '=', 'evt_broken').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', attempts: 1, outcome: null });
    expect(row.last_error).toMatch(/constraint/);
    expect(row.next_attempt_at!.getTime()).toBeGreaterThan(Date.now());
    expect(await supporters()).toEqual([]);
    expect(await db().selectFrom('checkout_sessions').selectAll().execute()).toEqual([]);
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.webhooks).toMatchObject({ pending: 0, failed: 1 });
  });

  it('answers 503 (never 2xx) when the database is unreachable', async () => {
    const unreachable = await openDatabase({ databaseUrl: 'postgres://postgres@127.0.0.1:1/favour' });
    try {
      const app = createApp({
        db: unreachable.db,
        stripe: undefined,
        logger: createLogger('silent'),
        metrics: createMetrics(unreachable.poolStats),
        config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: 'whsec_test_secret_for_favour' },
      });
      const res = await deliver(app, stripeEvent('checkout.session.completed', gift('cs_down'), { id: 'evt_down' }));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('database_unavailable');
      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database).toBe('unreachable');
      const checkout = await request(app)
        .post('/api/checkout')
        .send({ publication: 'demo', amount: 500, currency: 'eur', interval: 'once', article_url: 'https://news.example/a' });
      expect(checkout.status).toBe(503);
      expect(checkout.body.error.code).toBe('database_unavailable');
    } finally {
      await unreachable.close();
    }
  });
});
