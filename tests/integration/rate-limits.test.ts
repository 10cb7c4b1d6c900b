import { Redis } from 'ioredis';
import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import {
  memoryRateLimit,
  NO_RATE_LIMITS,
  parseLimitSpec,
  rateLimitIn,
  rateLimitsIn,
  type RateLimitStore,
} from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { createTestApp, createTestStripe, STRIPE_TEST_HOST, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';

const body = { publication: 'demo', amount: 500, currency: 'eur', interval: 'once', article_url: 'https://news.example/a' };
const stripeReplies = () =>
  nock(STRIPE_TEST_HOST)
    .persist()
    .post('/v1/checkout/sessions')
    .reply(200, () => ({
      id: `cs_test_${Math.random().toString(36).slice(2)}`,
      object: 'checkout.session',
      url: 'https://checkout.stripe.com/c/pay/x',
    }));

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('limit specs', () => {
  it('reads requests/seconds and off', () => {
    expect(parseLimitSpec('10/600')).toEqual({ points: 10, seconds: 600 });
    expect(parseLimitSpec('off')).toBeNull();
    expect(() => parseLimitSpec('ten')).toThrow(/10\/600/);
    expect(loadConfig({}).rateLimits).toEqual({
      checkoutPerIp: { points: 10, seconds: 600 },
      checkoutPerPublication: { points: 300, seconds: 600 },
      checkoutPerIpUnderLoad: { points: 2, seconds: 600 },
      eventsPerIp: { points: 120, seconds: 60 },
      pagesPerIp: { points: 60, seconds: 600 },
    });
    expect(() => loadConfig({ RATE_LIMIT_CHECKOUT_IP: 'lots' })).toThrow(/RATE_LIMIT_CHECKOUT_IP/);
  });
});

describe('checkout rate limits (card-testing defence)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ rateLimits: { checkoutPerIp: memoryRateLimit(3, 600), checkoutPerPublication: memoryRateLimit(5, 600) } });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After once an IP used its budget, without calling Stripe', async () => {
    const scope = stripeReplies();
    for (let i = 0; i < 3; i++) expect((await request(t.app).post('/api/checkout').send(body)).status).toBe(201);
    const calls = scope.pendingMocks().length;
    const limited = await request(t.app).post('/api/checkout').send(body);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(500);
    expect(scope.pendingMocks().length).toBe(calls);
    const rows = await t.database.db.selectFrom('checkout_sessions').select('id').execute();
    expect(rows).toHaveLength(3);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY says so', async () => {
    const res = await request(t.app).post('/api/checkout').set('X-Forwarded-For', '203.0.113.7').send(body);
    expect(res.status).toBe(429);
  });
});

describe('behind a trusted proxy', () => {
  it('limits per forwarded client, IPv6 by /64, and past the publication ceiling tightens per client instead of refusing everyone', async () => {
    const t = await createTestApp();
    const logs: string[] = [];
    const app = createApp({
      db: t.database.db,
      stripe: createTestStripe(),
      logger: createLogger('info', { write: (line: string) => void logs.push(line) }),
      metrics: createMetrics(t.database.poolStats),
      config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: undefined, trustProxy: 'loopback' },
      rateLimits: {
        ...NO_RATE_LIMITS,
        checkoutPerIp: memoryRateLimit(2, 600),
        checkoutPerPublication: memoryRateLimit(4, 600),
        checkoutPerIpUnderLoad: memoryRateLimit(1, 600),
      },
    });
    try {
      stripeReplies();
      const from = (ip: string) => request(app).post('/api/checkout').set('X-Forwarded-For', ip).send(body);
      expect((await from('198.51.100.1')).status).toBe(201);
      expect((await from('198.51.100.1')).status).toBe(201);
      expect((await from('198.51.100.1')).status).toBe(429);
      // One IPv6 subscriber's /64 is one client, however many addresses it uses.
      expect((await from('2001:db8:0:7::1')).status).toBe(201);
      expect((await from('2001:db8::7:abcd:1:2:3')).status).toBe(201); // 2001:db8:0:7::/64 again
      expect((await from('2001:0db8:0000:0007:ffff::9')).status).toBe(429);
      expect(logs.join('')).not.toContain('checkout ceiling');
      // Four sessions for the publication: past the ceiling, each further client gets one, then is refused.
      for (const ip of ['198.51.100.4', '2001:db8:0:8::1', '203.0.113.9']) {
        expect((await from(ip)).status).toBe(201);
        const second = await from(ip);
        expect(second.status).toBe(429);
        expect(second.body.error.code).toBe('rate_limited');
        expect(Number(second.headers['retry-after'])).toBeGreaterThan(500);
      }
      const warnings = logs.filter((line) => line.includes('checkout ceiling reached'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, publication: 'demo' });
      // Invalid requests never reach Stripe, and count only against their IP.
      expect(
        (
          await request(app)
            .post('/api/checkout')
            .set('X-Forwarded-For', '198.51.100.5')
            .send({ ...body, amount: 1 })
        ).status,
      ).toBe(400);
    } finally {
      await t.close();
    }
  });

  it('TRUST_PROXY=true is refused in production, with the reason and what to set instead', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TRUST_PROXY: 'true' })).toThrow(
      /TRUST_PROXY.*any X-Forwarded-For.*number of proxies/s,
    );
    expect(loadConfig({ NODE_ENV: 'production', TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ NODE_ENV: 'production', TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });
});

describe('shared stores', () => {
  async function sharedLimitHolds(store: () => RateLimitStore, name: string) {
    const spec = { points: 2, seconds: 60 };
    const a = rateLimitIn(store(), name, spec);
    const b = rateLimitIn(store(), name, spec);
    await a.consume('ip-1');
    await b.consume('ip-1');
    await expect(a.consume('ip-1')).rejects.toMatchObject({ status: 429 });
    await expect(b.consume('ip-1')).rejects.toMatchObject({ status: 429 });
    await b.consume('ip-2');
  }

  it.runIf(process.env.DATABASE_URL)('Postgres: two instances share one budget', async () => {
    const t = await createTestApp();
    try {
      await sharedLimitHolds(() => ({ kind: 'postgres', pool: t.database.pgPool! }), `test-pg-${Date.now()}`);
    } finally {
      await t.close();
    }
  });

  it.runIf(process.env.DATABASE_URL)(
    'Postgres: the publication ceiling is one for all instances, as the server builds its limits',
    async () => {
      const t = await createTestApp();
      try {
        const specs = { ...loadConfig({}).rateLimits, checkoutPerPublication: { points: 3, seconds: 60 } };
        const [a, b] = [
          rateLimitsIn({ kind: 'postgres', pool: t.database.pgPool! }, specs),
          rateLimitsIn({ kind: 'postgres', pool: t.database.pgPool! }, specs),
        ];
        const publication = `pub-${Date.now()}`;
        await a.checkoutPerPublication.consume(publication);
        await b.checkoutPerPublication.consume(publication);
        await a.checkoutPerPublication.consume(publication);
        await expect(b.checkoutPerPublication.consume(publication)).rejects.toMatchObject({ status: 429 });
      } finally {
        await t.close();
      }
    },
  );

  it('Redis: two instances share one budget', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const clients = [new Redis(url, { maxRetriesPerRequest: 1 }), new Redis(url, { maxRetriesPerRequest: 1 })];
    try {
      await Promise.all(clients.map((c) => c.ping()));
      let i = 0;
      await sharedLimitHolds(() => ({ kind: 'redis', client: clients[i++ % 2]! }), `test-redis-${Date.now()}`);
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  });
});
