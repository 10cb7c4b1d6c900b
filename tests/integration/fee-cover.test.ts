/**
 * "Cover the fees" on the server (issue 12, point 3): the publication setting and what the widget configuration says
 * of it, the checkout's second line item (recurring for a membership), the covered part recorded on the payment from
 * the metadata whatever the order of delivery, and the reports: summary, articles and variants, donations JSON and CSV.
 */
import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { changePublication } from '../../src/publications/publication.service.js';
import { checkoutSession, invoice, stripeEvent, T0 } from '../helpers/stripe-objects.js';
import { createTestApp, STRIPE_TEST_HOST, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

const FEE_COVER = { percent: 1.5, fixed: { eur: 25 }, default: false };
let t: TestApp;
let key: string;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp();
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  key = (await createApiKey(t.database.db, demo.id, 'fee-cover')).key;
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const config = async () => (await request(t.app).get('/api/widget/demo')).body;
const report = (path: string) => request(t.app).get(path).set('Authorization', `Bearer ${key}`);

/** Answers the next session create and keeps the form Stripe was sent. */
function interceptSessionCreate(id: string) {
  const seen: { form?: URLSearchParams } = {};
  nock(STRIPE_TEST_HOST)
    .post('/v1/checkout/sessions', (body) => ((seen.form = new URLSearchParams(body as unknown as string)), true))
    .reply(200, { id, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${id}` });
  return seen;
}

const gift = { publication: 'demo', amount: 1000, currency: 'eur', interval: 'once', article_url: 'https://news.example/a' };

describe('the setting', () => {
  it('is off until set; then the configuration carries the rate, and the donate page its checkbox', async () => {
    expect((await config()).fee_cover).toBeNull();
    expect((await request(t.app).get('/donate/demo')).text).not.toContain('name="cover_fees"');
    await t.changePublication('demo', { fee_cover: FEE_COVER });
    await expect.poll(async () => (await config()).fee_cover).toEqual(FEE_COVER);
    const page = (await request(t.app).get('/donate/demo?lang=it')).text;
    expect(page).toContain('<input type="checkbox" name="cover_fees" value="true" >');
    expect(page).toContain('Copro le commissioni della carta (circa 1,5% + 0,25\u00a0€)');
    // No fixed part for usd and a percent: the rate is the percent alone.
    expect((await request(t.app).get('/donate/demo?currency=usd')).text).toContain('(about 1.5%)');
  });

  it.each([
    [{ percent: 1.555, fixed: {} }, 'fee_cover.percent'],
    [{ percent: 0, fixed: { eur: 0 } }, 'fee_cover'],
    [{ percent: 1.5, fixed: { gbp: 20 } }, 'fee_cover.fixed.gbp'],
    [{ percent: 1.5, fixed: { eur: 2.5 } }, 'fee_cover.fixed.eur'],
    [{ percent: 1.5, extra: true }, 'fee_cover'],
  ])('refuses %j, naming %s', async (feeCover, path) => {
    await expect(changePublication(t.database.db, 'demo', { fee_cover: feeCover as never })).rejects.toThrow(path);
  });
});

describe('POST /api/checkout with cover_fees', () => {
  it('adds the fee on a one-off gift as its own line, and says so in the metadata', async () => {
    const seen = interceptSessionCreate('cs_test_cover_once');
    const res = await request(t.app)
      .post('/api/checkout')
      .send({ ...gift, cover_fees: true });
    expect(res.status).toBe(201);
    const form = seen.form!;
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('1000');
    // (1000 + 25) / 0.985 = 1040.6…: 1041 in all, so the newsroom nets at least the €10.
    expect(form.get('line_items[1][price_data][unit_amount]')).toBe('41');
    expect(form.get('line_items[1][price_data][product_data][name]')).toBe('Covering the fees, so all of the gift reaches The Demo Daily');
    expect(form.get('line_items[1][price_data][recurring][interval]')).toBeNull();
    expect(form.get('metadata[fee_cover]')).toBe('41');
    expect(form.get('payment_intent_data[metadata][fee_cover]')).toBe('41');
    const row = await t.database.db
      .selectFrom('checkout_sessions')
      .select('amount')
      .where('id', '=', 'cs_test_cover_once')
      .executeTakeFirstOrThrow();
    expect(row.amount).toBe(1041);
  });

  it("makes a membership's fee part of the recurring price, and takes the form's checkbox", async () => {
    const seen = interceptSessionCreate('cs_test_cover_month');
    const res = await request(t.app)
      .post('/api/checkout')
      .type('form')
      .send({ ...gift, amount: '500', interval: 'month', cover_fees: 'true' });
    expect(res.status).toBe(303);
    const form = seen.form!;
    // (500 + 25) / 0.985 = 532.99…: 33 cents on top, every month.
    expect(form.get('line_items[1][price_data][unit_amount]')).toBe('33');
    expect(form.get('line_items[1][price_data][recurring][interval]')).toBe('month');
    expect(form.get('subscription_data[metadata][fee_cover]')).toBe('33');
  });

  it('leaves the fee out when not asked, and refuses cover_fees where it is not offered, with no Stripe call', async () => {
    const seen = interceptSessionCreate('cs_test_cover_not_asked');
    expect(
      (
        await request(t.app)
          .post('/api/checkout')
          .send({ ...gift, cover_fees: false })
      ).status,
    ).toBe(201);
    expect(seen.form!.has('line_items[1][quantity]')).toBe(false);
    expect(seen.form!.has('metadata[fee_cover]')).toBe(false);

    await t.changePublication('demo', { fee_cover: null });
    const res = await request(t.app)
      .post('/api/checkout')
      .send({ ...gift, cover_fees: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'fee_cover_not_offered', field: 'cover_fees' });
    const odd = await request(t.app)
      .post('/api/checkout')
      .send({ ...gift, cover_fees: 'yes' });
    expect(odd.status).toBe(400);
    expect(odd.body.error.message).toContain('cover_fees');
    expect(nock.pendingMocks()).toEqual([]);
    await t.changePublication('demo', { fee_cover: FEE_COVER });
  });
});

describe('recorded and reported', () => {
  const day = T0 + 3 * 86_400; // 2026-01-04
  const attribution = { publication: 'demo', article_url: 'https://news.example/covered', variant: '' };

  it('keeps the covered part on the payment in any order of delivery, and reports it per currency, article and export', async () => {
    const session = checkoutSession({ id: 'cs_fee_1', amount: 1041, created: day, fee_cover: 41, ...attribution });
    const member = {
      id: 'in_fee_1',
      customer: 'cus_fee_m',
      subscription: 'sub_fee_1',
      amount: 533,
      created: day,
      fee_cover: 33,
      ...attribution,
    };
    const plain = checkoutSession({ id: 'cs_fee_2', amount: 1000, created: day, ...attribution });
    // The renewal's failure arrives after its success, and the gift's event twice: nothing changes.
    for (const [type, object, id] of [
      ['invoice.paid', invoice(member), 'evt_fee_paid'],
      ['invoice.payment_failed', invoice({ ...member, paid: false }), 'evt_fee_failed'],
      ['checkout.session.completed', session, 'evt_fee_session'],
      ['checkout.session.completed', session, 'evt_fee_session'],
      ['checkout.session.completed', plain, 'evt_fee_plain'],
    ] as const) {
      expect((await deliver(t.app, stripeEvent(type, object, { id, created: day }))).status).toBe(200);
    }
    const payments = await t.database.db
      .selectFrom('payments')
      .select(['source_id', 'amount', 'fee_cover_amount'])
      .where('source_id', 'in', ['cs_fee_1', 'in_fee_1', 'cs_fee_2'])
      .orderBy('source_id')
      .execute();
    expect(payments).toEqual([
      { source_id: 'cs_fee_1', amount: 1041, fee_cover_amount: 41 },
      { source_id: 'cs_fee_2', amount: 1000, fee_cover_amount: 0 },
      { source_id: 'in_fee_1', amount: 533, fee_cover_amount: 33 },
    ]);

    const range = 'from=2026-01-01&to=2026-01-31';
    const summary = (await report(`/api/reports/summary?${range}`)).body;
    expect(summary.fees_covered).toEqual({ eur: 74, usd: 0 });
    expect(summary.currencies.eur).toMatchObject({ gross: 2574 });
    // Outside the range: nothing.
    expect((await report('/api/reports/summary?from=2026-02-01&to=2026-02-28')).body.fees_covered).toEqual({ eur: 0, usd: 0 });

    const articles = (await report(`/api/reports/articles?${range}`)).body;
    const covered = articles.articles.find((a: { article_url: string }) => a.article_url === 'https://news.example/covered');
    expect(covered).toMatchObject({ payments: 3, fee_cover_payments: 2, fees_covered: { eur: 74 } });
    expect(covered.fee_cover_rate).toBeCloseTo(2 / 3, 5);
    expect(articles.variants).toEqual([expect.objectContaining({ variant: null, fee_cover_payments: 2, fees_covered: { eur: 74 } })]);

    const donations = (await report(`/api/reports/donations?${range}`)).body.donations;
    expect(
      Object.fromEntries(donations.map((d: { source_id: string; fee_cover_amount: number }) => [d.source_id, d.fee_cover_amount])),
    ).toEqual({
      cs_fee_1: 41,
      cs_fee_2: 0,
      in_fee_1: 33,
    });
    const csv = (await report(`/api/reports/donations.csv?${range}`)).text;
    const [header, ...lines] = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(header!.split(',').at(-1)).toBe('fee_cover_amount');
    expect(lines.map((line) => [line.split(',').at(-2), line.split(',').at(-1)])).toEqual([
      ['cs_fee_2', '0.00'],
      ['cs_fee_1', '0.41'],
      ['in_fee_1', '0.33'],
    ]);
  });

  it('never records more than the payment as its fee cover (metadata is only what checkout wrote)', async () => {
    const odd = checkoutSession({ id: 'cs_fee_odd', amount: 300, created: day, fee_cover: 900, ...attribution });
    expect((await deliver(t.app, stripeEvent('checkout.session.completed', odd, { id: 'evt_fee_odd', created: day }))).status).toBe(200);
    const row = await t.database.db
      .selectFrom('payments')
      .select('fee_cover_amount')
      .where('source_id', '=', 'cs_fee_odd')
      .executeTakeFirstOrThrow();
    expect(row.fee_cover_amount).toBe(300);
  });
});
