import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { webhookApplierOf } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import type { PublicationRow } from '../../src/db/tables/publication.table.js';
import { seedDemoHistory } from '../../src/demo/demo-seed.service.js';
import { articleBreakdown, planArticleRange } from '../../src/reports/report.repository.js';
import { foldRollupChanges, recomputeRollups, rollupDifferences } from '../../src/rollups/rollup.repository.js';
import { createWebhookApplier } from '../../src/webhooks/webhook-applier.js';
import { settleInbox } from '../helpers/inbox.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

// 22:30 UTC: every synthetic article goes out at that time of day, which is 00:30 in Rome in summer,
// so an article read over the night clocks go back (25 October 2026) has two 24-hour steps landing on
// one local day: the seed must place them on the right local days.
const NOW = new Date('2026-11-28T22:30:00Z');
let t: TestApp;
let italia: PublicationRow;
let key: string;

beforeAll(async () => {
  t = await createTestApp({ now: () => NOW });
  italia = (await t.database.db
    .selectFrom('publications')
    .selectAll()
    .where('slug', '=', 'italia')
    .executeTakeFirstOrThrow()) as PublicationRow;
  expect(italia.time_zone).toBe('Europe/Rome');
  await seedDemoHistory(t.database.db, italia, { supporters: 40, now: NOW, seed: 7 });
  await webhookApplierOf(t.app).drain();
  key = (await createApiKey(t.database.db, italia.id, 'rollups test')).key;
}, 120_000);
afterAll(() => t.close());

/** The rollups of a publication that differ from their recomputation, with the rows that differ: none when exact. */
const inexactRollups = async (publicationId = italia.id) =>
  Object.entries(await rollupDifferences(t.database.db, publicationId)).filter(([, rows]) => rows !== 0);

const unfoldedEntries = async () =>
  (
    await sql<{ n: number }>`SELECT (SELECT count(*) FROM payment_rollup_changes) + (SELECT count(*) FROM funnel_rollup_changes)
    + (SELECT count(*) FROM supporter_rollup_changes) AS n`.execute(t.database.db)
  ).rows[0]!.n;

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
  it('survive the demo seed over the night clocks go back, equal a recomputation, and leave no entry unfolded', async () => {
    const night = await t.database.db
      .selectFrom('widget_daily_counters')
      .select((eb) => eb.fn.sum<string>('impressions').as('impressions'))
      .where('publication_id', '=', italia.id)
      .where('day', '=', '2026-10-25')
      .executeTakeFirstOrThrow();
    expect(Number(night.impressions)).toBeGreaterThan(0);
    expect(Object.keys(await rollupDifferences(t.database.db, italia.id))).toHaveLength(10);
    expect(await inexactRollups()).toEqual([]);
    expect(Number(await unfoldedEntries())).toBe(0);
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
        (
          await sql<Record<string, unknown>>`SELECT ${sql.raw(group)} AS key, ${sql.raw(columns)} FROM ${sql.table(table)}
          WHERE publication_id = ${italia.id} AND day BETWEEN ${from}::date AND ${to}::date GROUP BY ${sql.raw(group)}${sql.raw(table === 'article_daily_totals' ? ', currency' : '')}
          HAVING ${sql.raw(table === 'article_daily_totals' ? 'sum(payments) <> 0 OR sum(gross) <> 0 OR sum(refunded) <> 0 OR sum(disputed) <> 0' : 'sum(impressions) <> 0 OR sum(clicks) <> 0 OR sum(checkouts) <> 0 OR sum(paid) <> 0')}`.execute(
            t.database.db,
          )
        ).rows;
      const funnelColumns =
        'sum(impressions)::bigint AS impressions, sum(clicks)::bigint AS clicks, sum(checkouts)::bigint AS checkouts, sum(paid)::bigint AS paid';
      const revenueColumns =
        'currency, sum(payments)::bigint AS payments, sum(one_off)::bigint AS one_off, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(disputed)::bigint AS disputed';
      for (const by of ['article_url', 'variant'] as const) {
        const got = await articleBreakdown(t.database.db, scope, range, by);
        const sortKey = (r: Record<string, unknown>) => `${r.key} ${r.currency ?? ''}`;
        const sorted = <T extends Record<string, unknown>>(rows: T[]) => [...rows].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        expect(sorted(got.funnel as never[]), `${by} funnel ${from}..${to}`).toEqual(
          sorted(await daily('widget_daily_counters', funnelColumns, by)),
        );
        expect(sorted(got.revenue as never[]), `${by} revenue ${from}..${to}`).toEqual(
          sorted(await daily('article_daily_totals', revenueColumns, by)),
        );
      }
    }
  });

  it('are checked for real, and rebuilt from scratch to the same figures', async () => {
    const before = await reports();
    await sql`UPDATE article_monthly_totals SET gross = gross + 1 WHERE ctid = (SELECT ctid FROM article_monthly_totals WHERE publication_id = ${italia.id} LIMIT 1)`.execute(
      t.database.db,
    );
    await sql`UPDATE variant_daily_funnel SET clicks = clicks + 5 WHERE publication_id = ${italia.id}`.execute(t.database.db);
    await sql`UPDATE supporters SET first_paid_at = NULL WHERE id = (SELECT min(id) FROM supporters WHERE publication_id = ${italia.id} AND first_paid_at IS NOT NULL)`.execute(
      t.database.db,
    );
    const differences = await rollupDifferences(t.database.db, italia.id);
    expect(differences.article_monthly_totals).toBe(2); // the changed row on one side, the right one on the other
    expect(differences.variant_daily_funnel).toBeGreaterThan(0);
    expect(differences['supporters.first_paid_at/last_paid_at']).toBe(2);
    // verify rolls its recomputation back: the damage is still there.
    expect((await rollupDifferences(t.database.db, italia.id)).article_monthly_totals).toBe(2);

    await t.database.db.transaction().execute((trx) => recomputeRollups(trx, italia.id));
    expect(await inexactRollups()).toEqual([]);
    expect(await reports()).toEqual(before);
  }, 60_000);

  it('add up entries committed outside the applier at the next batch', async () => {
    const before = (
      await sql<{ gross: string }>`SELECT sum(gross) AS gross FROM payment_daily_totals WHERE publication_id = ${italia.id}`.execute(
        t.database.db,
      )
    ).rows[0]!.gross;
    // A write with no fold of its own (as an operator's hand-made correction would be).
    await sql`UPDATE payments SET refunded_amount = refunded_amount + 1 WHERE id = (SELECT min(id) FROM payments WHERE publication_id = ${italia.id}
      AND base_status = 'succeeded' AND paid_at IS NOT NULL AND refunded_amount < amount)`.execute(t.database.db);
    expect(Number(await unfoldedEntries())).toBeGreaterThan(0);
    await webhookApplierOf(t.app).drain();
    expect(Number(await unfoldedEntries())).toBe(0);
    const after = (
      await sql<{
        gross: string;
        refunded: string;
      }>`SELECT sum(gross) AS gross FROM payment_daily_totals WHERE publication_id = ${italia.id}`.execute(t.database.db)
    ).rows[0]!;
    expect(after.gross).toBe(before);
    expect(await inexactRollups()).toEqual([]);
  });

  it('stay exact when two appliers apply one inbox at once, with batch cuts anywhere', async () => {
    const demo = (await t.database.db
      .selectFrom('publications')
      .selectAll()
      .where('slug', '=', 'demo')
      .executeTakeFirstOrThrow()) as PublicationRow;
    // The app's own applier is idle until woken; these two take everything.
    await seedDemoHistory(t.database.db, demo, { supporters: 25, now: NOW, seed: 11 });
    const appliers = [7, 23].map((batchSize) =>
      createWebhookApplier({ db: t.database.db, logger: createLogger('silent'), metrics: t.metrics, batchSize, pollMs: 0 }),
    );
    await settleInbox(t.database.db, appliers);
    await Promise.all(appliers.map((applier) => applier.stop()));
    expect(await inexactRollups(demo.id)).toEqual([]);
    expect(Number(await unfoldedEntries())).toBe(0);
  }, 120_000);

  it.skipIf(!process.env.DATABASE_URL)('fold one supporter from two transactions at once, taking turns (Postgres)', async () => {
    const pool = t.database.pgPool!;
    const { rows } = await pool.query<{ id: string; supporter_id: string }>(
      `SELECT p.id, p.supporter_id FROM payments p WHERE p.publication_id = $1 AND p.supporter_id IS NOT NULL AND p.base_status = 'succeeded'
       AND p.supporter_id IN (SELECT supporter_id FROM payments GROUP BY 1 HAVING count(*) > 1) ORDER BY p.supporter_id, p.id LIMIT 2`,
      [italia.id],
    );
    expect(rows[0]!.supporter_id).toBe(rows[1]!.supporter_id);
    const [first, second] = [await pool.connect(), await pool.connect()];
    try {
      await first.query('BEGIN');
      await first.query('UPDATE payments SET refunded_amount = refunded_amount + 1 WHERE id = $1', [rows[0]!.id]);
      await first.query('SELECT favour_fold_rollup_changes()');
      await second.query('BEGIN');
      await second.query('UPDATE payments SET refunded_amount = refunded_amount + 1 WHERE id = $1', [rows[1]!.id]);
      // Waits for the first transaction, then recomputes the supporter from what it committed.
      const folded = second.query('SELECT favour_fold_rollup_changes()');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.query('COMMIT');
      await folded;
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    expect(await inexactRollups()).toEqual([]);
  });
});

describe('the migration to rollups without shards', () => {
  it('keeps every figure: sharded rows of an older version are summed, the rest recomputed', async () => {
    const db = new Kysely<any>({ dialect: new PGliteDialect(await PGlite.create()) });
    try {
      const names = Object.keys(migrations);
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const upTo = await migrator.migrateTo(names[names.indexOf('2026-12-06T1300-rollups-without-shards') - 1]!);
      expect(upTo.error).toBeUndefined();
      // What the old triggers wrote: a publication, a paid gift and a paid checkout, beacons in two shards.
      await sql`INSERT INTO publications (slug, name, origins, currencies, time_zone, default_currency) VALUES ('old', 'Old', '{}', '{}', 'Europe/Rome', 'eur')`.execute(
        db,
      );
      await sql`INSERT INTO checkout_sessions (id, publication_id, article_url, variant, amount, currency, interval, status, payment_status, created_at)
        VALUES ('cs_old', 1, 'https://old.example/a', 'b', 500, 'eur', 'once', 'complete', 'paid', '2026-11-27T23:30:00Z')`.execute(db);
      await sql`INSERT INTO payments (source_id, publication_id, kind, amount, currency, base_status, status, article_url, variant, created_at, paid_at)
        VALUES ('cs_old', 1, 'one_off', 500, 'eur', 'succeeded', 'succeeded', 'https://old.example/a', 'b', '2026-11-27T23:30:00Z', '2026-11-27T23:31:00Z')`.execute(
        db,
      );
      await sql`INSERT INTO widget_daily_counters (publication_id, day, article_url, variant, shard, impressions, clicks)
        VALUES (1, '2026-11-28', 'https://old.example/a', 'b', 3, 70, 4), (1, '2026-11-28', 'https://old.example/a', 'b', 9, 30, 1)`.execute(
        db,
      );

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const counters =
        await sql`SELECT day::text, article_url, variant, impressions::int, clicks::int, checkouts::int, paid::int FROM widget_daily_counters`.execute(
          db,
        );
      // 23:30 UTC on the 27th is the 28th in Rome.
      expect(counters.rows).toEqual([
        { day: '2026-11-28', article_url: 'https://old.example/a', variant: 'b', impressions: 100, clicks: 5, checkouts: 1, paid: 1 },
      ]);
      const daily = await sql`SELECT day::text, currency, kind, payments::int, gross::int FROM payment_daily_totals`.execute(db);
      expect(daily.rows).toEqual([{ day: '2026-11-28', currency: 'eur', kind: 'one_off', payments: 1, gross: 500 }]);
      const funnel = await sql`SELECT day::text, impressions::int, clicks::int, checkouts::int, paid::int FROM widget_daily_totals`.execute(
        db,
      );
      expect(funnel.rows).toEqual([{ day: '2026-11-28', impressions: 100, clicks: 5, checkouts: 1, paid: 1 }]);
      await foldRollupChanges(db);
      expect(Object.values(await rollupDifferences(db, 1)).every((n) => n === 0)).toBe(true);
    } finally {
      await db.destroy();
    }
  }, 60_000);
});

describe('planArticleRange', () => {
  it.each([
    ['2026-01-01', '2026-01-31', { months: { first: '2026-01-01', end: '2026-02-01' }, add: [], subtract: [] }],
    // Most of a month: the month minus its other days.
    ['2026-01-02', '2026-01-31', { months: { first: '2026-01-01', end: '2026-02-01' }, add: [], subtract: [['2026-01-01', '2026-01-01']] }],
    // The bench's year: two days of November 2025 added, November 2026 less its last two days.
    [
      '2025-11-29',
      '2026-11-28',
      { months: { first: '2025-12-01', end: '2026-12-01' }, add: [['2025-11-29', '2025-11-30']], subtract: [['2026-11-29', '2026-11-30']] },
    ],
    ['2024-02-01', '2024-02-29', { months: { first: '2024-02-01', end: '2024-03-01' }, add: [], subtract: [] }], // leap year
    ['2025-02-01', '2025-02-28', { months: { first: '2025-02-01', end: '2025-03-01' }, add: [], subtract: [] }],
    // 17 of December's 31 days: December less 14 days; 14 of January's: those days.
    [
      '2025-12-15',
      '2026-01-14',
      { months: { first: '2025-12-01', end: '2026-01-01' }, add: [['2026-01-01', '2026-01-14']], subtract: [['2025-12-01', '2025-12-14']] },
    ],
    [
      '2025-12-20',
      '2026-01-10',
      {
        add: [
          ['2025-12-20', '2025-12-31'],
          ['2026-01-01', '2026-01-10'],
        ],
        subtract: [],
      },
    ],
    ['2025-12-01', '2025-12-31', { months: { first: '2025-12-01', end: '2026-01-01' }, add: [], subtract: [] }], // across the year end
    ['2026-03-05', '2026-03-05', { add: [['2026-03-05', '2026-03-05']], subtract: [] }],
    [
      '2026-03-02',
      '2026-03-30',
      {
        months: { first: '2026-03-01', end: '2026-04-01' },
        add: [],
        subtract: [
          ['2026-03-01', '2026-03-01'],
          ['2026-03-31', '2026-03-31'],
        ],
      },
    ],
  ])('%s to %s', (from, to, expected) => {
    expect(planArticleRange({ from, to })).toEqual(expected);
  });
});
