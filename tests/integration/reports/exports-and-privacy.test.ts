import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import { csvCell } from '../../../src/reports/csv-export.js';
import { deliverAll, knownHistory } from '../../helpers/report-history.js';
import { checkoutSession, stripeEvent } from '../../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { deliver } from '../../helpers/webhook-delivery.js';

const NOW = new Date('2026-03-31T12:00:00Z');
let t: TestApp;
let key: string;
const get = (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${key}`);

/** A minimal RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\r' && text[i + 1] === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''), i++);
    else cell += c;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

beforeAll(async () => {
  t = await createTestApp({ now: () => NOW });
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  key = (await createApiKey(t.database.db, demo.id, 'exports')).key;
  await deliverAll(t.app, knownHistory());
  // A supporter whose name would be a formula in a spreadsheet, with Serbian letters and a quote.
  await deliver(
    t.app,
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        id: 'cs_evil',
        amount: 1234,
        email: 'dragan@example.com',
        name: '=HYPERLINK("http://evil")',
        customer: 'cus_evil',
        publication: 'demo',
        article_url: 'https://news.example/a',
        created: Date.parse('2026-03-20T10:00:00Z') / 1000,
      }),
      { id: 'evt_evil', created: Date.parse('2026-03-20T10:00:00Z') / 1000 },
    ),
  );
  await deliver(
    t.app,
    stripeEvent(
      'checkout.session.completed',
      checkoutSession({
        id: 'cs_sr',
        amount: 5000,
        email: 'jovana@example.com',
        name: 'Јована "Ђорђевић", Čačak',
        customer: 'cus_sr',
        publication: 'demo',
        article_url: 'https://news.example/a',
        created: Date.parse('2026-03-21T10:00:00Z') / 1000,
      }),
      { id: 'evt_sr', created: Date.parse('2026-03-21T10:00:00Z') / 1000 },
    ),
  );
});
afterAll(() => t.close());

describe('CSV exports', () => {
  it('streams donations as UTF-8 CSV with a BOM, exact decimal amounts and zero-decimal currencies right', async () => {
    const res = await get('/api/reports/donations.csv?from=2026-01-01&to=2026-03-31')
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="demo-donations-2026-01-01-2026-03-31.csv"');
    const body = res.body as Buffer;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = body.toString('utf8').slice(1);
    expect(text.includes('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([
      'id',
      'paid_at',
      'created_at',
      'kind',
      'status',
      'currency',
      'amount',
      'refunded',
      'net',
      'dispute_status',
      'email',
      'name',
      'article_url',
      'variant',
      'subscription_id',
      'source_id',
      'fee_cover_amount',
    ]);
    const bySource = new Map(rows.map((r) => [r[15], r]));
    expect(bySource.get('cs_b')!.slice(3, 9)).toEqual(['one_off', 'partially_refunded', 'EUR', '10.00', '3.00', '7.00']);
    expect(bySource.get('cs_d')!.slice(5, 7)).toEqual(['JPY', '3000']);
    expect(bySource.get('cs_evil')![11]).toBe(`'=HYPERLINK("http://evil")`);
    expect(bySource.get('cs_sr')![11]).toBe('Јована "Ђорђевић", Čačak');
    expect(rows).toHaveLength(13); // 11 in the known history's range, and the two above
  });

  it('exports supporters, one line per currency, with the same filters as the API', async () => {
    const res = await get('/api/reports/supporters.csv?status=active');
    expect(res.status).toBe(200);
    const [header, ...rows] = parseCsv(res.text.replace(/^\uFEFF/, ''));
    expect(header).toEqual([
      'id',
      'email',
      'name',
      'first_supported_at',
      'last_supported_at',
      'membership_status',
      'currency',
      'payments',
      'lifetime_gross',
      'lifetime_refunded',
      'lifetime_net',
    ]);
    expect(rows.map((r) => [r[1], r[5], r[6], r[8]]).sort()).toEqual([
      ['a@example.com', 'active', 'EUR', '40.00'],
      ['e@example.com', 'active', 'EUR', '60.00'],
    ]);
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+44 20', "'+44 20"],
    ['-5', "'-5"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
    ['Ana', 'Ana'],
    [null, ''],
  ])('neutralises %j in a cell', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });
});

describe('keyset pagination', () => {
  it('returns every supporter exactly once while new supporters arrive between pages', async () => {
    const before = await t.database.db.selectFrom('supporters').select('id').where('publication_id', '=', 1).execute();
    const seen: number[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const res = await get(`/api/reports/supporters?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.supporters.map((s: { id: number }) => s.id));
      cursor = res.body.next_cursor;
      // Someone gives between two page requests.
      await deliver(
        t.app,
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            id: `cs_page_${added}`,
            email: `new${added}@example.com`,
            customer: `cus_page_${added}`,
            publication: 'demo',
            article_url: 'https://news.example/a',
          }),
          { id: `evt_page_${added++}` },
        ),
      );
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const { id } of before) expect(seen).toContain(id);
  });
});

describe('rollups', () => {
  it('equal the totals recomputed from the payments themselves', async () => {
    const fromRollups = await sql<{ currency: string; gross: number; refunded: number; payments: number }>`
      SELECT currency, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(payments)::bigint AS payments
      FROM payment_daily_totals GROUP BY currency ORDER BY currency`.execute(t.database.db);
    const fromPayments = await sql<{ currency: string; gross: number; refunded: number; payments: number }>`
      SELECT currency, sum(amount)::bigint AS gross, sum(refunded_amount)::bigint AS refunded, count(*)::bigint AS payments
      FROM payments WHERE base_status = 'succeeded' GROUP BY currency ORDER BY currency`.execute(t.database.db);
    expect(fromRollups.rows).toEqual(fromPayments.rows);
    const supporterRollup = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM supporter_totals t
      WHERE t.gross <> (SELECT sum(p.amount) FROM payments p WHERE p.supporter_id = t.supporter_id AND p.currency = t.currency AND p.base_status = 'succeeded')`.execute(
      t.database.db,
    );
    expect(supporterRollup.rows[0]!.n).toBe(0);
  });

  it('are rebuilt in the new local days when the time zone changes', async () => {
    const { changePublication } = await import('../../../src/publications/publication.service.js');
    const gross = async (day: string) => (await get(`/api/reports/summary?from=${day}&to=${day}`)).body.currencies.eur.gross as number;
    const [dec31, jan1] = [await gross('2025-12-31'), await gross('2026-01-01')];
    expect(dec31).toBe(999); // cs_old, paid at 10:00 UTC on the 31st
    await changePublication(t.database.db, 'demo', { time_zone: 'Pacific/Kiritimati' }); // UTC+14: that is 1 January
    expect(await gross('2025-12-31')).toBe(0);
    expect(await gross('2026-01-01')).toBe(jan1 + 999);
    await changePublication(t.database.db, 'demo', { time_zone: 'UTC' });
    expect(await gross('2025-12-31')).toBe(999);
  });
});

describe('privacy tools', () => {
  it('exports everything held about a supporter', async () => {
    const res = await get('/api/supporters/export?email=A@Example.com');
    expect(res.status).toBe(200);
    expect(res.body.supporter).toMatchObject({ email: 'a@example.com' });
    expect(res.body.payments).toHaveLength(4);
    expect(res.body.memberships.map((m: { subscription_id: string }) => m.subscription_id)).toEqual(['sub_m1']);
    expect(res.body.customers.map((c: { id: string }) => c.id)).toEqual(['cus_a@example.com']);
    expect((await get('/api/supporters/export?email=nobody@example.com')).status).toBe(404);
  });

  it('erases personal data but keeps every total', async () => {
    const before = (await get('/api/reports/summary?from=2026-01-01&to=2026-03-31')).body;
    const res = await request(t.app)
      .post('/api/supporters/erase')
      .set('Authorization', `Bearer ${key}`)
      .send({ email: 'jovana@example.com' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ publication: 'demo', stripe_customers_unlinked: 1 });
    expect(res.body.events_scrubbed).toBeGreaterThanOrEqual(1);

    const after = (await get('/api/reports/summary?from=2026-01-01&to=2026-03-31')).body;
    expect(after.currencies).toEqual(before.currencies);
    expect(after.new_supporters).toBe(before.new_supporters);

    const db = t.database.db;
    const supporter = await db.selectFrom('supporters').selectAll().where('id', '=', res.body.supporter_id).executeTakeFirstOrThrow();
    expect(supporter.email).toBe(`erased-${supporter.id}`);
    expect(supporter.name).toBeNull();
    expect(supporter.erased_at).not.toBeNull();
    const payment = await db.selectFrom('payments').selectAll().where('source_id', '=', 'cs_sr').executeTakeFirstOrThrow();
    expect(payment).toMatchObject({ amount: 5000, customer_id: null, supporter_id: supporter.id });
    expect(await db.selectFrom('stripe_customers').selectAll().where('id', '=', 'cus_sr').execute()).toEqual([]);
    const everything =
      JSON.stringify(await sql`SELECT * FROM stripe_events`.execute(db)) + JSON.stringify(await sql`SELECT * FROM supporters`.execute(db));
    expect(everything).not.toContain('jovana@example.com');
    expect(everything).not.toContain('Ђорђевић');
    expect((await get('/api/supporters/export?email=jovana@example.com')).status).toBe(404);
  });
});
