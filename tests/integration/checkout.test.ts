import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, STRIPE_TEST_HOST, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

const valid = {
  publication: 'demo',
  amount: 1000,
  currency: 'eur',
  interval: 'once',
  article_url: 'https://news.example/2026/11/city-hall?utm=x',
};

/** Intercepts one session create and records the form body Stripe would receive. */
function interceptSessionCreate(reply: { id: string; url?: string } = { id: 'cs_test_123' }) {
  const seen: { body?: URLSearchParams; headers?: Record<string, string | string[]> } = {};
  const scope = nock(STRIPE_TEST_HOST)
    .post('/v1/checkout/sessions', (body) => {
      seen.body = new URLSearchParams(body as unknown as string);
      return true;
    })
    .reply(function () {
      seen.headers = this.req.headers as Record<string, string | string[]>;
      return [
        200,
        { object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${reply.id}`, payment_status: 'unpaid', ...reply },
      ];
    });
  return { scope, seen };
}

async function sessionRows() {
  return t.database.db.selectFrom('checkout_sessions').selectAll().orderBy('created_at').execute();
}

describe('POST /api/checkout', () => {
  it('creates a one-off donation session with the donate settings and metadata on the session and payment intent', async () => {
    const { scope, seen } = interceptSessionCreate({ id: 'cs_test_once' });
    const res = await request(t.app)
      .post('/api/checkout')
      .send({ ...valid, variant: 'plea-b', email: 'Reader@Example.com', locale: 'it' });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: 'cs_test_once', url: 'https://checkout.stripe.com/c/pay/cs_test_once' });
    expect(scope.isDone()).toBe(true);
    const body = Object.fromEntries(seen.body!);
    expect(body).toMatchObject({
      mode: 'payment',
      submit_type: 'donate',
      customer_creation: 'always',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '1000',
      'line_items[0][price_data][product_data][name]': 'Gift to The Demo Daily',
      success_url: `${TEST_PUBLIC_URL}/thanks?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: 'https://news.example/2026/11/city-hall?utm=x&favour=cancelled',
      locale: 'it',
      customer_email: 'Reader@Example.com',
      'metadata[publication]': 'demo',
      'metadata[article_url]': 'https://news.example/2026/11/city-hall?utm=x',
      'metadata[variant]': 'plea-b',
      'metadata[interval]': 'once',
      'payment_intent_data[metadata][publication]': 'demo',
      'payment_intent_data[metadata][article_url]': 'https://news.example/2026/11/city-hall?utm=x',
      'payment_intent_data[metadata][variant]': 'plea-b',
      'payment_intent_data[metadata][interval]': 'once',
    });
    expect(body).not.toHaveProperty('line_items[0][price_data][recurring][interval]');
    expect(body).not.toHaveProperty('subscription_data[metadata][publication]');
    expect(seen.headers!['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);

    const [row] = await sessionRows();
    expect(row).toMatchObject({
      id: 'cs_test_once',
      article_url: 'https://news.example/2026/11/city-hall?utm=x',
      variant: 'plea-b',
      amount: 1000,
      currency: 'eur',
      interval: 'once',
      status: 'open',
    });
  });

  it.each(['month', 'year'] as const)('creates a %sly membership as a subscription with recurring price data', async (interval) => {
    const { seen } = interceptSessionCreate({ id: `cs_test_${interval}` });
    const res = await request(t.app)
      .post('/api/checkout')
      .send({ ...valid, interval, amount: 500 });
    expect(res.status).toBe(201);
    const body = Object.fromEntries(seen.body!);
    expect(body).toMatchObject({
      mode: 'subscription',
      'line_items[0][price_data][recurring][interval]': interval,
      'line_items[0][price_data][unit_amount]': '500',
      'subscription_data[metadata][publication]': 'demo',
      'subscription_data[metadata][interval]': interval,
      'subscription_data[metadata][article_url]': 'https://news.example/2026/11/city-hall?utm=x',
      'metadata[interval]': interval,
    });
    expect(body).not.toHaveProperty('submit_type');
    expect(body).not.toHaveProperty('customer_creation');
    expect(body).not.toHaveProperty('payment_intent_data[metadata][publication]');
  });

  it('answers an HTML form post with a 303 redirect to Stripe Checkout', async () => {
    interceptSessionCreate({ id: 'cs_test_form' });
    const res = await request(t.app)
      .post('/api/checkout')
      .type('form')
      .send({ publication: 'demo', amount: '2500', currency: 'eur', interval: 'once', article_url: 'https://news.example/a' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('https://checkout.stripe.com/c/pay/cs_test_form');
  });

  it('uses the client idempotency key, so a retried request does not record a second session', async () => {
    const first = interceptSessionCreate({ id: 'cs_test_idem' });
    const second = interceptSessionCreate({ id: 'cs_test_idem' });
    const before = (await sessionRows()).length;
    for (let i = 0; i < 2; i++) {
      const res = await request(t.app).post('/api/checkout').set('Idempotency-Key', 'reader-click-42').send(valid);
      expect(res.status).toBe(201);
    }
    expect(first.seen.headers!['idempotency-key']).toBe('favour-checkout-demo-reader-click-42');
    expect(second.seen.headers!['idempotency-key']).toBe('favour-checkout-demo-reader-click-42');
    expect((await sessionRows()).length).toBe(before + 1);
  });

  describe('rejects bad input with a clear error and no Stripe call', () => {
    const cases: Array<[string, Record<string, unknown>, number, string, string?]> = [
      ['unknown publication', { publication: 'nope' }, 404, 'unknown_publication', 'publication'],
      [
        'currency not accepted',
        { currency: 'usd', publication: 'italia', article_url: 'https://favore.example/x' },
        400,
        'currency_not_accepted',
        'currency',
      ],
      ['malformed currency', { currency: 'euro' }, 400, 'currency_not_accepted', 'currency'],
      ['fractional amount', { amount: 10.5 }, 400, 'invalid_amount', 'amount'],
      ['amount as words', { amount: 'ten' }, 400, 'invalid_amount', 'amount'],
      ['amount below the minimum', { amount: 49 }, 400, 'amount_out_of_range', 'amount'],
      ['amount above the maximum', { amount: 100_000_000 }, 400, 'amount_out_of_range', 'amount'],
      ['negative amount', { amount: -500 }, 400, 'amount_out_of_range', 'amount'],
      ['unknown interval', { interval: 'weekly' }, 400, 'invalid_interval', 'interval'],
      [
        'interval the publication does not offer',
        { interval: 'year', publication: 'italia', article_url: 'https://favore.example/x' },
        400,
        'interval_not_available',
        'interval',
      ],
      ['article on another site (open redirect)', { article_url: 'https://evil.example/phish' }, 400, 'invalid_article_url', 'article_url'],
      ['article with a look-alike host', { article_url: 'https://news.example.evil.example/x' }, 400, 'invalid_article_url', 'article_url'],
      ['javascript: article url', { article_url: 'javascript:alert(1)' }, 400, 'invalid_article_url', 'article_url'],
      ['relative article url', { article_url: '/2026/story' }, 400, 'invalid_article_url', 'article_url'],
      ['article url with credentials', { article_url: 'https://user:pw@news.example/x' }, 400, 'invalid_article_url', 'article_url'],
      ['missing amount', { amount: undefined }, 400, 'invalid_amount', 'amount'],
      ['unknown field', { coupon: 'FREE' }, 400, 'invalid_request', 'coupon'],
      ['bad e-mail', { email: 'not-an-email' }, 400, 'invalid_request', 'email'],
    ];
    it.each(cases)('%s', async (_name, change, status, code, field) => {
      const before = (await sessionRows()).length;
      const res = await request(t.app)
        .post('/api/checkout')
        .send({ ...valid, ...change });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe('string');
      if (field) {
        expect(res.body.error.message).toContain(field);
        expect(res.body.error.field).toBe(field);
      }
      expect(nock.pendingMocks()).toEqual([]);
      expect(nock.isDone()).toBe(true);
      expect((await sessionRows()).length).toBe(before);
    });

    it('malformed JSON', async () => {
      const res = await request(t.app).post('/api/checkout').set('content-type', 'application/json').send('{"publication":');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_json', message: 'The request body is not valid JSON.' } });
    });

    it('a body over 16 KB', async () => {
      const res = await request(t.app)
        .post('/api/checkout')
        .send({ ...valid, variant: 'x'.repeat(17_000) });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it('another content type', async () => {
      const res = await request(t.app).post('/api/checkout').set('content-type', 'text/plain').send('amount=5');
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    });
  });

  it.each([
    [500, { error: { type: 'api_error', message: 'boom' } }, 502, 'stripe_unavailable'],
    [400, { error: { type: 'invalid_request_error', message: 'bad param' } }, 502, 'stripe_error'],
    [401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_***' } }, 502, 'stripe_error'],
  ])('maps a Stripe %s answer to a clear error without a stack trace or a recorded session', async (stripeStatus, reply, status, code) => {
    const before = (await sessionRows()).length;
    // 500s are retried by the SDK (maxNetworkRetries 2): answer every attempt the same.
    nock(STRIPE_TEST_HOST).post('/v1/checkout/sessions').times(3).reply(stripeStatus, reply);
    const res = await request(t.app).post('/api/checkout').send(valid);
    nock.cleanAll();
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(JSON.stringify(res.body)).not.toContain('sk_test');
    expect((await sessionRows()).length).toBe(before);
  });

  it('retries a Stripe 500 with the same idempotency key and succeeds', async () => {
    const keys: string[] = [];
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions')
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [500, { error: { type: 'api_error', message: 'try again' } }];
      })
      .post('/v1/checkout/sessions')
      .reply(function () {
        keys.push(String(this.req.headers['idempotency-key']));
        return [200, { id: 'cs_test_retry', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_retry' }];
      });
    const res = await request(t.app).post('/api/checkout').send(valid);
    expect(res.status).toBe(201);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });
});

describe('without STRIPE_SECRET_KEY', () => {
  it('answers 503 payments_not_configured saying what to set', async () => {
    const unconfigured = await createTestApp({ stripe: null });
    try {
      const res = await request(unconfigured.app).post('/api/checkout').send(valid);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('payments_not_configured');
      expect(res.body.error.message).toContain('STRIPE_SECRET_KEY');
      const health = await request(unconfigured.app).get('/readyz');
      expect(health.status).toBe(200);
    } finally {
      await unconfigured.close();
    }
  });
});
