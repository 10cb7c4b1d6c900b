/**
 * Stripe API faults on checkout (hardening issue, point 3, last item): rate limits (429), timeouts
 * and reset connections are retried by the SDK with the same idempotency key, then answered with
 * a clear 502/503; a session is recorded once however many attempts and client retries it took.
 * (500s and 4xx are covered by tests/integration/checkout.test.ts.)
 *
 * The apps' Stripe clients here have a 500 ms timeout (the shared test client has the SDK's
 * default of 80 s) and, like production, two network retries.
 *
 * Two nock 14 quirks shape these tests: `.delay()` never trips the timeout of Node's http client
 * (the SDK's default transport), so the timeout is shown twice, with nock's delay against the
 * SDK's fetch transport, and with the real transport against a slow server on 127.0.0.1; and
 * `.replyWithError({ code: 'ECONNRESET' })` with a plain object leaves the request hanging forever,
 * so the reset is an Error instance carrying the code.
 */
import type { Express } from 'express';
import nock from 'nock';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { createLogger } from '../../../src/logger.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { startStubStripe, type StubStripe } from '../../helpers/hardening-server.js';
import {
  createTestApp,
  STRIPE_TEST_HOST,
  TEST_PUBLIC_URL,
  TEST_STRIPE_KEY,
  TEST_WEBHOOK_SECRET,
  type TestApp,
} from '../../helpers/test-app.js';

const TIMEOUT_MS = 500;
let t: TestApp;
/** The same database behind an app whose Stripe client uses the SDK's fetch transport. */
let fetchApp: Express;
/** And one whose (default, Node http) client talks to a slow Stripe on 127.0.0.1. */
let slowApp: Express;
let slowStripe: StubStripe;
let slowStripeDelayMs = 0;

function appWith(stripe: Stripe): Express {
  return createApp({
    db: t.database.db,
    stripe,
    logger: createLogger('silent'),
    metrics: createMetrics(t.database.poolStats),
    config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: TEST_WEBHOOK_SECRET },
  });
}

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const stripe = new Stripe(TEST_STRIPE_KEY, {
    host: 'stripe.test',
    port: 80,
    protocol: 'http',
    maxNetworkRetries: 2,
    timeout: TIMEOUT_MS,
  });
  t = await createTestApp({ stripe });
  fetchApp = appWith(
    new Stripe(TEST_STRIPE_KEY, {
      host: 'stripe.test',
      port: 80,
      protocol: 'http',
      maxNetworkRetries: 2,
      timeout: TIMEOUT_MS,
      httpClient: Stripe.createFetchHttpClient(),
    }),
  );
  let slowSessions = 0;
  slowStripe = await startStubStripe(
    () => {
      const id = `cs_test_slow${++slowSessions}`;
      return { status: 200, body: { id, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${id}` } };
    },
    () => slowStripeDelayMs,
  );
  const { hostname, port } = new URL(slowStripe.url);
  slowApp = appWith(
    new Stripe(TEST_STRIPE_KEY, { host: hostname, port: Number(port), protocol: 'http', maxNetworkRetries: 2, timeout: TIMEOUT_MS }),
  );
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await slowStripe?.close();
  await t?.close();
});
beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks(), 'every planned Stripe answer was used').toEqual([]);
  nock.cleanAll();
});

const valid = {
  publication: 'demo',
  amount: 1000,
  currency: 'eur',
  interval: 'once',
  article_url: 'https://news.example/2026/11/city-hall',
};

/** Stripe's answers, one per attempt, recording the idempotency key each attempt carried. */
function stripeAnswers(...answers: Array<(scope: nock.Interceptor) => nock.Scope>) {
  const keys: string[] = [];
  const scope = nock(STRIPE_TEST_HOST);
  for (const answer of answers) {
    answer(
      scope.post('/v1/checkout/sessions').matchHeader('idempotency-key', (value: string) => {
        keys.push(value);
        return true;
      }),
    );
  }
  return keys;
}

const created = (id: string) => (i: nock.Interceptor) =>
  i.reply(200, { id, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${id}`, payment_status: 'unpaid' });
const rateLimited = (shouldRetry: boolean) => (i: nock.Interceptor) =>
  i.reply(
    429,
    { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } },
    shouldRetry ? { 'Stripe-Should-Retry': 'true' } : {},
  );
const tooSlow = (i: nock.Interceptor) =>
  i
    .delay(TIMEOUT_MS * 3)
    .reply(200, { id: 'cs_never_seen', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_never_seen' });
const reset = (i: nock.Interceptor) => i.replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
const serverError = (i: nock.Interceptor) => i.reply(500, { error: { type: 'api_error', message: 'try again' } });

async function sessionIds(): Promise<string[]> {
  return (await t.database.db.selectFrom('checkout_sessions').select('id').orderBy('id').execute()).map((r) => r.id);
}

function expectOneKey(keys: string[], attempts: number) {
  expect(keys).toHaveLength(attempts);
  expect(new Set(keys).size, `the same idempotency key on every attempt: ${keys.join(', ')}`).toBe(1);
}

describe('checkout when Stripe misbehaves', () => {
  it('429 with Stripe-Should-Retry: retried twice with the same key, then 503 stripe_rate_limited, nothing recorded', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(rateLimited(true), rateLimited(true), rateLimited(true));
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('stripe_rate_limited');
    expectOneKey(keys, 3);
    expect(await sessionIds()).toEqual(before);
  });

  it('429 without Stripe-Should-Retry: not retried by the SDK, 503 stripe_rate_limited at once', async () => {
    const keys = stripeAnswers(rateLimited(false));
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('stripe_rate_limited');
    expect(keys).toHaveLength(1);
  });

  it('a 429 then a session: the retry succeeds with the same key and one session is recorded', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(rateLimited(true), created('cs_test_after_429'));
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('cs_test_after_429');
    expectOneKey(keys, 2);
    expect(await sessionIds()).toEqual([...before, 'cs_test_after_429'].sort());
  });

  it('every attempt times out (nock delay): retried with the same key, then 502 stripe_unavailable within the time budget', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(tooSlow, tooSlow, tooSlow);
    const started = Date.now();
    const res = await request(fetchApp).post('/api/checkout').send(valid);
    const took = Date.now() - started;
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('stripe_unavailable');
    expectOneKey(keys, 3);
    // Three attempts of 500 ms and two back-offs of at most 1 s each; never the 1.5 s replies.
    expect(took).toBeGreaterThanOrEqual(3 * TIMEOUT_MS);
    expect(took).toBeLessThan(3 * TIMEOUT_MS + 2_000 + 1_000);
    expect(await sessionIds()).toEqual(before);
  });

  it('the first attempt times out (Stripe may have created the session), the retry gets it: one session recorded', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(tooSlow, created('cs_test_after_timeout'));
    const res = await request(fetchApp).post('/api/checkout').send(valid);
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('cs_test_after_timeout');
    expectOneKey(keys, 2);
    expect(await sessionIds()).toEqual([...before, 'cs_test_after_timeout'].sort());
  });

  it('connections reset: retried with the same key, then 502 stripe_unavailable, nothing recorded', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(reset, reset, reset);
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('stripe_unavailable');
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNRESET|socket hang up|at .*\.(ts|js):\d+/);
    expectOneKey(keys, 3);
    expect(await sessionIds()).toEqual(before);
  });

  it('a reset then a session: one session recorded, same key', async () => {
    const before = await sessionIds();
    const keys = stripeAnswers(reset, created('cs_test_after_reset'));
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(201);
    expectOneKey(keys, 2);
    expect(await sessionIds()).toEqual([...before, 'cs_test_after_reset'].sort());
  });

  it('a client retrying after a 502 with its Idempotency-Key gets the same session, recorded once', async () => {
    const before = await sessionIds();
    // First click: Stripe fails three times. The reader clicks again (same key) twice: Stripe
    // answers both with the same session, as its idempotency layer does.
    const keys = stripeAnswers(serverError, serverError, serverError, created('cs_test_client_retry'), created('cs_test_client_retry'));
    const first = await request(t.app).post('/api/checkout').set('Idempotency-Key', 'click-7').send(valid);
    expect(first.status).toBe(502);
    for (let i = 0; i < 2; i++) {
      const again = await request(t.app).post('/api/checkout').set('Idempotency-Key', 'click-7').send(valid);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe('cs_test_client_retry');
    }
    expectOneKey(keys, 5);
    expect(keys[0]).toBe('favour-checkout-demo-click-7');
    expect(await sessionIds()).toEqual([...before, 'cs_test_client_retry'].sort());
  });

  it('mixed faults in one request (reset, timeout, 429) end in a clear error, never a 500', async () => {
    const keys = stripeAnswers(reset, tooSlow, rateLimited(true));
    const res = await request(fetchApp).post('/api/checkout').send(valid);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'stripe_rate_limited' });
    expectOneKey(keys, 3);
  });

  it('a real slow Stripe (a socket on 127.0.0.1, the production transport): timeouts retried with one key, then 502', async () => {
    const before = await sessionIds();
    slowStripe.requests.length = 0;
    slowStripeDelayMs = TIMEOUT_MS * 3;
    const started = Date.now();
    const res = await request(slowApp).post('/api/checkout').send(valid);
    slowStripeDelayMs = 0;
    expect(Date.now() - started).toBeLessThan(3 * TIMEOUT_MS + 2_000 + 1_000);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('stripe_unavailable');
    const keys = slowStripe.requests.map((r) => String(r.headers['idempotency-key']));
    expectOneKey(keys, 3);
    // The slow server did create sessions (it answered late): none of them is recorded.
    expect(await sessionIds()).toEqual(before);
  });
});
