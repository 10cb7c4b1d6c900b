/**
 * "Make it monthly" on the server (issue 12, point 2): the setting and what the widget configuration says of it,
 * the offer's beacons counted per article and variant in the articles report, and the accepted offer recorded in
 * the checkout session's metadata.
 */
import { sql } from 'kysely';
import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { widgetCountersOf } from '../../src/app.js';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { memoryRateLimit } from '../../src/http/rate-limit.js';
import { changePublication } from '../../src/publications/publication.service.js';
import { createTestApp, STRIPE_TEST_HOST, type TestApp } from '../helpers/test-app.js';

const NOW = new Date('2026-11-28T12:00:00Z');
let t: TestApp;
let key: string;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp({ now: () => NOW, rateLimits: { eventsPerIp: memoryRateLimit(1000, 60) } });
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  key = (await createApiKey(t.database.db, demo.id, 'upsell')).key;
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const config = async (slug = 'demo') => (await request(t.app).get(`/api/widget/${slug}`)).body;
const beacon = (type: string, article: string, variant?: string) =>
  request(t.app)
    .post('/api/events')
    .set('content-type', 'text/plain;charset=UTF-8')
    .send(JSON.stringify({ publication: 'demo', type, article_url: `https://news.example/${article}`, variant }));

describe('the setting', () => {
  it('is on by default where monthly giving is offered, with a third of the gift; off, or without month, it is null', async () => {
    expect((await config()).upsell).toEqual({ fraction: 1 / 3 });
    expect((await config('italia')).upsell).toEqual({ fraction: 1 / 3 }); // once and month
    await t.changePublication('demo', { intervals: ['once', 'year'] });
    await expect.poll(async () => (await config()).upsell).toBeNull();
    await t.changePublication('demo', { intervals: ['once', 'month', 'year'] });
    const current = (await t.database.db.selectFrom('publications').select('settings').where('slug', '=', 'demo').executeTakeFirstOrThrow())
      .settings as { widget: Record<string, unknown> };
    await t.changePublication('demo', { widget: { ...current.widget, upsell: { fraction: 0.25 } } as never });
    await expect.poll(async () => (await config()).upsell).toEqual({ fraction: 0.25 });
    await t.changePublication('demo', { widget: { ...current.widget, upsell: false } as never });
    await expect.poll(async () => (await config()).upsell).toBeNull();
    await expect(
      changePublication(t.database.db, 'demo', { widget: { ...current.widget, upsell: { fraction: 2 } } as never }),
    ).rejects.toThrow('widget.upsell');
    await t.changePublication('demo', { widget: { ...current.widget, upsell: true } as never });
    await expect.poll(async () => (await config()).upsell).toEqual({ fraction: 1 / 3 });
  });
});

describe('measured', () => {
  it('counts the offer shown and taken per article and variant, next to the funnel', async () => {
    for (const [type, article, variant] of [
      ['impression', 'a', undefined],
      ['click', 'a', undefined],
      ['upsell_shown', 'a', undefined],
      ['upsell_shown', 'a', undefined],
      ['upsell_accepted', 'a', undefined],
      ['upsell_shown', 'b', undefined],
    ] as const) {
      expect((await beacon(type, article, variant)).status).toBe(202);
    }
    expect((await beacon('upsell_declined', 'a')).status).toBe(400);
    await widgetCountersOf(t.app).flush();
    const res = await request(t.app).get('/api/reports/articles?from=2026-11-01&to=2026-11-30').set('Authorization', `Bearer ${key}`);
    expect(res.status, JSON.stringify(res.body) + t.logs.filter((l) => l.includes('"level":50')).join('\n')).toBe(200);
    const byUrl = Object.fromEntries(res.body.articles.map((a: { article_url: string }) => [a.article_url, a]));
    expect(byUrl['https://news.example/a']).toMatchObject({
      impressions: 1,
      clicks: 1,
      upsell_shown: 2,
      upsell_accepted: 1,
      upsell_rate: 0.5,
    });
    expect(byUrl['https://news.example/b']).toMatchObject({ impressions: 0, upsell_shown: 1, upsell_accepted: 0, upsell_rate: 0 });
    expect(res.body.variants).toEqual([expect.objectContaining({ variant: null, upsell_shown: 3, upsell_accepted: 1 })]);
    // Rollups rebuilt from their sources leave the offer's counts as they were.
    await sql`SELECT favour_recompute_rollups(id) FROM publications`.execute(t.database.db);
    const again = await request(t.app).get('/api/reports/articles?from=2026-11-01&to=2026-11-30').set('Authorization', `Bearer ${key}`);
    expect(again.body.variants[0]).toMatchObject({ upsell_shown: 3, upsell_accepted: 1 });
  });
});

describe('POST /api/checkout', () => {
  it('records an accepted offer in the session metadata, and refuses any other value', async () => {
    let form: URLSearchParams | undefined;
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions', (body) => {
        form = new URLSearchParams(body as unknown as string);
        return true;
      })
      .reply(200, { id: 'cs_test_upsell', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_upsell' });
    const body = { publication: 'demo', amount: 500, currency: 'eur', interval: 'month', article_url: 'https://news.example/a' };
    const res = await request(t.app)
      .post('/api/checkout')
      .send({ ...body, upsell: 'accepted' });
    expect(res.status).toBe(201);
    expect(form?.get('metadata[upsell]')).toBe('accepted');
    expect(form?.get('subscription_data[metadata][upsell]')).toBe('accepted');
    const bad = await request(t.app)
      .post('/api/checkout')
      .send({ ...body, upsell: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('upsell');
  });
});
