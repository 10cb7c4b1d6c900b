/**
 * The CSV exports on a data set spanning several cursor batches, against an independent rendering of the rows as
 * the database holds them (times through the driver's Date and toISOString), on whichever database the tests run on;
 * and, on Postgres, the cursor reader itself: JIT off, connection returned however the read ends.
 */
import { sql } from 'kysely';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import { webhookApplierOf } from '../../../src/app.js';
import { cursorBatches, readInBatches } from '../../../src/db/read-in-batches.js';
import { minorToDecimalString } from '../../../src/money/currency.js';
import { supporterExportQuery } from '../../../src/reports/csv-export.repository.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const SUPPORTERS = 2600;
let t: TestApp;
let key: string;
let publicationId: number;

const NAMES = [
  'Ana',
  '=SUM(A1)',
  '+1',
  '-x',
  '@me',
  '\tx',
  '\rx',
  'a"b',
  'a,b',
  'two\nlines',
  'two\r\nlines',
  'Јована "Ђорђевић", Čačak',
  "'quoted'",
  '🙂',
  '',
];

beforeAll(async () => {
  t = await createTestApp({ now: () => new Date('2026-03-31T12:00:00Z') });
  const db = t.database.db;
  publicationId = (await db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow()).id;
  key = (await createApiKey(db, publicationId, 'csv')).key;
  await sql`
    INSERT INTO supporters (publication_id, email, name)
    SELECT ${publicationId}, (ARRAY['', '=', '-'])[i % 3 + 1] || 'r' || i || '@example.com',
      CASE WHEN i % 17 = 0 THEN NULL ELSE (${NAMES}::text[])[i % ${NAMES.length} + 1] END
    FROM generate_series(1, ${SUPPORTERS}) i`.execute(db);
  // Payments in three currencies (one zero-decimal, one three-decimal), some refunded or pending, at instants with
  // milliseconds and microseconds (which both drivers truncate to the millisecond).
  // The last 100 supporters have none (their line has empty totals).
  await sql`
    INSERT INTO payments (source_id, publication_id, supporter_id, kind, amount, currency, base_status, status, refunded_amount,
      dispute_status, article_url, variant, subscription_id, created_at, paid_at)
    SELECT 'cs_' || i, ${publicationId}, first.id + (i * 7) % ${SUPPORTERS - 100}, CASE WHEN i % 4 = 0 THEN 'membership' ELSE 'one_off' END,
      100 + i * 37 % 100000, (ARRAY['eur', 'jpy', 'kwd'])[i % 3 + 1],
      CASE WHEN i % 11 = 0 THEN 'pending' ELSE 'succeeded' END,
      CASE WHEN i % 11 = 0 THEN 'pending' WHEN i % 7 = 0 THEN 'partially_refunded' ELSE 'succeeded' END,
      CASE WHEN i % 7 = 0 AND i % 11 <> 0 THEN 50 ELSE 0 END,
      CASE WHEN i % 13 = 0 THEN 'won' END,
      CASE WHEN i % 2 = 0 THEN 'https://news.example/a,' || i END, CASE WHEN i % 5 = 0 THEN '=v' ELSE 'v' END,
      CASE WHEN i % 4 = 0 THEN 'sub_' || i END,
      timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour 1.001001 second',
      CASE WHEN i % 11 <> 0 THEN timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour 7.123457 second' END
    FROM generate_series(1, ${Math.round(SUPPORTERS * 1.4)}) i,
      (SELECT min(id) AS id FROM supporters WHERE publication_id = ${publicationId}) first`.execute(db);
  await sql`
    INSERT INTO memberships (subscription_id, publication_id, supporter_id, status, amount, currency, interval, started_at,
      snapshot_at, snapshot_rank, snapshot_event_id)
    SELECT 'sub_' || s.id, s.publication_id, s.id, (ARRAY['active', 'canceled', 'past_due'])[s.id % 3 + 1], 500, 'eur', 'month',
      now(), now(), 0, 'evt_' || s.id
    FROM supporters s WHERE s.publication_id = ${publicationId} AND s.id % 9 = 0`.execute(db);
  // Written outside the applier: its next batch adds them to the rollups and supporter totals.
  await webhookApplierOf(t.app).drain();
}, 120_000);
afterAll(() => t.close());

/**
 * A cell as spreadsheets must see it, written independently of the exporter: formula starts (after spaces,
 * full-width forms too) prefixed, then RFC 4180 quoting widened to `;` and tab for semicolon-splitting locales.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  const first = text.replace(/^ +/, '')[0];
  if (first !== undefined && '=+-@\t\r\n＝＋－＠'.includes(first)) text = `'${text}`;
  return [...'",;\t\r\n'].some((c) => text.includes(c)) ? `"${text.replaceAll('"', '""')}"` : text;
}
const line = (cells: unknown[]) => `${cells.map(cell).join(',')}\r\n`;

async function csv(path: string): Promise<string> {
  const res = await request(t.app)
    .get(path)
    .set('Authorization', `Bearer ${key}`)
    .buffer(true)
    .parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  return (res.body as Buffer).toString('utf8');
}

describe('supporters.csv over several batches', () => {
  it('equals the supporters as stored, newest first, one line per currency, times as toISOString gives them', async () => {
    const db = t.database.db;
    const supporters = await db
      .selectFrom('supporters')
      .select(['id', 'email', 'name', 'first_paid_at', 'last_paid_at'])
      .where('publication_id', '=', publicationId)
      .orderBy('id', 'desc')
      .execute();
    const totals = await db.selectFrom('supporter_totals').selectAll().orderBy('currency').execute();
    const memberships = await db.selectFrom('memberships').select(['supporter_id', 'status']).execute();
    const expected = supporters.flatMap((s) => {
      const status = memberships.find((m) => m.supporter_id === s.id)?.status ?? null;
      const base = [s.id, s.email, s.name, s.first_paid_at, s.last_paid_at, status];
      const mine = totals.filter((x) => x.supporter_id === s.id);
      if (mine.length === 0) return [line([...base, '', 0, '', '', ''])];
      return mine.map((x) =>
        line([
          ...base,
          x.currency.toUpperCase(),
          x.payments,
          minorToDecimalString(x.gross, x.currency),
          minorToDecimalString(x.refunded, x.currency),
          minorToDecimalString(x.gross - x.refunded, x.currency),
        ]),
      );
    });
    expect(supporters.length).toBe(SUPPORTERS);
    expect(supporters.some((s) => s.first_paid_at && s.first_paid_at.getUTCMilliseconds() !== 0)).toBe(true);

    const body = await csv('/api/reports/supporters.csv');
    expect(body.length).toBeGreaterThan(200_000);
    expect(body).toBe(
      `\uFEFFid,email,name,first_supported_at,last_supported_at,membership_status,currency,payments,lifetime_gross,lifetime_refunded,lifetime_net\r\n${expected.join('')}`,
    );
  });
});

describe('donations.csv over several batches', () => {
  it('equals the payments as stored, newest first, times as toISOString gives them', async () => {
    const payments = await t.database.db
      .selectFrom('payments as p')
      .leftJoin('supporters as s', 's.id', 'p.supporter_id')
      .select([
        'p.id',
        'p.paid_at',
        'p.created_at',
        'p.kind',
        'p.status',
        'p.currency',
        'p.amount',
        'p.refunded_amount',
        'p.dispute_status',
        's.email',
        's.name',
        'p.article_url',
        'p.variant',
        'p.subscription_id',
        'p.source_id',
        'p.fee_cover_amount',
      ])
      .where('p.publication_id', '=', publicationId)
      .orderBy('p.id', 'desc')
      .execute();
    const expected = payments.map((p) => {
      const net = ['succeeded', 'partially_refunded', 'refunded'].includes(p.status) ? p.amount - p.refunded_amount : 0;
      const money = (minor: number) => minorToDecimalString(minor, p.currency);
      return line([
        p.id,
        p.paid_at,
        p.created_at,
        p.kind,
        p.status,
        p.currency.toUpperCase(),
        money(p.amount),
        money(p.refunded_amount),
        money(net),
        p.dispute_status,
        p.email,
        p.name,
        p.article_url,
        p.variant,
        p.subscription_id,
        p.source_id,
        money(p.fee_cover_amount),
      ]);
    });
    expect(payments.length).toBeGreaterThan(2 * 1000);

    const body = await csv('/api/reports/donations.csv?from=2025-12-01&to=2026-12-31');
    expect(body).toBe(
      `\uFEFFid,paid_at,created_at,kind,status,currency,amount,refunded,net,dispute_status,email,name,article_url,variant,subscription_id,source_id,fee_cover_amount\r\n${expected.join('')}`,
    );
  });
});

describe('readInBatches', () => {
  it('hands over full batches and then the rest, through the cursor on Postgres and Kysely elsewhere', async () => {
    const source = { db: t.database.db, pgPool: t.database.pgPool };
    const sizes: number[] = [];
    for await (const batch of readInBatches(source, supporterExportQuery({ publicationId, timeZone: 'UTC' }, {}), 1000))
      sizes.push(batch.length);
    expect(sizes).toEqual([1000, 1000, 600]);
  });
});

describe.runIf(onPostgres)('cursorBatches (Postgres)', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    // One connection: a leaked or half-used one would block the next read.
    pool = new pg.Pool({ connectionString: t.database.url, max: 1 });
  });
  afterAll(() => pool.end());
  const inUse = () => pool.totalCount - pool.idleCount;
  const series = { sql: 'SELECT i, current_setting($1) AS jit FROM generate_series(1, 2500) i', parameters: ['jit'] };

  it('reads with JIT off, for this statement only', async () => {
    const rows: { i: number; jit: string }[] = [];
    for await (const batch of cursorBatches<{ i: number; jit: string }>(pool, series, 1000)) rows.push(...batch);
    expect(rows.map((r) => r.i)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.jit))).toEqual(new Set(['off']));
    expect((await pool.query('SHOW jit')).rows[0].jit).toBe('on');
    expect(inUse()).toBe(0);
  });

  it('closes the cursor and returns its connection when the reader stops early', async () => {
    for await (const batch of cursorBatches(pool, series, 1000)) {
      expect(batch).toHaveLength(1000);
      break;
    }
    expect(inUse()).toBe(0);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('passes a failing statement on and drops its connection', async () => {
    const failing = { sql: 'SELECT 1 / (i - 1500) FROM generate_series(1, 2500) i', parameters: [] };
    const read = async () => {
      for await (const _ of cursorBatches(pool, failing, 1000)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: '22012' });
    expect(inUse()).toBe(0);
    expect((await pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });
});
