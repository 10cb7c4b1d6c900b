/**
 * Outbound webhooks (issue 14) against a real HTTP receiver on 127.0.0.1: events written by triggers in the
 * transaction that changed the books, signed per Standard Webhooks (checked with the `standardwebhooks` package and
 * with the spec's algorithm by hand), retried with the same webhook-id, in order per object, filtered by type, replayed,
 * disabled after five days of failures; unsafe targets refused when added and again at connect time.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createWebhookDeliverer, type WebhookDeliverer } from '../../src/outbound-webhooks/webhook-deliverer.js';
import { createWebhookEndpointService, WebhookEndpointError } from '../../src/outbound-webhooks/webhook-endpoint.service.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import type { PublicationRow } from '../../src/db/tables/publication.table.js';
import { startReceiver, type TestReceiver } from '../helpers/http-receiver.js';
import { resetData } from '../helpers/reset-data.js';
import { charge, checkoutSession, invoice, stripeEvent, subscription } from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

let t: TestApp;
let receiver: TestReceiver;
let demo: PublicationRow;
let ahead = 0;
const clock = () => new Date(Date.now() + ahead);
const allowLocal = { allowPrivate: true, requireHttps: false };
const deliverers: WebhookDeliverer[] = [];

const endpoints = () => createWebhookEndpointService({ db: t.database.db, policy: allowLocal, now: clock });
/** A deliverer on the test clock; attempts time out as in production (10 s) unless `timeoutMs` says otherwise. */
function deliverer(policy = allowLocal, timeoutMs?: number) {
  const created = createWebhookDeliverer({
    db: t.database.db,
    logger: createLogger('silent'),
    policy,
    now: clock,
    pollMs: 0,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  deliverers.push(created);
  return created;
}

beforeAll(async () => {
  t = await createTestApp();
  receiver = await startReceiver();
  demo = (await findPublicationBySlug(t.database.db, 'demo'))!;
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  ahead = 0;
  receiver.hold(false);
});
afterEach(async () => {
  for (const d of deliverers.splice(0)) await d.stop();
  await t.database.db.deleteFrom('webhook_endpoints').execute();
  await t.database.db.deleteFrom('webhook_messages').execute();
  await resetData(t.database.db);
});

const now = () => Math.floor(Date.now() / 1000);

/** A one-off gift of `amount` paid now by `email`. */
const gift = (id: string, email = 'ana@example.com', amount = 1500) =>
  deliver(
    t.app,
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({ id, publication: 'demo', amount, email, name: 'Ana Rossi', payment_intent: `pi_${id}`, created: now() }),
      { id: `evt_${id}`, created: now() },
    ),
  );

/** The standard's algorithm, by hand: base64 HMAC-SHA256 of "id.timestamp.body" keyed by the decoded secret. */
function expectedSignature(secret: string, headers: IncomingHttpHeaders, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64')}`;
}

describe('outbound webhooks', () => {
  it('tells an endpoint of a new supporter and their payment, signed per Standard Webhooks', async () => {
    const added = await endpoints().add(demo, { url: receiver.url(), description: 'CRM' });
    expect(added.id).toMatch(/^we_[0-9a-f]{24}$/);
    expect(added.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(added.events).toContain('payment.succeeded');

    expect((await gift('cs_wh_1')).status).toBe(200);
    await deliverer().drain();
    expect(receiver.received.map((r) => r.json.type).sort()).toEqual(['payment.succeeded', 'supporter.created']);
    for (const r of receiver.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - now())).toBeLessThan(30);
      expect(r.headers['webhook-signature']).toBe(expectedSignature(added.secret, r.headers, r.body));
      expect(new Webhook(added.secret).verify(r.body, r.headers as Record<string, string>)).toEqual(r.json);
    }
    const payment = receiver.received.find((r) => r.json.type === 'payment.succeeded')!.json;
    expect(payment.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(payment.data).toMatchObject({
      object: 'payment',
      publication: 'demo',
      kind: 'one_off',
      amount: 1500,
      currency: 'eur',
      status: 'succeeded',
      supporter: { email: 'ana@example.com', name: 'Ana Rossi' },
      stripe: { checkout_session: 'cs_wh_1', payment_intent: 'pi_cs_wh_1' },
      version: expect.any(Number),
    });
    const list = await endpoints().list(demo);
    expect(list).toMatchObject([{ id: added.id, pending: 0, failed: 0, last_delivered_at: expect.any(Date) }]);
  });

  it('retries a failing receiver with the same webhook-id, and says nothing twice when Stripe redelivers', async () => {
    const added = await endpoints().add(demo, { url: receiver.url('/flaky'), events: ['payment.succeeded'] });
    receiver.answerNext(307, 503); // a redirect is not followed: a failed attempt like any non-2xx
    await gift('cs_wh_2');
    await gift('cs_wh_2'); // Stripe's redelivery of the same event
    await deliverer().drain();
    expect(receiver.received).toHaveLength(1);
    ahead += 6_000; // the first retry after 5 s
    await deliverer().drain();
    expect(receiver.received).toHaveLength(2);
    ahead += 301_000; // then after 5 minutes
    await deliverer().drain();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(receiver.received.map((r) => r.path)).toEqual(['/flaky', '/flaky', '/flaky']);
    const [delivery] = await endpoints().deliveries(added.id, { failedOnly: false, limit: 10 });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, last_status: 204, type: 'payment.succeeded' });
  });

  it('tells a membership started, updated and ended once each, in order, and filters by type', async () => {
    await endpoints().add(demo, {
      url: receiver.url('/members'),
      events: ['membership.started', 'membership.updated', 'membership.ended'],
    });
    const sub = (o: Partial<Parameters<typeof subscription>[0]>, id: string, created: number) =>
      deliver(
        t.app,
        stripeEvent(
          'customer.subscription.updated',
          subscription({ id: 'sub_wh', customer: 'cus_wh', publication: 'demo', start_date: now(), ...o }),
          { id, created },
        ),
      );
    await sub({ status: 'active' }, 'evt_sub_1', now());
    await sub({ status: 'active', cancel_at_period_end: true }, 'evt_sub_2', now() + 1);
    await sub({ status: 'active', cancel_at_period_end: true }, 'evt_sub_2', now() + 1); // redelivered
    await sub({ status: 'canceled', ended_at: now() + 2, canceled_at: now() + 2 }, 'evt_sub_3', now() + 2);
    await sub({ status: 'active' }, 'evt_sub_1_late', now()); // an older state, late: changes nothing
    await deliverer().drain();
    expect(receiver.received.map((r) => r.json.type)).toEqual(['membership.started', 'membership.updated', 'membership.ended']);
    const versions = receiver.received.map((r) => r.json.data.version as number);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(receiver.received[1]!.json.data).toMatchObject({ object: 'membership', id: 'sub_wh', cancel_at_period_end: true });
    expect(receiver.received[2]!.json.data).toMatchObject({ status: 'canceled', ended_at: expect.any(String) });
  });

  it('tells of refunds, and replays a delivery and an endpoint', async () => {
    const added = await endpoints().add(demo, { url: receiver.url('/refunds'), events: ['payment.refunded'] });
    await gift('cs_wh_r', 'bo@example.com', 3000);
    const refund = (amount: number, id: string) =>
      deliver(
        t.app,
        stripeEvent('charge.refunded', charge({ id: 'ch_wh', payment_intent: 'pi_cs_wh_r', amount: 3000, amount_refunded: amount }), {
          id,
          created: now() + 5,
        }),
      );
    await refund(1000, 'evt_ref_1');
    await refund(3000, 'evt_ref_2');
    await deliverer().drain();
    expect(receiver.received.map((r) => [r.json.type, r.json.data.refunded_amount, r.json.data.status])).toEqual([
      ['payment.refunded', 1000, 'partially_refunded'],
      ['payment.refunded', 3000, 'refunded'],
    ]);
    const [latest] = await endpoints().deliveries(added.id, { failedOnly: false, limit: 1 });
    const replayed = await endpoints().replay({ deliveryId: latest!.id });
    expect(replayed.replayed).toBe(1);
    await deliverer().drain();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]!.headers['webhook-id']).toBe(receiver.received[1]!.headers['webhook-id']);
    expect((await endpoints().replay({ endpointId: added.id, since: '1h' })).replayed).toBe(2);
    await deliverer().drain();
    expect(receiver.received).toHaveLength(5);
  });

  it('disables an endpoint failing for five days; enabled again, it gets what waited', async () => {
    const added = await endpoints().add(demo, { url: receiver.url('/down'), events: ['payment.succeeded'] });
    receiver.answerNext(...Array.from({ length: 500 }, () => 500));
    const send = deliverer();
    // A new gift every 10 hours, each failing, for more than five days.
    for (let i = 0; i < 13; i++) {
      await gift(`cs_wh_d${i}`, `d${i}@example.com`);
      await send.drain();
      ahead += 36_001_000;
    }
    const [endpoint] = await endpoints().list(demo);
    expect(endpoint).toMatchObject({ id: added.id, disabled_reason: 'failing for 5 days', failing_since: expect.any(Date) });
    expect(endpoint!.disabled_at).not.toBeNull();
    // Operators see it too.
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', migrations: 'ok', outbound_webhooks: 'endpoints_disabled' });
    expect(Object.keys(ready.body).sort()).toEqual(['checks', 'reconcile', 'status', 'webhooks']);
    expect((await request(t.app).get('/metrics')).text).toMatch(/^favour_outbound_webhook_endpoints_disabled 1$/m);
    const attempts = receiver.received.length;
    await gift('cs_wh_after', 'after@example.com'); // nothing is written for a disabled endpoint
    ahead += 36_001_000;
    await send.drain();
    expect(receiver.received).toHaveLength(attempts);
    expect(
      await t.database.db.selectFrom('webhook_messages').select('type').where('object_key', 'like', 'payment:%').execute(),
    ).toHaveLength(13);

    receiver.received.length = 0;
    receiver.clearAnswers();
    await endpoints().enable(added.id);
    await send.drain();
    // What had not been given up after three days goes now; the endpoint is healthy again.
    const delivered = receiver.received.map((r) => r.json.data.stripe.checkout_session as string);
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered).toContain('cs_wh_d12');
    expect(await endpoints().list(demo)).toMatchObject([{ disabled_at: null, failing_since: null, pending: 0 }]);
    expect((await request(t.app).get('/readyz')).body.checks).toEqual({ database: 'ok', migrations: 'ok' });
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const added = await endpoints().add(demo, { url: receiver.url('/rotate'), events: ['supporter.created'] });
    const rotated = await endpoints().rotateSecret(added.id);
    await gift('cs_wh_rot', 'cy@example.com');
    await deliverer().drain();
    const [r] = receiver.received;
    const signatures = String(r!.headers['webhook-signature']).split(' ');
    expect(signatures).toEqual([
      expectedSignature(rotated.secret, r!.headers, r!.body),
      expectedSignature(added.secret, r!.headers, r!.body),
    ]);
    ahead += 25 * 3600_000;
    await endpoints().replay({ endpointId: added.id, since: '30h' });
    await deliverer().drain();
    expect(String(receiver.received[1]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
  });

  it('does not let a slow endpoint hold up another', async () => {
    const slowReceiver = await startReceiver();
    slowReceiver.hold(true);
    await endpoints().add(demo, { url: slowReceiver.url('/slow'), events: ['supporter.created'] });
    await endpoints().add(demo, { url: receiver.url('/fast'), events: ['supporter.created'] });
    for (let i = 0; i < 2; i++) await gift(`cs_wh_s${i}`, `s${i}@example.com`);
    const started = Date.now();
    const send = deliverer(allowLocal, 3000);
    send.wake();
    await expect.poll(() => receiver.received.length, { timeout: 2500, interval: 50 }).toBe(2);
    expect(Date.now() - started).toBeLessThan(2500);
    await send.drain();
    await slowReceiver.close();
  });

  it('refuses hostile targets when added, and again at connect time', async () => {
    const strict = createWebhookEndpointService({ db: t.database.db, policy: { allowPrivate: false, requireHttps: true }, now: clock });
    for (const url of [
      'http://127.0.0.1:1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'ftp://example.com/x',
      'https://10.1.2.3/x',
    ]) {
      await expect(strict.add(demo, { url })).rejects.toBeInstanceOf(WebhookEndpointError);
    }
    await expect(strict.add(demo, { url: 'http://93.184.215.14/x' })).rejects.toThrow(/https/);
    await expect(endpoints().add(demo, { url: receiver.url(), events: ['payment.nope'] })).rejects.toThrow(/Unknown event type/);

    // Added while local targets were allowed; the deliverer under the strict policy will not connect.
    const added = await endpoints().add(demo, {
      url: `http://localhost:${new URL(receiver.url()).port}/rebound`,
      events: ['supporter.created'],
    });
    await gift('cs_wh_h', 'dee@example.com');
    await deliverer({ allowPrivate: false, requireHttps: false }).drain();
    expect(receiver.received).toEqual([]);
    const [delivery] = await endpoints().deliveries(added.id, { failedOnly: false, limit: 1 });
    expect(delivery).toMatchObject({
      status: 'pending',
      last_status: null,
      last_error: expect.stringMatching(/not a public address|private|loopback/i),
    });
  });

  it('scrubs an erased supporter from the messages kept for replay, and forgets messages after 30 days', async () => {
    const added = await endpoints().add(demo, { url: receiver.url('/erase'), events: ['supporter.created', 'payment.succeeded'] });
    await gift('cs_wh_er', 'gone@example.com');
    await deliverer().drain();
    const { eraseSupporterByEmail } = await import('../../src/supporters/supporter-privacy.service.js');
    await eraseSupporterByEmail(t.database.db, demo, 'gone@example.com', new Date());
    const bodies = await t.database.db.selectFrom('webhook_messages').select('body').execute();
    expect(JSON.stringify(bodies)).not.toContain('gone@example.com');
    expect(JSON.stringify(bodies)).not.toContain('Ana Rossi');
    receiver.received.length = 0;
    await endpoints().replay({ endpointId: added.id, since: '1h' });
    await deliverer().drain();
    expect(receiver.received.map((r) => r.json.type).sort()).toEqual(['payment.succeeded', 'supporter.created']);
    expect(receiver.received.find((r) => r.json.type === 'payment.succeeded')!.json.data.supporter).toBeNull();

    const { deleteOldMessages } = await import('../../src/outbound-webhooks/webhook-delivery.repository.js');
    expect(await deleteOldMessages(t.database.db, new Date(Date.now() + 29 * 86_400_000))).toBe(0);
    expect(await deleteOldMessages(t.database.db, new Date(Date.now() + 31 * 86_400_000))).toBe(2);
    expect(await endpoints().deliveries(added.id, { failedOnly: false, limit: 10 })).toEqual([]);
  });

  it('writes nothing for a publication without endpoints', async () => {
    await gift('cs_wh_none');
    expect(await t.database.db.selectFrom('webhook_messages').selectAll().execute()).toEqual([]);
  });
});

// Membership invoices: the first paid invoice of a member is a payment.succeeded with the subscription's ids.
describe('membership payments', () => {
  it('carry the invoice and subscription', async () => {
    await endpoints().add(demo, { url: receiver.url('/inv'), events: ['payment.succeeded'] });
    await deliver(
      t.app,
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_wh',
          customer: 'cus_inv',
          subscription: 'sub_inv',
          amount: 500,
          created: now(),
          publication: 'demo',
          email: 'eve@example.com',
          billing_reason: 'subscription_create',
        }),
        { id: 'evt_in_wh', created: now() },
      ),
    );
    await deliverer().drain();
    expect(receiver.received.map((r) => r.json.data)).toEqual([
      expect.objectContaining({
        kind: 'membership',
        amount: 500,
        stripe: expect.objectContaining({ invoice: 'in_wh', subscription: 'sub_inv' }),
      }),
    ]);
  });
});

describe('the /api/webhooks endpoints', () => {
  let key: string;
  let italiaKey: string;
  let local: TestApp;
  beforeAll(async () => {
    local = await createTestApp({ webhooksAllowPrivate: true });
    const { createApiKey } = await import('../../src/api-keys/api-key.service.js');
    const pub = (slug: string) => findPublicationBySlug(local.database.db, slug);
    key = (await createApiKey(local.database.db, (await pub('demo'))!.id, 'hooks')).key;
    italiaKey = (await createApiKey(local.database.db, (await pub('italia'))!.id, 'hooks')).key;
  });
  afterAll(() => local.close());

  it('add, list, read, rotate, see deliveries, replay, enable and remove with a publication key', async () => {
    const api = (method: 'get' | 'post' | 'delete', path: string, k: string | null = key) => {
      const req = request(local.app)[method](path);
      return k === null ? req : req.set('Authorization', `Bearer ${k}`);
    };
    expect((await api('get', '/api/webhooks', null)).status).toBe(401);
    const added = await api('post', '/api/webhooks').send({
      url: receiver.url('/api'),
      events: ['supporter.created'],
      description: 'Slack',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      id: expect.stringMatching(/^we_/),
      secret: expect.stringMatching(/^whsec_/),
      status: 'enabled',
      publication: 'demo',
    });
    const id = added.body.id as string;

    const listed = await api('get', '/api/webhooks');
    expect(listed.body.data).toEqual([
      expect.objectContaining({ id, url: receiver.url('/api'), events: ['supporter.created'], description: 'Slack' }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect((await api('get', `/api/webhooks/${id}`)).body).toMatchObject({ id, pending: 0 });
    expect((await api('get', `/api/webhooks/${id}`, italiaKey)).status).toBe(404);

    const rotated = await api('post', `/api/webhooks/${id}/rotate-secret`);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(added.body.secret);

    await deliver(
      local.app,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: 'cs_api', publication: 'demo', amount: 900, email: 'api@example.com', created: now() }),
        {
          id: 'evt_api',
          created: now(),
        },
      ),
    );
    const send = createWebhookDeliverer({ db: local.database.db, logger: createLogger('silent'), policy: allowLocal, pollMs: 0 });
    await send.drain();
    const deliveries = await api('get', `/api/webhooks/${id}/deliveries?limit=5`);
    expect(deliveries.body.data).toEqual([
      expect.objectContaining({ type: 'supporter.created', status: 'delivered', attempts: 1, last_status: 204 }),
    ]);
    expect((await api('get', `/api/webhooks/${id}/deliveries?failed=true`)).body.data).toEqual([]);

    const again = await api('post', `/api/webhooks/deliveries/${deliveries.body.data[0].id}/replay`);
    expect(again.status).toBe(202);
    expect(again.body.replayed).toBe(1);
    // Each message once, however often it was sent.
    expect((await api('post', `/api/webhooks/${id}/replay`).send({ since: '1h' })).body.replayed).toBe(1);
    expect((await api('post', `/api/webhooks/${id}/replay`).send({ since: 'soon' })).status).toBe(400);
    await send.drain();
    await send.stop();
    expect(receiver.received.filter((r) => r.path === '/api')).toHaveLength(3);
    expect((await api('post', `/api/webhooks/${id}/enable`)).body.status).toBe('enabled');

    expect((await api('delete', `/api/webhooks/${id}`)).status).toBe(204);
    expect((await api('get', '/api/webhooks')).body.data).toEqual([]);
    expect((await api('delete', `/api/webhooks/${id}`)).status).toBe(404);

    // Each change is a log line of its own, with where the endpoint points and never its secret.
    const changes = local.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((l) => String(l.msg).startsWith('webhook endpoint'));
    expect(changes.map((l) => [l.msg, l.endpoint, l.publication])).toEqual([
      ['webhook endpoint added', id, 'demo'],
      ['webhook endpoint secret rotated', id, 'demo'],
      ['webhook endpoint enabled', id, 'demo'],
      ['webhook endpoint removed', id, 'demo'],
    ]);
    expect(changes[0]!.host).toBe(new URL(receiver.url()).host);
    expect(local.logs.join('\n')).not.toContain('whsec_');
  });

  it('refuses unsafe targets and unknown event types with a clear error', async () => {
    const strict = await request(t.app)
      .post('/api/webhooks')
      .set(
        'Authorization',
        `Bearer ${(await (await import('../../src/api-keys/api-key.service.js')).createApiKey(t.database.db, demo.id, 'x')).key}`,
      )
      .send({ url: 'http://169.254.169.254/latest/meta-data' });
    expect(strict.status).toBe(400);
    expect(strict.body.error).toMatchObject({ code: 'unsafe_webhook_url', message: expect.stringContaining('169.254.169.254') });
    const unknown = await request(local.app)
      .post('/api/webhooks')
      .set('Authorization', `Bearer ${key}`)
      .send({ url: receiver.url(), events: ['payment.maybe'] });
    expect(unknown.body.error.code).toBe('unknown_event_type');
    expect(
      (await request(local.app).post('/api/webhooks').set('Authorization', `Bearer ${key}`).send({ url: receiver.url(), extra: 1 })).status,
    ).toBe(400);
  });
});
