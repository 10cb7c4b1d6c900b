/**
 * Reports never leak one publication's data to another publication's key (hardening issue,
 * point 1). One database holds the reports' known history in "demo" and another history in
 * "italia". For random report queries (random endpoint, dates, filters, searches for the other
 * publication's e-mails and articles, limits, orders), the answer given to a key of one
 * publication must be exactly the answer a database holding only that publication's history gives
 * (surrogate ids aside), and must not contain a single e-mail address or Stripe id of the other.
 */
import fc from 'fast-check';
import type { Express } from 'express';
import request from 'supertest';
import { widgetCountersOf } from '../../../src/app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import type { Db } from '../../../src/db/database.js';
import { changedTables, databaseFingerprint } from '../../helpers/hardening-fuzz.js';
import { ITALIA_ARTICLE, italiaHistory } from '../../helpers/hardening-history.js';
import { ARTICLE_1, ARTICLE_2, deliverAll, knownHistory } from '../../helpers/report-history.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const NOW = new Date('2026-03-31T12:00:00Z');
const SLUGS = ['demo', 'italia'] as const;
type Slug = (typeof SLUGS)[number];

let shared: TestApp;
const controls = {} as Record<Slug, TestApp>;
const sharedKeys = {} as Record<Slug, string>;
const controlKeys = {} as Record<Slug, string>;
/** What identifies each publication's people and payments: e-mails, Stripe ids, article URLs. */
const secrets = {} as Record<Slug, string[]>;

async function keyFor(db: Db, slug: Slug): Promise<string> {
  const pub = await db.selectFrom('publications').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
  const { key } = await createApiKey(db, pub.id, 'isolation');
  return key;
}

async function beacons(app: Express, slug: Slug): Promise<void> {
  const article = slug === 'demo' ? ARTICLE_1 : ITALIA_ARTICLE;
  for (let i = 0; i < (slug === 'demo' ? 7 : 5); i++) {
    const body = JSON.stringify({
      publication: slug,
      type: i % 3 === 0 ? 'click' : 'impression',
      article_url: article,
      variant: slug === 'demo' ? 'a' : 'appello',
    });
    await request(app).post('/api/events').set('content-type', 'text/plain').send(body).expect(202);
  }
  await widgetCountersOf(app).flush();
}

async function identifiers(db: Db, slug: Slug): Promise<string[]> {
  const pub = await db.selectFrom('publications').select('id').where('slug', '=', slug).executeTakeFirstOrThrow();
  const payments = await db
    .selectFrom('payments')
    .select(['source_id', 'customer_id', 'payment_intent_id', 'subscription_id', 'checkout_session_id', 'article_url'])
    .where('publication_id', '=', pub.id)
    .execute();
  const supporters = await db.selectFrom('supporters').select(['email']).where('publication_id', '=', pub.id).execute();
  const customers = await db.selectFrom('stripe_customers').select(['id', 'email']).where('publication_id', '=', pub.id).execute();
  const memberships = await db.selectFrom('memberships').select(['subscription_id']).where('publication_id', '=', pub.id).execute();
  const values = [
    ...payments.flatMap((p) => [p.source_id, p.customer_id, p.payment_intent_id, p.subscription_id, p.checkout_session_id, p.article_url]),
    ...supporters.map((s) => s.email),
    ...customers.flatMap((c) => [c.id, c.email]),
    ...memberships.map((m) => m.subscription_id),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 5))];
}

beforeAll(async () => {
  const demoEvents = knownHistory();
  const italiaEvents = italiaHistory();
  shared = await createTestApp({ now: () => NOW });
  controls.demo = await createTestApp({ now: () => NOW });
  controls.italia = await createTestApp({ now: () => NOW });
  // The same events in the same order, so rows are created in the same relative order.
  await deliverAll(shared.app, demoEvents);
  await deliverAll(shared.app, italiaEvents);
  await deliverAll(controls.demo.app, demoEvents);
  await deliverAll(controls.italia.app, italiaEvents);
  for (const slug of SLUGS) {
    await beacons(shared.app, slug);
    await beacons(controls[slug].app, slug);
    sharedKeys[slug] = await keyFor(shared.database.db, slug);
    controlKeys[slug] = await keyFor(controls[slug].database.db, slug);
    secrets[slug] = await identifiers(shared.database.db, slug);
  }
  expect(secrets.demo.length).toBeGreaterThan(20);
  expect(secrets.italia.length).toBeGreaterThan(10);
  expect(secrets.demo.filter((s) => secrets.italia.includes(s))).toEqual([]);
}, 120_000);

afterAll(async () => {
  await shared?.close();
  for (const slug of SLUGS) await controls[slug]?.close();
});

const other = (slug: Slug): Slug => (slug === 'demo' ? 'italia' : 'demo');

/** The answer without what legitimately differs between two databases: surrogate ids and cursors. */
function comparable(res: request.Response): unknown {
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('text/csv')) {
    return res.text
      .split('\r\n')
      .map((line) => line.replace(/^[^,]*,?/, '')) // the id column
      .join('\n');
  }
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => !['id', 'supporter_id', 'next_cursor', 'exported_at', 'request_id'].includes(k))
          .map(([k, v]) => [k, strip(v)]),
      );
    }
    return value;
  };
  return { status: res.status, body: strip(res.body) };
}

function get(app: Express, path: string, key: string) {
  return request(app).get(path).set('authorization', `Bearer ${key}`).buffer(true);
}

function expectNoLeak(slug: Slug, path: string, text: string): void {
  const leaked = secrets[other(slug)].filter((s) => text.includes(s));
  expect(leaked, `${slug}'s key read ${other(slug)}'s data at ${path}`).toEqual([]);
}

const REPORTS = ['summary', 'timeseries', 'supporters', 'donations', 'articles', 'supporters.csv', 'donations.csv'] as const;

function queryFor(report: (typeof REPORTS)[number], crossValues: string[]): fc.Arbitrary<string> {
  const date = fc.constantFrom('2025-12-01', '2026-01-01', '2026-01-15', '2026-02-10', '2026-03-01', '2026-03-31', '2026-06-30');
  const common = { from: date, to: date };
  const byReport: Record<string, Record<string, fc.Arbitrary<string>>> = {
    summary: common,
    timeseries: {
      ...common,
      metric: fc.constantFrom('revenue', 'supporters', 'members', 'mrr'),
      interval: fc.constantFrom('day', 'week', 'month'),
    },
    articles: { ...common, limit: fc.constantFrom('1', '2', '100'), sort: fc.constantFrom('revenue', 'impressions', 'paid', 'conversion') },
    donations: {
      ...common,
      limit: fc.constantFrom('1', '3', '500'),
      status: fc.constantFrom('pending', 'failed', 'succeeded', 'refunded', 'partially_refunded', 'disputed'),
      kind: fc.constantFrom('one_off', 'membership'),
      currency: fc.constantFrom('eur', 'usd', 'jpy'),
      article_url: fc.constantFrom(ARTICLE_1, ARTICLE_2, ITALIA_ARTICLE, ...crossValues.filter((v) => v.startsWith('http'))),
      variant: fc.constantFrom('a', 'b', 'appello'),
    },
    supporters: {
      limit: fc.constantFrom('1', '3', '500'),
      order: fc.constantFrom('newest', 'oldest'),
      status: fc.constantFrom('active', 'canceled', 'past_due'),
      one_off_only: fc.constantFrom('true', 'false'),
      lapsed: fc.constantFrom('true', 'false'),
      min_lifetime: fc.constantFrom('0', '500', '5000'),
      currency: fc.constantFrom('eur', 'usd', 'jpy'),
      since: date,
      // Searching for the other publication's people must find nobody.
      q: fc.constantFrom('example', 'esempio', '@', ...crossValues.filter((v) => v.includes('@'))),
    },
  };
  byReport['supporters.csv'] = byReport.supporters!;
  byReport['donations.csv'] = { ...byReport.donations! };
  delete byReport['donations.csv'].limit;
  const params = byReport[report]!;
  return fc
    .subarray(Object.keys(params), { maxLength: Math.min(4, Object.keys(params).length) })
    .chain((keys) =>
      keys.length === 0
        ? fc.constant([] as Array<[string, string]>)
        : fc.tuple(...keys.map((k) => params[k]!.map((v): [string, string] => [k, v]))),
    )
    .map((pairs) => new URLSearchParams(pairs).toString());
}

describe('publication isolation of the publisher API', () => {
  it.each(SLUGS)(
    "a %s key gets exactly what a database of that publication alone gives, and nothing of the other's",
    async (slug) => {
      const before = await databaseFingerprint(shared.database.db);
      let showingOwnData = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...REPORTS).chain((report) => queryFor(report, secrets[other(slug)]).map((query) => ({ report, query }))),
          async ({ report, query }) => {
            const path = `/api/reports/${report}?${query}`;
            const res = await get(shared.app, path, sharedKeys[slug]);
            expect(res.status, `${path}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
            expectNoLeak(slug, path, res.text);
            const alone = await get(controls[slug].app, path, controlKeys[slug]);
            expect(comparable(res), path).toEqual(comparable(alone));
            if (res.status === 200 && secrets[slug].some((s) => res.text.includes(s))) showingOwnData += 1;
          },
        ),
        {
          numRuns: Number(process.env.HARDENING_ISOLATION_RUNS ?? 120),
          ...(process.env.HARDENING_FUZZ_SEED ? { seed: Number(process.env.HARDENING_FUZZ_SEED) } : {}),
        },
      );
      // The queries are not all empty: many answers do show the key's own supporters and payments.
      expect(showingOwnData).toBeGreaterThan(10);
      // Report reads write nothing (beyond a key's last use, recorded before: the clock is frozen).
      expect(changedTables(before, await databaseFingerprint(shared.database.db)).filter((table) => table !== 'api_keys')).toEqual([]);
    },
    120_000,
  );

  it.each(SLUGS)('a %s key asking for the other publication by name is refused on every endpoint', async (slug) => {
    for (const report of REPORTS) {
      const res = await get(shared.app, `/api/reports/${report}?publication=${other(slug)}`, sharedKeys[slug]);
      expect(res.status, report).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expectNoLeak(slug, report, res.text);
    }
  });

  it.each(SLUGS)("a %s key paging with the other publication's cursors still sees only its own rows", async (slug) => {
    for (const list of ['supporters', 'donations'] as const) {
      const range = list === 'donations' ? '&from=2025-12-01&to=2026-03-31' : '';
      // Walk the other publication's pages one row at a time, collecting every cursor.
      const cursors: string[] = [];
      let cursor: string | null = null;
      do {
        const page: request.Response = await get(
          shared.app,
          `/api/reports/${list}?limit=1${range}${cursor ? `&cursor=${cursor}` : ''}`,
          sharedKeys[other(slug)],
        );
        expect(page.status).toBe(200);
        cursor = page.body.next_cursor as string | null;
        if (cursor) cursors.push(cursor);
      } while (cursor && cursors.length < 50);
      expect(cursors.length).toBeGreaterThanOrEqual(2);
      for (const c of cursors) {
        const path = `/api/reports/${list}?cursor=${c}${range}`;
        const res = await get(shared.app, path, sharedKeys[slug]);
        expect(res.status).toBe(200);
        expectNoLeak(slug, path, res.text);
      }
    }
  });

  it.each(SLUGS)("a %s key can neither export nor erase the other publication's supporters", async (slug) => {
    const emails = secrets[other(slug)].filter((s) => s.includes('@'));
    expect(emails.length).toBeGreaterThan(2);
    const before = await databaseFingerprint(shared.database.db);
    for (const email of emails) {
      const exported = await get(shared.app, `/api/supporters/export?email=${encodeURIComponent(email)}`, sharedKeys[slug]);
      expect([404], email).toContain(exported.status);
      expectNoLeak(slug, 'export', exported.text);
      const erased = await request(shared.app)
        .post('/api/supporters/erase')
        .set('authorization', `Bearer ${sharedKeys[slug]}`)
        .send({ email });
      expect(erased.status, email).toBe(404);
      expectNoLeak(slug, 'erase', erased.text);
    }
    expect(changedTables(before, await databaseFingerprint(shared.database.db)).filter((table) => table !== 'api_keys')).toEqual([]);
  });
});
