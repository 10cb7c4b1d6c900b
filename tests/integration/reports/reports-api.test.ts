import request from 'supertest';
import { widgetCountersOf } from '../../../src/app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import { revokeApiKey } from '../../../src/api-keys/api-key.repository.js';
import { widgetSettingsSchema } from '../../../src/publications/publication.schema.js';
import { changePublication } from '../../../src/publications/publication.service.js';
import { ARTICLE_1, ARTICLE_2, ARTICLE_3, deliverAll, knownHistory } from '../../helpers/report-history.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const NOW = new Date('2026-03-31T12:00:00Z');
let t: TestApp;
let key: string;
let italiaKey: string;

const get = (path: string, k: string | null = key) => {
  const req = request(t.app).get(path);
  return k === null ? req : req.set('Authorization', `Bearer ${k}`);
};

beforeAll(async () => {
  t = await createTestApp({ now: () => NOW });
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  const italia = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'italia').executeTakeFirstOrThrow();
  key = (await createApiKey(t.database.db, demo.id, 'finance')).key;
  italiaKey = (await createApiKey(t.database.db, italia.id, 'redazione')).key;
  await deliverAll(t.app, knownHistory());
  // Beacons count per variant only for variants the publication defines.
  await changePublication(t.database.db, 'demo', { widget: widgetSettingsSchema.parse({ variants: [{ id: 'a' }, { id: 'b' }] }) });
  // Widget funnel: 10 impressions and 4 clicks on the first article.
  for (let i = 0; i < 14; i++) {
    await request(t.app)
      .post('/api/events')
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ publication: 'demo', type: i < 10 ? 'impression' : 'click', article_url: ARTICLE_1, variant: 'a' }));
  }
  await widgetCountersOf(t.app).flush();
});
afterAll(() => t.close());

const RANGE = 'from=2026-01-01&to=2026-03-31';

describe('GET /api/reports/summary', () => {
  it('equals the totals worked out by hand, per currency, never summed across currencies', async () => {
    const res = await get(`/api/reports/summary?${RANGE}`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('private, no-store');
    expect(res.body.currencies).toEqual({
      eur: {
        gross: 11000,
        refunded: 300,
        disputed: 0,
        net: 10700,
        payments: 6,
        one_off: 2,
        recurring: 4,
        average_gift: 1833,
        mrr: 1000,
        active_members: 2,
      },
      usd: {
        gross: 5600,
        refunded: 5000,
        disputed: 0,
        net: 600,
        payments: 3,
        one_off: 1,
        recurring: 2,
        average_gift: 1867,
        mrr: 0,
        active_members: 0,
      },
      jpy: {
        gross: 3000,
        refunded: 0,
        disputed: 3000,
        net: 0,
        payments: 1,
        one_off: 1,
        recurring: 0,
        average_gift: 3000,
        mrr: 0,
        active_members: 0,
      },
    });
    expect(res.body).toMatchObject({
      publication: 'demo',
      from: '2026-01-01',
      to: '2026-03-31',
      gross: { eur: 11000, usd: 5600, jpy: 3000 },
      net: { eur: 10700, usd: 600, jpy: 0 },
      mrr: { eur: 1000, usd: 0, jpy: 0 },
      one_off: 4,
      recurring: 6,
      new_supporters: 6,
      active_members: 2,
      churned_members: 1,
      funnel: { impressions: 10, clicks: 4, checkouts: 7, paid: 6, click_rate: 0.4, conversion_rate: 0.6 },
    });
    for (const value of Object.values(res.body.currencies as Record<string, Record<string, number>>).flatMap(Object.values)) {
      expect(Number.isInteger(value)).toBe(true);
    }
  });

  it('defaults to the last 30 days of the publication', async () => {
    const res = await get('/api/reports/summary');
    expect(res.body).toMatchObject({ from: '2026-03-02', to: '2026-03-31' });
    expect(res.body.currencies.eur.gross).toBe(500); // the March renewal
    expect(res.body.churned_members).toBe(1);
  });

  it.each([
    ['from=2026-13-01', 'from'],
    ['to=yesterday', 'to'],
    ['from=2026-03-01&to=2026-01-01', 'from'],
    ['from=2000-01-01&to=2026-01-01', 'from'],
    ['colour=red', 'colour'],
  ])('rejects %s naming the parameter', async (query, field) => {
    const res = await get(`/api/reports/summary?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain(field);
  });
});

describe('GET /api/reports/timeseries', () => {
  it('gives revenue per month with empty buckets and currencies kept apart', async () => {
    const res = await get(`/api/reports/timeseries?metric=revenue&interval=month&from=2025-12-01&to=2026-04-30`);
    expect(res.status).toBe(200);
    expect(res.body.points.map((p: { period: string }) => p.period)).toEqual([
      '2025-12-01',
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
    ]);
    expect(res.body.points.map((p: { net: Record<string, number> }) => p.net)).toEqual([
      { eur: 999, usd: 0 },
      { eur: 3700, usd: 300 },
      { eur: 6500, usd: 300, jpy: 0 },
      { eur: 500, usd: 0 },
      { eur: 0, usd: 0 },
    ]);
    expect(res.body.points[2].gross).toEqual({ eur: 6500, usd: 5300, jpy: 3000 });
  });

  it('counts members and MRR at the end of each bucket', async () => {
    const members = await get(`/api/reports/timeseries?metric=members&interval=month&${RANGE}`);
    expect(members.body.points).toEqual([
      { period: '2026-01-01', active_members: 2, new_members: 2, churned_members: 0 },
      { period: '2026-02-01', active_members: 3, new_members: 1, churned_members: 0 },
      { period: '2026-03-01', active_members: 2, new_members: 0, churned_members: 1 },
    ]);
    const mrr = await get(`/api/reports/timeseries?metric=mrr&interval=month&${RANGE}`);
    expect(mrr.body.points.map((p: { mrr: unknown }) => p.mrr)).toEqual([
      { eur: 500, usd: 300 },
      { eur: 1000, usd: 300 },
      { eur: 1000, usd: 0 },
    ]);
  });

  it('counts new and total supporters per week (ISO weeks start on Monday)', async () => {
    const res = await get('/api/reports/timeseries?metric=supporters&interval=week&from=2026-01-05&to=2026-01-25');
    expect(res.body.points).toEqual([
      { period: '2026-01-05', new_supporters: 1, total_supporters: 2 }, // g gave in December; a on the 5th
      { period: '2026-01-12', new_supporters: 1, total_supporters: 3 },
      { period: '2026-01-19', new_supporters: 1, total_supporters: 4 },
    ]);
  });

  it('rejects an unknown metric or interval', async () => {
    expect((await get('/api/reports/timeseries?metric=profit')).body.error.message).toContain('metric');
    expect((await get('/api/reports/timeseries?metric=revenue&interval=hour')).body.error.message).toContain('interval');
  });
});

describe('GET /api/reports/supporters', () => {
  it('lists supporters with lifetime totals per currency and the current membership', async () => {
    const res = await get('/api/reports/supporters?limit=500');
    expect(res.status).toBe(200);
    const byEmail = new Map((res.body.supporters as Array<{ email: string }>).map((s) => [s.email, s]));
    expect(byEmail.get('a@example.com')).toMatchObject({
      lifetime: { eur: { payments: 4, gross: 4000, refunded: 0, net: 4000 } },
      membership: { subscription_id: 'sub_m1', status: 'active', amount: 500, currency: 'eur', interval: 'month' },
      first_supported_at: '2026-01-05T09:00:00.000Z',
      last_supported_at: '2026-03-05T09:00:00.000Z',
    });
    expect(byEmail.get('c@example.com')).toMatchObject({ lifetime: { usd: { gross: 5000, refunded: 5000, net: 0 } }, membership: null });
    expect(byEmail.get('f@example.com')).toMatchObject({ membership: { status: 'canceled' } });
    expect(res.body.next_cursor).toBeNull();
  });

  it.each([
    ['status=active', ['a@example.com', 'e@example.com']],
    ['one_off_only=true', ['b@example.com', 'c@example.com', 'd@example.com', 'g@example.com', 'p@example.com']],
    ['lapsed=true', ['f@example.com']],
    ['min_lifetime=2000&currency=eur', ['a@example.com', 'e@example.com']],
    ['since=2026-02-01', ['c@example.com', 'd@example.com', 'e@example.com']],
    ['q=B%40EXAMPLE', ['b@example.com']],
  ])('filters by %s', async (query, emails) => {
    const res = await get(`/api/reports/supporters?${query}`);
    expect(res.status).toBe(200);
    expect((res.body.supporters as Array<{ email: string }>).map((s) => s.email).sort()).toEqual(emails);
  });

  it('rejects bad parameters naming them', async () => {
    for (const [query, field] of [
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['cursor=garbage', 'cursor'],
      ['status=happy', 'status'],
      ['currency=xxx', 'currency'],
    ]) {
      const res = await get(`/api/reports/supporters?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
  });
});

describe('GET /api/reports/donations', () => {
  it('lists every payment with its status, attribution and supporter, newest first', async () => {
    const res = await get(`/api/reports/donations?${RANGE}&limit=500`);
    expect(res.status).toBe(200);
    const rows = res.body.donations as Array<Record<string, any>>;
    expect(rows.map((d) => d.id)).toEqual([...rows.map((d) => d.id)].sort((a, b) => b - a));
    const bySource = new Map(rows.map((d) => [d.source_id, d]));
    expect(bySource.get('cs_b')).toMatchObject({
      status: 'partially_refunded',
      refunded_amount: 300,
      amount: 1000,
      article_url: ARTICLE_1,
      variant: 'a',
      supporter: { email: 'b@example.com' },
    });
    expect(bySource.get('cs_c')).toMatchObject({ status: 'refunded' });
    expect(bySource.get('cs_d')).toMatchObject({ status: 'disputed', dispute_status: 'lost', currency: 'jpy' });
    expect(bySource.get('cs_e')).toMatchObject({ status: 'pending', paid_at: null });
    expect(bySource.has('cs_old')).toBe(false);
    expect(bySource.has('cs_foreign')).toBe(false);
    expect(rows.filter((d) => d.kind === 'membership')).toHaveLength(6);
  });

  it('filters by status and kind', async () => {
    const res = await get(`/api/reports/donations?${RANGE}&status=refunded`);
    expect(res.body.donations.map((d: { source_id: string }) => d.source_id)).toEqual(['cs_c']);
    const members = await get(`/api/reports/donations?${RANGE}&kind=membership&currency=usd`);
    expect(members.body.donations).toHaveLength(2);
  });
});

describe('GET /api/reports/articles', () => {
  it('gives funnel and revenue per article and per variant', async () => {
    const res = await get(`/api/reports/articles?${RANGE}&sort=paid`);
    expect(res.status).toBe(200);
    const byUrl = new Map((res.body.articles as Array<{ article_url: string }>).map((a) => [a.article_url, a]));
    expect(byUrl.get(ARTICLE_1)).toMatchObject({
      impressions: 10,
      clicks: 4,
      checkouts: 4, // a, b, the pending e, and the first membership
      paid: 3,
      payments: 5,
      paid_gifts: 2,
      gross: { eur: 5000 },
      net: { eur: 4700 },
      conversion_rate: 0.3,
      revenue_per_1000_impressions: { eur: 470000 },
    });
    expect(byUrl.get(ARTICLE_2)).toMatchObject({
      checkouts: 3,
      paid: 3,
      payments: 3,
      paid_gifts: 2,
      gross: { usd: 5000, jpy: 3000, eur: 6000 },
      net: { usd: 0, jpy: 0, eur: 6000 },
      impressions: 0,
      revenue_per_1000_impressions: { eur: null },
    });
    expect(byUrl.get(ARTICLE_3)).toMatchObject({ payments: 2, gross: { usd: 600 } });
    const byVariant = new Map((res.body.variants as Array<{ variant: string }>).map((v) => [v.variant, v]));
    expect(byVariant.get('a')).toMatchObject({ impressions: 10, clicks: 4, gross: { eur: 5000, usd: 600 } });
    expect(byVariant.get('b')).toMatchObject({ gross: { usd: 5000, jpy: 3000, eur: 6000 } });
  });

  it('sorts by revenue in the default currency first, then the others, never by a sum across currencies', async () => {
    const res = await get(`/api/reports/articles?${RANGE}&sort=revenue`);
    expect(res.status).toBe(200);
    const rows = res.body.articles as Array<{ article_url: string; net: Record<string, number> }>;
    expect(rows.map((a) => a.article_url)).toEqual([ARTICLE_2, ARTICLE_1, ARTICLE_3]);
    const keys = rows.map((a) => [a.net.eur ?? 0, a.net.jpy ?? 0, a.net.usd ?? 0]);
    const ordered = [...keys].sort((a, b) => b[0]! - a[0]! || b[1]! - a[1]! || b[2]! - a[2]!);
    expect(keys).toEqual(ordered);
  });
});

describe('access', () => {
  it.each([
    ['no key', null, 401, 'unauthorized'],
    ['a malformed header', 'not-a-key', 401, 'unauthorized'],
    ['an unknown key', 'fav_0000000000000000000000000000000', 401, 'unauthorized'],
  ])('refuses %s', async (_name, k, status, code) => {
    const res = await get('/api/reports/summary', k as string | null);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it("answers with the key's own publication and refuses another publication with 403", async () => {
    const own = await get(`/api/reports/summary?${RANGE}`, italiaKey);
    expect(own.body.publication).toBe('italia');
    expect(own.body.currencies.eur.gross).toBe(0);
    const other = await get(`/api/reports/summary?publication=demo`, italiaKey);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    const otherCsv = await get(`/api/reports/donations.csv?publication=demo`, italiaKey);
    expect(otherCsv.status).toBe(403);
    const theirs = await get(`/api/reports/donations?${RANGE}`, italiaKey);
    expect(theirs.body.donations).toEqual([]);
  });

  it('refuses a revoked key', async () => {
    const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
    const created = await createApiKey(t.database.db, demo.id, 'intern');
    expect((await get('/api/reports/summary', created.key)).status).toBe(200);
    expect(await revokeApiKey(t.database.db, created.prefix)).toBe(1);
    expect((await get('/api/reports/summary', created.key)).status).toBe(401);
  });

  it('logs the key label, never the key', async () => {
    await get('/api/reports/summary');
    const logs = t.logs.join('');
    expect(logs).toContain('"api_key":"finance"');
    expect(logs).not.toContain(key);
  });
});
