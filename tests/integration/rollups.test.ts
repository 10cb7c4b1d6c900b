import { webhookApplierOf } from '../../src/app.js';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import type { PublicationRow } from '../../src/db/tables/publication.table.js';
import { seedDemoHistory } from '../../src/demo/demo-seed.service.js';
import { articleBreakdown, planArticleRange } from '../../src/reports/report.repository.js';
import { rollupDifferences } from '../../src/rollups/rollup-check.js';
import { foldRollupShards, rebuildAllRollups } from '../../src/rollups/rollup-fold.service.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

// 22:30 UTC: every synthetic article goes out at that time of day, which is 00:30 in Rome in summer,
// so an article read over the night clocks go back (25 October 2026) has two 24-hour steps landing on
// one local day: the demo seed used to fail there.
const NOW = new Date('2026-11-28T22:30:00Z');
const TODAY = '2026-11-28'; // in Europe/Rome, 23:30
let t: TestApp;
let italia: PublicationRow;
let key: string;

const ROLLUPS = [
  'payment_daily_totals', 'article_daily_totals', 'article_monthly_totals', 'variant_daily_totals',
  'widget_daily_counters', 'widget_daily_totals', 'article_monthly_funnel', 'variant_daily_funnel',
];
const PERIOD: Record<string, string> = { article_monthly_totals: 'month', article_monthly_funnel: 'month' };

beforeAll(async () => {
  t = await createTestApp({ now: () => NOW });
  italia = (await t.database.db.selectFrom('publications').selectAll().where('slug', '=', 'italia').executeTakeFirstOrThrow()) as PublicationRow;
  expect(italia.time_zone).toBe('Europe/Rome');
  await seedDemoHistory(t.database.db, italia, { supporters: 40, now: NOW, seed: 7 });
  await webhookApplierOf(t.app).drain();
  key = (await createApiKey(t.database.db, italia.id, 'rollups test')).key;
}, 120_000);
afterAll(() => t.close());

/** The rollups of a publication that differ from their recomputation, with the rows that differ: none when exact. */
const inexactRollups = async (publicationId = italia.id) =>
  Object.entries(await rollupDifferences(t.database.db, publicationId)).filter(([, rows]) => rows !== 0);

/**
 * Spreads every rollup row over shards 0-3, as concurrent webhooks and beacons on four connections
 * would leave them (an embedded database has only one connection, so the test makes the layout).
 * Sums per key stay the same; the counters' own trigger is kept from counting the moved rows.
 */
async function spreadOverShards(): Promise<void> {
  await t.database.db.transaction().execute(async (trx) => {
    await sql`SET CONSTRAINTS widget_counters_rollup IMMEDIATE`.execute(trx);
    await sql`SELECT set_config('favour.folding', 'on', true)`.execute(trx);
    for (const table of ROLLUPS) {
      const columns = (await sql<{ column_name: string; data_type: string }>`
        SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ${table} ORDER BY ordinal_position`.execute(trx)).rows;
      const sums = columns.filter((c) => c.data_type === 'bigint').map((c) => c.column_name);
      const keys = columns.filter((c) => c.data_type !== 'bigint' && c.column_name !== 'shard').map((c) => c.column_name);
      const list = (names: string[]) => sql.raw(names.join(', '));
      const rows = sql.table(table);
      await sql`CREATE TEMP TABLE spread ON COMMIT DROP AS SELECT * FROM ${rows} WHERE publication_id = ${italia.id}`.execute(trx);
      await sql`DELETE FROM ${rows} WHERE publication_id = ${italia.id}`.execute(trx);
      // Shard k gets value / 4 (plus the remainder in shard 0): the parts add up to the whole.
      await sql`INSERT INTO ${rows} (${list(keys)}, shard, ${list(sums)})
        SELECT ${list(keys)}, k, ${sql.raw(sums.map((c) => `CASE WHEN k = 0 THEN ${c} - 3 * (${c} / 4) ELSE ${c} / 4 END`).join(', '))}
        FROM (SELECT ${list(keys)}, ${sql.raw(sums.map((c) => `sum(${c})::bigint AS ${c}`).join(', '))} FROM spread GROUP BY ${list(keys)}) whole
        CROSS JOIN generate_series(0, 3) AS k`.execute(trx);
      await sql`DROP TABLE spread`.execute(trx);
    }
    await sql`SELECT set_config('favour.folding', 'off', true)`.execute(trx);
  });
}

// Rows dated before this are folded: days before today, months before this one.
const upto = (table: string) => (PERIOD[table] === 'month' ? '2026-11-01' : TODAY);

async function shardRowsFromToday(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ROLLUPS) {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}
      WHERE publication_id = ${italia.id} AND ${sql.ref(PERIOD[table] ?? 'day')} >= ${upto(table)}::date AND shard <> 0`.execute(t.database.db);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

async function reports(): Promise<unknown[]> {
  const paths = [
    '/api/reports/summary?from=2025-12-01&to=2026-11-28',
    '/api/reports/articles?from=2025-11-29&to=2026-11-28&limit=5000',
    '/api/reports/articles?from=2026-10-20&to=2026-11-03&limit=5000',
    '/api/reports/timeseries?metric=revenue&interval=week&from=2025-12-01&to=2026-11-28',
  ];
  return Promise.all(
    paths.map(async (path) => {
      const res = await request(t.app).get(path).set('Authorization', `Bearer ${key}`);
      expect(res.status, path).toBe(200);
      return res.body;
    }),
  );
}

describe('report rollups', () => {
  it('survive the demo seed over the night clocks go back, and equal a recomputation from payments and counters', async () => {
    const night = await t.database.db
      .selectFrom('widget_daily_counters')
      .select((eb) => eb.fn.sum<string>('impressions').as('impressions'))
      .where('publication_id', '=', italia.id)
      .where('day', '=', '2026-10-25' as never)
      .executeTakeFirstOrThrow();
    expect(Number(night.impressions)).toBeGreaterThan(0);
    expect(Object.keys(await rollupDifferences(t.database.db, italia.id))).toHaveLength(10);
    expect(await inexactRollups()).toEqual([]);
  });

  it('are checked for real: a changed rollup row is reported as differing', async () => {
    await t.database.db.transaction().execute(async (trx) => {
      await sql`UPDATE article_monthly_totals SET gross = gross + 1 WHERE ctid = (SELECT ctid FROM article_monthly_totals WHERE publication_id = ${italia.id} LIMIT 1)`.execute(trx);
      const differences = await rollupDifferences(trx, italia.id);
      expect(differences.article_monthly_totals).toBe(2); // the changed row on one side, the right one on the other
      expect(Object.values(differences).reduce((a, b) => a + b)).toBe(2);
      throw new RollBack();
    }).catch((err) => {
      if (!(err instanceof RollBack)) throw err;
    });
  });

  it('answer the articles report like the daily rows do, for ranges with and without whole months', async () => {
    const scope = { publicationId: italia.id, timeZone: italia.time_zone };
    const ranges = [
      ['2025-11-29', '2026-11-28'], // partial months at both ends
      ['2026-01-01', '2026-06-30'], // whole months only
      ['2026-02-01', '2026-02-28'], // one whole month
      ['2026-10-20', '2026-11-03'], // no whole month, across a month end
      ['2026-03-05', '2026-03-05'], // one day
      ['2025-12-31', '2026-02-01'], // one whole month and a day either side
      ['2026-03-02', '2026-03-30'], // a month less a day at either end
      ['2025-12-02', '2026-10-30'], // months less days at both ends
    ];
    for (const [from, to] of ranges) {
      const range = { from: from!, to: to! };
      const daily = async (table: string, columns: string, group: string) =>
        (await sql<Record<string, unknown>>`SELECT ${sql.raw(group)} AS key, ${sql.raw(columns)} FROM ${sql.table(table)}
          WHERE publication_id = ${italia.id} AND day BETWEEN ${from}::date AND ${to}::date GROUP BY ${sql.raw(group)}${sql.raw(table === 'article_daily_totals' ? ', currency' : '')}
          HAVING ${sql.raw(table === 'article_daily_totals' ? 'sum(payments) <> 0 OR sum(gross) <> 0 OR sum(refunded) <> 0 OR sum(disputed) <> 0' : 'sum(impressions) <> 0 OR sum(clicks) <> 0 OR sum(checkouts) <> 0 OR sum(paid) <> 0')}`.execute(t.database.db)).rows;
      const funnelColumns = 'sum(impressions)::bigint AS impressions, sum(clicks)::bigint AS clicks, sum(checkouts)::bigint AS checkouts, sum(paid)::bigint AS paid';
      const revenueColumns = 'currency, sum(payments)::bigint AS payments, sum(one_off)::bigint AS one_off, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(disputed)::bigint AS disputed';
      for (const by of ['article_url', 'variant'] as const) {
        const got = await articleBreakdown(t.database.db, scope, range, by);
        const sortKey = (r: Record<string, unknown>) => `${r.key} ${r.currency ?? ''}`;
        const sorted = <T extends Record<string, unknown>>(rows: T[]) => [...rows].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        expect(sorted(got.funnel as never[]), `${by} funnel ${from}..${to}`).toEqual(sorted(await daily('widget_daily_counters', funnelColumns, by)));
        expect(sorted(got.revenue as never[]), `${by} revenue ${from}..${to}`).toEqual(sorted(await daily('article_daily_totals', revenueColumns, by)));
      }
    }
  });

  it('fold past shards into shard 0 without changing any report, and leave today alone', async () => {
    await spreadOverShards();
    const before = await reports();
    expect(await inexactRollups()).toEqual([]);

    const todaysShards = await shardRowsFromToday();
    const result = await foldRollupShards(t.database.db, NOW);
    expect(result.rowsRemoved).toBeGreaterThan(0);
    expect(await reports()).toEqual(before);
    expect(await inexactRollups()).toEqual([]);
    for (const table of ROLLUPS) {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}
        WHERE publication_id = ${italia.id} AND ${sql.ref(PERIOD[table] ?? 'day')} < ${upto(table)}::date AND shard <> 0`.execute(t.database.db);
      expect(Number(rows[0]!.n), `${table}: rows of past shards left`).toBe(0);
    }
    expect(await shardRowsFromToday()).toEqual(todaysShards);
    expect(Object.values(todaysShards).some((n) => n > 0)).toBe(true);
    // Folding again finds nothing to do.
    expect((await foldRollupShards(t.database.db, NOW)).rowsRemoved).toBe(0);
  }, 60_000);

  it('stay exact when folds run while webhooks write to the same past days', async () => {
    const demo = (await t.database.db.selectFrom('publications').selectAll().where('slug', '=', 'demo').executeTakeFirstOrThrow()) as PublicationRow;
    let seeding = true;
    let folds = 0;
    const folding = (async () => {
      while (seeding) {
        await foldRollupShards(t.database.db, NOW);
        folds++;
      }
    })();
    await seedDemoHistory(t.database.db, demo, { supporters: 25, now: NOW, seed: 11 });
    await webhookApplierOf(t.app).drain();
    seeding = false;
    await folding;
    expect(folds).toBeGreaterThan(1);
    expect(await inexactRollups(demo.id)).toEqual([]);
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)('refresh one supporter from two transactions at once, taking turns (Postgres)', async () => {
    const pool = t.database.pgPool!;
    const { rows } = await pool.query<{ id: string }>(
      `SELECT s.id FROM supporters s JOIN supporter_totals st ON st.supporter_id = s.id WHERE s.publication_id = $1 LIMIT 1`, [italia.id]);
    const sid = rows[0]!.id;
    const [first, second] = [await pool.connect(), await pool.connect()];
    try {
      await first.query('BEGIN');
      await first.query('SELECT favour_refresh_supporter_totals($1)', [sid]);
      await second.query('BEGIN');
      // Waits for the first transaction; before migration 0900 it then failed on supporter_totals' key.
      const refreshed = second.query('SELECT favour_refresh_supporter_totals($1)', [sid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.query('COMMIT');
      await refreshed;
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    expect(await inexactRollups()).toEqual([]);
  });

  it('rebuild from scratch to the same figures', async () => {
    const before = await reports();
    await t.database.db.transaction().execute(async (trx) => {
      await sql`UPDATE variant_daily_funnel SET clicks = clicks + 5 WHERE publication_id = ${italia.id}`.execute(trx);
    });
    expect((await rollupDifferences(t.database.db, italia.id)).variant_daily_funnel).toBeGreaterThan(0);
    await rebuildAllRollups(t.database.db, italia.id);
    expect(await inexactRollups()).toEqual([]);
    expect(await reports()).toEqual(before);
  }, 60_000);
});

describe('planArticleRange', () => {
  it.each([
    ['2026-01-01', '2026-01-31', { months: { first: '2026-01-01', end: '2026-02-01' }, add: [], subtract: [] }],
    // Most of a month: the month minus its other days.
    ['2026-01-02', '2026-01-31', { months: { first: '2026-01-01', end: '2026-02-01' }, add: [], subtract: [['2026-01-01', '2026-01-01']] }],
    // The bench's year: two days of November 2025 added, November 2026 less its last two days.
    ['2025-11-29', '2026-11-28', { months: { first: '2025-12-01', end: '2026-12-01' }, add: [['2025-11-29', '2025-11-30']], subtract: [['2026-11-29', '2026-11-30']] }],
    ['2024-02-01', '2024-02-29', { months: { first: '2024-02-01', end: '2024-03-01' }, add: [], subtract: [] }], // leap year
    ['2025-02-01', '2025-02-28', { months: { first: '2025-02-01', end: '2025-03-01' }, add: [], subtract: [] }],
    // 17 of December's 31 days: December less 14 days; 14 of January's: those days.
    ['2025-12-15', '2026-01-14', { months: { first: '2025-12-01', end: '2026-01-01' }, add: [['2026-01-01', '2026-01-14']], subtract: [['2025-12-01', '2025-12-14']] }],
    ['2025-12-20', '2026-01-10', { add: [['2025-12-20', '2025-12-31'], ['2026-01-01', '2026-01-10']], subtract: [] }],
    ['2025-12-01', '2025-12-31', { months: { first: '2025-12-01', end: '2026-01-01' }, add: [], subtract: [] }], // across the year end
    ['2026-03-05', '2026-03-05', { add: [['2026-03-05', '2026-03-05']], subtract: [] }],
    ['2026-03-02', '2026-03-30', { months: { first: '2026-03-01', end: '2026-04-01' }, add: [], subtract: [['2026-03-01', '2026-03-01'], ['2026-03-31', '2026-03-31']] }],
  ])('%s to %s', (from, to, expected) => {
    expect(planArticleRange({ from, to })).toEqual(expected);
  });
});

class RollBack extends Error {}
