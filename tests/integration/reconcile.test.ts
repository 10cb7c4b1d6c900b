import fc from 'fast-check';
import nock from 'nock';
import request from 'supertest';
import { webhookApplierOf } from '../../src/app.js';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { createLogger } from '../../src/logger.js';
import { reconcileOnce, reconcileWithStripe } from '../../src/reconcile/reconcile.service.js';
import { deliverAll, knownHistory } from '../helpers/report-history.js';
import { resetData } from '../helpers/reset-data.js';
import { createTestApp, createTestStripe, STRIPE_TEST_HOST, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

const history = knownHistory();

/** The `types` array as stripe-node encodes it (types[0]=…&types[1]=…). */
const typesOf = (query: URLSearchParams) => [...query.entries()].filter(([k]) => /^types\[\d*\]$/.test(k)).map(([, v]) => v);

/** Stripe's Events API over `events`: newest first, pages of `pageSize`, `starting_after` cursors. */
function stripeEventsApi(events: Stripe.Event[], pageSize = 7) {
  const newestFirst = [...events].sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
  const seen: string[] = [];
  const scope = nock(STRIPE_TEST_HOST)
    .persist()
    .get('/v1/events')
    .query(true)
    .reply(function (uri) {
      const query = new URL(uri, STRIPE_TEST_HOST).searchParams;
      seen.push(uri);
      const after = query.get('starting_after');
      const gte = Number(query.get('created[gte]') ?? 0);
      const types = typesOf(query);
      const matching = newestFirst.filter((e) => e.created >= gte && (types.length === 0 || types.includes(e.type)));
      const start = after ? matching.findIndex((e) => e.id === after) + 1 : 0;
      const data = matching.slice(start, start + pageSize);
      return [200, { object: 'list', url: '/v1/events', has_more: start + pageSize < matching.length, data }];
    });
  return { scope, seen };
}

async function snapshot() {
  const db = t.database.db;
  const [payments, supporters, memberships, sessions, events] = await Promise.all([
    db
      .selectFrom('payments')
      .leftJoin('supporters', 'supporters.id', 'payments.supporter_id')
      .select(['source_id', 'status', 'amount', 'refunded_amount', 'dispute_status', 'currency', 'paid_at', 'supporters.email'])
      .orderBy('source_id')
      .execute(),
    db.selectFrom('supporters').select(['email', 'name', 'first_paid_at']).orderBy('email').execute(),
    db
      .selectFrom('memberships')
      .select(['subscription_id', 'status', 'amount', 'ended_at', 'current_period_end'])
      .orderBy('subscription_id')
      .execute(),
    db.selectFrom('checkout_sessions').select(['id', 'status', 'payment_status']).orderBy('id').execute(),
    db.selectFrom('stripe_events').select('id').orderBy('id').execute(),
  ]);
  return { payments, supporters, memberships, sessions, events: events.map((e) => e.id) };
}

describe('reconciliation with the Events API', () => {
  it('recovers exactly the state of full delivery when a random 30% of webhooks were dropped', async () => {
    await resetData(t.database.db);
    await deliverAll(t.app, history);
    const full = await snapshot();
    expect(full.payments.length).toBeGreaterThan(10);

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: history.length, maxLength: history.length }),
        async (dice) => {
          await resetData(t.database.db);
          const dropped = history.filter((_, i) => dice[i]! < 0.3);
          await deliverAll(
            t.app,
            history.filter((_, i) => dice[i]! >= 0.3),
          );
          stripeEventsApi(history);
          const result = await reconcileWithStripe(
            {
              db: t.database.db,
              stripe: createTestStripe(),
              logger: createLogger('silent'),
              now: () => new Date(),
              applier: webhookApplierOf(t.app),
            },
            new Date('2025-12-01T00:00:00Z'),
          );
          nock.cleanAll();
          expect(result.fetched).toBe(history.length);
          expect(result.already_had).toBe(history.length - dropped.length);
          expect(result.applied + result.ignored).toBe(dropped.length);
          expect(await snapshot()).toEqual(full);
        },
      ),
      { numRuns: 4, seed: 20261128 },
    );
  });

  it('asks only for the handled types and the window, and records the run for /readyz', async () => {
    await resetData(t.database.db);
    const { seen } = stripeEventsApi(history);
    const since = new Date('2026-03-01T00:00:00Z');
    const result = await reconcileWithStripe(
      {
        db: t.database.db,
        stripe: createTestStripe(),
        logger: createLogger('silent'),
        now: () => new Date(),
        applier: webhookApplierOf(t.app),
      },
      since,
    );
    const first = new URL(seen[0]!, STRIPE_TEST_HOST).searchParams;
    expect(first.get('created[gte]')).toBe(String(since.getTime() / 1000));
    expect(typesOf(first)).toContain('invoice_payment.paid');
    expect(typesOf(first)).toHaveLength(15);
    expect(result.fetched).toBe(history.filter((e) => e.created >= since.getTime() / 1000).length);
    const ready = await request(t.app).get('/readyz');
    expect(ready.body.reconcile.last_success_at).not.toBeNull();
    expect(ready.body.reconcile.last_run).toMatchObject({ status: 'succeeded', applied: result.applied });
  });

  it('records a failed run without a success', async () => {
    await resetData(t.database.db);
    nock(STRIPE_TEST_HOST)
      .persist()
      .get('/v1/events')
      .query(true)
      .reply(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key' } });
    await expect(
      reconcileWithStripe(
        {
          db: t.database.db,
          stripe: createTestStripe(),
          logger: createLogger('silent'),
          now: () => new Date(),
          applier: webhookApplierOf(t.app),
        },
        new Date(0),
      ),
    ).rejects.toThrow(/Invalid API Key/);
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.reconcile.last_success_at).toBeNull();
    // Statuses only: Stripe's error text goes to the log, not to anyone who asks.
    expect(ready.body.reconcile.last_run.status).toBe('failed');
    expect(JSON.stringify(ready.body)).not.toContain('Invalid API Key');
  });

  it.runIf(process.env.DATABASE_URL)('runs in one instance at a time (Postgres advisory lock)', async () => {
    await resetData(t.database.db);
    stripeEventsApi(history, 3);
    const deps = {
      database: t.database,
      stripe: createTestStripe(),
      logger: createLogger('silent'),
      now: () => new Date(),
      applier: webhookApplierOf(t.app),
    };
    const results = await Promise.all([reconcileOnce(deps, new Date(0)), reconcileOnce(deps, new Date(0))]);
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.find((r) => r)!.applied).toBeGreaterThan(0);
  });

  it('is the favour reconcile command, which prints what it did', async () => {
    await resetData(t.database.db);
    stripeEventsApi(history);
    const saved = { ...process.env };
    Object.assign(process.env, { STRIPE_SECRET_KEY: 'sk_test_reconcile', STRIPE_API_URL: STRIPE_TEST_HOST });
    // The CLI opens its own database: on Postgres it shares t's; embedded, it opens an empty one of its own.
    if (t.database.url) process.env.DATABASE_URL = t.database.url;
    else process.env.DATA_DIR = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/favour-reconcile-`);
    const out: string[] = [];
    try {
      await buildCli({ out: (l) => out.push(l), err: () => {} })
        .exitOverride()
        .parseAsync(['node', 'favour', 'reconcile', '--since', '30d']);
    } finally {
      process.env = saved;
    }
    expect(out.at(-1)).toMatch(/^fetched \d+, already had 0, applied \d+, ignored \d+$/);
  });
});
