/**
 * Events Stripe rendered in another API version than favour's, or sent in the other mode than the secret key's,
 * are stored and acknowledged but held, not applied (issue 11, point 10); once the cause is fixed they are applied
 * with the objects they name as Stripe gives them now, in favour's version.
 */
import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webhookApplierOf } from '../../src/app.js';
import { STRIPE_API_VERSION } from '../../src/stripe/stripe-client.js';
import { releaseHeldEvents } from '../../src/webhooks/held-events.service.js';
import { resetData } from '../helpers/reset-data.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, createTestStripe, STRIPE_TEST_HOST, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

const OLD_VERSION = '2024-06-20';

function gift(id: string, o: { apiVersion?: string; livemode?: boolean; amount?: number } = {}) {
  const session = checkoutSession({ id: `cs_${id}`, amount: o.amount ?? 1500, publication: 'demo', article_url: 'https://news.example/a' });
  const event = stripeEvent('checkout.session.completed', session, { id: `evt_${id}` });
  return { ...event, api_version: o.apiVersion ?? STRIPE_API_VERSION, livemode: o.livemode ?? false } as typeof event;
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());
afterEach(() => nock.cleanAll());

const payments = () => t.database.db.selectFrom('payments').select(['checkout_session_id', 'amount']).execute();
const row = (id: string) => t.database.db.selectFrom('stripe_events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const warnings = () => t.logs.filter((l) => l.includes('"level":40') && l.includes('held'));

describe('an event in another API version', () => {
  it('is acknowledged and stored but held, counted in /readyz and /metrics, and logged once per version', async () => {
    await resetData(t.database.db);
    t.logs.length = 0;
    const res = await deliver(t.app, gift('old1', { apiVersion: OLD_VERSION }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false, held: 'api_version_mismatch' });
    await deliver(t.app, gift('old2', { apiVersion: OLD_VERSION }));
    await deliver(t.app, gift('now1'));

    expect(await row('evt_old1')).toMatchObject({
      status: 'held',
      hold_reason: 'api_version_mismatch',
      outcome: null,
      api_version: OLD_VERSION,
    });
    expect(await row('evt_now1')).toMatchObject({ status: 'applied', hold_reason: null });
    expect((await payments()).map((p) => p.checkout_session_id)).toEqual(['cs_now1']);
    // The applier runs again and still leaves them alone.
    await webhookApplierOf(t.app).drain();
    expect(await row('evt_old2')).toMatchObject({ status: 'held' });

    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.webhooks).toMatchObject({ pending: 0, failed: 0, api_version_mismatch: 2, livemode_mismatch: 0 });
    expect((await request(t.app).get('/metrics')).text).toContain('favour_webhook_events_held{reason="api_version_mismatch"} 2');

    const warned = warnings();
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(OLD_VERSION);
    expect(warned[0]).toContain('favour stripe setup');
    expect(warned[0]).toContain('favour events retry --held');
    // A redelivery is a duplicate, still held.
    expect((await deliver(t.app, gift('old1', { apiVersion: OLD_VERSION }))).body).toMatchObject({ duplicate: true });
  });

  it('is applied after the fix with its object fetched from Stripe in favour’s version, at the event’s time', async () => {
    const current = gift('old1', { amount: 1500 }).data.object as { id: string };
    const scope = nock(STRIPE_TEST_HOST)
      .get('/v1/checkout/sessions/cs_old1')
      .matchHeader('stripe-version', STRIPE_API_VERSION)
      .reply(200, current)
      .get('/v1/checkout/sessions/cs_old2')
      .reply(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such checkout.session' } });
    const result = await releaseHeldEvents({
      db: t.database.db,
      stripe: createTestStripe(),
      expectedLivemode: false,
      now: () => new Date(),
    });
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ released: 1, gone: 1, stillHeld: [] });
    await webhookApplierOf(t.app).drain();

    expect(await row('evt_old1')).toMatchObject({
      status: 'applied',
      outcome: 'applied',
      hold_reason: null,
      api_version: STRIPE_API_VERSION,
    });
    expect(await row('evt_old2')).toMatchObject({ status: 'applied', outcome: 'ignored', hold_reason: null });
    expect((await payments()).map((p) => p.checkout_session_id).sort()).toEqual(['cs_now1', 'cs_old1']);
    const ready = await request(t.app).get('/readyz');
    expect(ready.body.webhooks).toMatchObject({ api_version_mismatch: 0 });
  });

  it('stays held, with the reason, when Stripe cannot be asked', async () => {
    await resetData(t.database.db);
    await deliver(t.app, gift('old3', { apiVersion: OLD_VERSION }));
    nock(STRIPE_TEST_HOST)
      .get('/v1/checkout/sessions/cs_old3')
      .times(3)
      .reply(500, { error: { type: 'api_error', message: 'down' } });
    const result = await releaseHeldEvents({
      db: t.database.db,
      stripe: createTestStripe(),
      expectedLivemode: false,
      now: () => new Date(),
    });
    expect(result.released).toBe(0);
    expect(result.stillHeld).toEqual([{ id: 'evt_old3', reason: 'api_version_mismatch', error: expect.stringContaining('down') }]);
    expect(await row('evt_old3')).toMatchObject({ status: 'held', last_error: expect.stringContaining('down') });
    expect(await payments()).toEqual([]);
  });
});

describe('an event of the other mode', () => {
  it('is held while STRIPE_SECRET_KEY is of the other mode, and applied once the key matches', async () => {
    await resetData(t.database.db);
    t.logs.length = 0;
    const res = await deliver(t.app, gift('live1', { livemode: true }));
    expect(res.body).toEqual({ received: true, duplicate: false, held: 'livemode_mismatch' });
    expect(await row('evt_live1')).toMatchObject({ status: 'held', hold_reason: 'livemode_mismatch' });
    expect(warnings()[0]).toContain('live-mode event');
    expect((await request(t.app).get('/readyz')).body.webhooks).toMatchObject({ livemode_mismatch: 1 });

    const stillTest = await releaseHeldEvents({ db: t.database.db, stripe: undefined, expectedLivemode: false, now: () => new Date() });
    expect(stillTest.stillHeld).toHaveLength(1);
    expect(await payments()).toEqual([]);

    const live = await releaseHeldEvents({ db: t.database.db, stripe: undefined, expectedLivemode: true, now: () => new Date() });
    expect(live).toMatchObject({ released: 1, stillHeld: [] });
    await webhookApplierOf(t.app).drain();
    expect((await payments()).map((p) => p.checkout_session_id)).toEqual(['cs_live1']);
  });

  it('is applied when no secret key says which mode to expect', async () => {
    const keyless = await createTestApp({ stripe: null });
    try {
      const res = await deliver(keyless.app, gift('live2', { livemode: true }));
      expect(res.body).toEqual({ received: true, duplicate: false });
    } finally {
      await keyless.close();
    }
  });
});
