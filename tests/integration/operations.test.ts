import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  it('/healthz and /readyz report a live, migrated service', async () => {
    expect((await request(t.app).get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok' },
      reconcile: { last_success_at: null },
    });
  });

  it('/metrics counts webhook events by type and outcome, and requests by route pattern', async () => {
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ id: 'cs_metrics', publication: 'demo', article_url: 'https://news.example/x' }),
      { id: 'evt_metrics' },
    );
    await deliver(t.app, event);
    await deliver(t.app, event);
    await request(t.app).get('/donate/demo');
    const metrics = (await request(t.app).get('/metrics')).text;
    expect(metrics).toContain('favour_webhook_events_total{type="checkout.session.completed",outcome="applied"} 1');
    expect(metrics).toContain('favour_webhook_events_total{type="checkout.session.completed",outcome="duplicate"} 1');
    expect(metrics).toMatch(/favour_http_request_duration_seconds_count\{method="GET",route="\/donate\/:publication",status="200"\} 1/);
    expect(metrics).toMatch(/favour_db_pool_connections \d+/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await request(t.app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    expect((await request(t.app).get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    expect((await request(t.app).get('/healthz').set('X-Request-Id', 'bad id; drop')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs signatures, authorization headers, cookies or e-mail addresses', async () => {
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ id: 'cs_log', publication: 'demo', email: 'secret.reader@example.com', article_url: 'https://news.example/x' }),
      { id: 'evt_log' },
    );
    await deliver(t.app, event);
    await request(t.app)
      .get('/thanks?session_id=cs_log&email=leak@example.com')
      .set('Authorization', 'Bearer fav_secret_key')
      .set('Cookie', 'sid=topsecret');
    await request(t.app).post('/api/checkout').send({
      publication: 'demo',
      amount: 10,
      currency: 'eur',
      interval: 'once',
      article_url: 'https://news.example/x',
      email: 'typed@example.com',
    });
    const logs = t.logs.join('');
    expect(logs).toContain('evt_log');
    expect(logs).not.toMatch(/v1=[0-9a-f]{20}/);
    expect(logs).not.toContain('fav_secret_key');
    expect(logs).not.toContain('topsecret');
    expect(logs).not.toMatch(/[\w.]@example\.com/);
  });
});

describe('pages', () => {
  it('serves a no-JavaScript donate form posting to /api/checkout', async () => {
    const res = await request(t.app).get('/donate/demo');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<form method="post" action="/api/checkout">');
    expect(res.text).toContain('name="publication" value="demo"');
    expect(res.text).toMatch(/name="amount" value="500"/);
    expect(res.text).not.toContain('<script');
  });

  it('thanks the reader with the amount from the database', async () => {
    await deliver(
      t.app,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: 'cs_thanks', amount: 2500, publication: 'demo', article_url: 'https://news.example/x' }),
        { id: 'evt_thanks' },
      ),
    );
    const res = await request(t.app).get('/thanks?session_id=cs_thanks');
    expect(res.text).toContain('€25');
    expect(res.text).toMatch(/href="https:\/\/news\.example\/x\?favour=thanks&amp;favour-until=\d+&amp;favour-publication=demo"/);
  });

  it('escapes what it shows', async () => {
    const res = await request(t.app).get('/thanks?session_id=<script>');
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>');
  });
});
