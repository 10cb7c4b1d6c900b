/**
 * The goal meter (issue 12, point 1): a publication setting, measured from the same numbers as the reports, in
 * the widget configuration (at most a minute stale), on the hosted donate page and in the reports API.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { goalPeriod } from '../../src/goals/goal.service.js';
import { goalSchema } from '../../src/publications/publication.schema.js';
import { changePublication, PublicationError } from '../../src/publications/publication.service.js';
import { charge, checkoutSession, stripeEvent, subscription, T0 } from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

const DAY = 86_400;
let clock = new Date((T0 + 19 * DAY + 12 * 3600) * 1000); // 2026-01-20T12:00:00Z
let t: TestApp;
let key: string;

const gift = (id: string, amount: number, created: number, currency = 'eur') =>
  stripeEvent(
    'checkout.session.completed',
    checkoutSession({ id, amount, currency, created, publication: 'demo', email: `${id}@example.com` }),
    {
      id: `evt_${id}`,
      created,
    },
  );
const config = async () => (await request(t.app).get('/api/widget/demo?lang=en')).body;

beforeAll(async () => {
  t = await createTestApp({ now: () => clock });
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  key = (await createApiKey(t.database.db, demo.id, 'goal')).key;
  // January: 50 + 25 € (then 10 € of the first refunded), 30 $ (another currency); December: 99 €.
  for (const event of [
    gift('cs_jan_1', 5000, T0 + 2 * DAY),
    gift('cs_jan_2', 2500, T0 + 10 * DAY),
    gift('cs_jan_usd', 3000, T0 + 11 * DAY, 'usd'),
    gift('cs_dec', 9900, T0 - 5 * DAY),
    stripeEvent('charge.refunded', charge({ id: 'ch_jan_1', payment_intent: 'pi_cs_jan_1', amount: 5000, amount_refunded: 1000 }), {
      id: 'evt_refund',
      created: T0 + 12 * DAY,
    }),
  ]) {
    expect((await deliver(t.app, event)).status).toBe(200);
  }
});
afterAll(() => t.close());

describe('goal settings', () => {
  it('are validated, with every problem named', async () => {
    const bad = [
      [{ kind: 'amount', target: 100, period: 'month' }, 'goal.currency: an amount goal needs its currency'],
      [{ kind: 'amount', currency: 'gbp', target: 100, period: 'month' }, 'goal.currency: must be one of the accepted currencies'],
      [{ kind: 'members', currency: 'eur', target: 100, period: 'month' }, 'goal.currency: only an amount goal has a currency'],
      [{ kind: 'supporters', target: 10, period: 'campaign', starts: '2026-01-01' }, 'goal.ends: a campaign goal needs starts and ends'],
      [{ kind: 'supporters', target: 10, period: 'campaign', starts: '2026-02-01', ends: '2026-01-01' }, 'goal.ends: must not be before'],
      [{ kind: 'supporters', target: 0, period: 'month' }, 'goal.target'],
      [{ kind: 'supporters', target: 10, period: 'month', starts: '2026-02-30' }, 'goal.starts: is not a real date'],
    ] as const;
    for (const [goal, message] of bad) {
      const attempt = changePublication(t.database.db, 'demo', { goal } as never);
      await expect(attempt).rejects.toThrow(PublicationError);
      await expect(attempt).rejects.toThrow(message);
    }
  });

  it('month and campaign periods in local days', () => {
    const month = goalSchema.parse({ kind: 'supporters', target: 5, period: 'month' });
    expect(goalPeriod(month, '2026-02-14')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    const fromMid = goalSchema.parse({ kind: 'supporters', target: 5, period: 'month', starts: '2026-02-10' });
    expect(goalPeriod(fromMid, '2026-02-09')).toBeUndefined();
    expect(goalPeriod(fromMid, '2026-02-14')).toEqual({ from: '2026-02-10', to: '2026-02-28' });
    expect(goalPeriod(fromMid, '2026-03-01')).toEqual({ from: '2026-03-01', to: '2026-03-31' });
    const campaign = goalSchema.parse({ kind: 'supporters', target: 5, period: 'campaign', starts: '2026-12-01', ends: '2026-12-31' });
    expect(goalPeriod(campaign, '2026-11-30')).toBeUndefined();
    expect(goalPeriod(campaign, '2026-12-31')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(goalPeriod(campaign, '2027-01-01')).toBeUndefined();
  });
});

describe('the goal meter', () => {
  it('is absent without a goal; with one, counts net revenue in its currency this month', async () => {
    expect((await config()).goal).toBeNull();
    await t.changePublication('demo', {
      goal: {
        kind: 'amount',
        currency: 'eur',
        target: 10_000,
        period: 'month',
        copy: { en: { label: 'Our January goal', reached: 'Done!' } },
      },
    });
    // Every instance hears of the change (NOTIFY) and drops its cached publications.
    await expect.poll(async () => (await config()).goal).not.toBeNull();
    const res = await request(t.app).get('/api/widget/demo?lang=en');
    expect(res.headers['cache-control']).toBe('public, max-age=20, stale-while-revalidate=20');
    expect(res.body.goal).toEqual({
      kind: 'amount',
      currency: 'eur',
      target: 10_000,
      current: 6500, // 5000 + 2500 − 1000 refunded; not the dollars, not December
      period: 'month',
      period_start: '2026-01-01',
      period_end: '2026-01-31',
      reached: false,
      label: 'Our January goal',
      reached_text: 'Done!',
    });
    // The reports API measures the same.
    const api = await request(t.app).get('/api/reports/goal').set('Authorization', `Bearer ${key}`);
    expect(api.status).toBe(200);
    expect(api.body.goal).toMatchObject({ current: 6500, target: 10_000, reached: false });
    // Italian readers get our Italian label (the publisher wrote only English).
    const italian = (await request(t.app).get('/api/widget/demo?lang=it')).body.goal;
    expect(italian.label).toBe('Il nostro obiettivo del mese');
  });

  it('moves within a minute of a new gift, and says when the target is reached', async () => {
    expect((await deliver(t.app, gift('cs_jan_3', 4000, T0 + 19 * DAY))).status).toBe(200);
    expect((await config()).goal.current).toBe(6500); // measured 0 s ago
    clock = new Date(clock.getTime() + 21_000);
    await config(); // starts measuring again, answers the last figure meanwhile
    await expect.poll(async () => (await config()).goal).toMatchObject({ current: 10_500, reached: true });
  });

  it('counts new members or new supporters instead, and stops after a campaign', async () => {
    const sub = subscription({ id: 'sub_jan', customer: 'cus_member', start_date: T0 + 15 * DAY, publication: 'demo' });
    expect(
      (await deliver(t.app, stripeEvent('customer.subscription.created', sub, { id: 'evt_sub', created: T0 + 15 * DAY }))).status,
    ).toBe(200);
    const measure = async (goal: object) => {
      await t.changePublication('demo', { goal } as never);
      return (await request(t.app).get('/api/reports/goal').set('Authorization', `Bearer ${key}`)).body.goal;
    };
    expect(await measure({ kind: 'members', target: 10, period: 'month' })).toMatchObject({ currency: null, current: 1 });
    // Supporters who first paid in January: jan_1, jan_2, jan_usd, jan_3 (December's is older).
    expect(await measure({ kind: 'supporters', target: 4, period: 'month' })).toMatchObject({ current: 4, reached: true });
    expect(await measure({ kind: 'supporters', target: 4, period: 'campaign', starts: '2026-01-11', ends: '2026-01-31' })).toMatchObject({
      current: 3, // the 11th, the 12th (dollars) and the 20th
      period_start: '2026-01-11',
    });
    expect(await measure({ kind: 'supporters', target: 4, period: 'campaign', starts: '2025-12-01', ends: '2025-12-31' })).toBeNull();
  });

  it('is on the hosted donate page as an accessible progress bar, without JavaScript', async () => {
    await t.changePublication('demo', {
      goal: { kind: 'amount', currency: 'eur', target: 20_000, period: 'month', copy: {} },
    });
    const donatePage = async () => (await request(t.app).get('/donate/demo?lang=en')).text;
    await expect.poll(donatePage).toContain('max="20000"');
    const page = await request(t.app).get('/donate/demo?lang=en');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Our goal this month');
    expect(page.text).toMatch(
      /<progress role="progressbar" max="20000" value="10500" aria-labelledby="goal-label"\s+aria-valuemin="0" aria-valuemax="20000" aria-valuenow="10500" aria-valuetext="€105 of €200">/,
    );
    await t.changePublication('demo', { goal: null });
    await expect.poll(donatePage).not.toContain('progressbar');
    expect((await config()).goal).toBeNull();
  });
});
