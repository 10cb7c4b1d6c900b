/**
 * The database goes away (hardening issue, point 3): webhooks answer 503 (never 2xx), /readyz 503,
 * checkout 503 database_unavailable (without calling Stripe); when the database returns the
 * service recovers without a restart.
 *
 * "Pointed at a closed port" runs everywhere (no database server needed). "Goes away and comes
 * back" needs Postgres: the shared server cannot be stopped (other test files use it), so a TCP
 * proxy on 127.0.0.1 stands between the app and Postgres and is closed (every connection cut, new
 * ones refused) and reopened, in the middle of a webhook load.
 */
import nock from 'nock';
import request from 'supertest';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import { createApp } from '../../../src/app.js';
import { openDatabase, type DatabaseHandle } from '../../../src/db/create-database.js';
import { createLogger } from '../../../src/logger.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { guardOutgoingCalls } from '../../helpers/hardening-fuzz.js';
import { domainSnapshot, duplicateRows, loadHistory } from '../../helpers/hardening-history.js';
import {
  createFreshPostgresDatabase,
  deliverConcurrently,
  freePort,
  postEvent,
  spawnServer,
  sleep,
  startTcpProxy,
  stopServer,
  type TcpProxy,
  waitForInboxDrained,
  waitForReady,
  withPort,
} from '../../helpers/hardening-server.js';
import {
  createTestApp,
  createTestStripe,
  seedPublications,
  STRIPE_TEST_HOST,
  TEST_PUBLIC_URL,
  TEST_WEBHOOK_SECRET,
} from '../../helpers/test-app.js';
import { createTestDatabase } from '../../helpers/test-database.js';
import { deliver } from '../../helpers/webhook-delivery.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const checkoutBody = {
  publication: 'demo',
  amount: 1000,
  currency: 'eur',
  interval: 'once',
  article_url: 'https://news.example/2026/outage',
};

function appOn(database: DatabaseHandle) {
  return createApp({
    db: database.db,
    stripe: createTestStripe(),
    logger: createLogger('silent'),
    metrics: createMetrics(database.poolStats),
    config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: TEST_WEBHOOK_SECRET },
  });
}

let guard: ReturnType<typeof guardOutgoingCalls>;
beforeAll(() => {
  guard = guardOutgoingCalls();
});
afterAll(() => guard.stop());

describe('a database that cannot be reached', () => {
  it('pointed at a closed port: webhooks, checkout, reports and pages answer 503 database_unavailable at once; /healthz stays 200', async () => {
    const port = await freePort(); // nothing listens there
    const database = await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/favour`, poolSize: 3 });
    try {
      const app = appOn(database);
      const event = loadHistory({ minEvents: 1, seed: 1 })[0]!;
      const started = Date.now();
      const webhook = await deliver(app, event);
      expect(webhook.status).toBe(503);
      expect(webhook.body.error.code).toBe('database_unavailable');

      const ready = await request(app).get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not_ready', checks: { database: 'unreachable' } });

      const checkout = await request(app).post('/api/checkout').send(checkoutBody);
      expect(checkout.status).toBe(503);
      expect(checkout.body.error).toMatchObject({ code: 'database_unavailable' });
      expect(guard.take(), 'no Stripe call without a database').toEqual([]);

      for (const path of ['/api/reports/summary', '/api/widget/demo', '/donate/demo', '/thanks?session_id=cs_test_abc']) {
        const res = await request(app).get(path).set('authorization', 'Bearer fav_whatever_key_it_is');
        expect(res.status, path).toBe(503);
        expect(res.body.error.code, path).toBe('database_unavailable');
      }
      expect(guard.take()).toEqual([]);
      expect((await request(app).get('/healthz')).status).toBe(200);
      // Refused connections fail fast: no request waited for the 5 s connection timeout.
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await database.close();
    }
  });
});

describe.runIf(onPostgres)('a database that goes away and comes back (Postgres behind a TCP proxy)', () => {
  let fresh: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let database: DatabaseHandle;

  beforeAll(async () => {
    fresh = await createTestDatabase();
    await seedPublications(fresh);
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    database = await openDatabase({ databaseUrl: withPort(fresh.url!, proxy.port), poolSize: 6 });
  });
  afterAll(async () => {
    await database?.close().catch(() => {});
    await proxy?.close();
    await fresh?.close();
  });

  it('answers 503 while it is gone (never 2xx for an event it did not store), and recovers without a restart', async () => {
    const app = appOn(database);
    const pub = await fresh.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
    const key = (await createApiKey(fresh.db, pub.id, 'outage')).key;
    const events = loadHistory({ minEvents: 120, seed: 99, tag: 'o' });

    // Up: everything works.
    expect((await request(app).get('/readyz')).status).toBe(200);
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions')
      .reply(200, { id: 'cs_test_before', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_before' });
    expect((await request(app).post('/api/checkout').send(checkoutBody)).status).toBe(201);
    guard.take();

    // A webhook load; the database goes away a third of the way through.
    let cut = false;
    const outcomes = await deliverConcurrently(
      events,
      async (event) => {
        const res = await deliver(app, event);
        return { id: event.id, status: res.status, body: res.body };
      },
      6,
      (_o, done) => {
        if (!cut && done >= 40) {
          cut = true;
          void proxy.close();
        }
      },
    );
    const statuses = new Map<number, number>();
    for (const o of outcomes) statuses.set(o.status!, (statuses.get(o.status!) ?? 0) + 1);
    expect([...statuses.keys()].sort(), JSON.stringify(Object.fromEntries(statuses))).toEqual([200, 503]);
    for (const o of outcomes.filter((o) => o.status === 503)) expect(o.body?.error?.code).toBe('database_unavailable');
    expect(statuses.get(503)).toBeGreaterThan(40);

    // Down: readiness, checkout (no Stripe call), reports, a redelivery.
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toBe('unreachable');
    const checkout = await request(app).post('/api/checkout').send(checkoutBody);
    expect(checkout.status).toBe(503);
    expect(checkout.body.error.code).toBe('database_unavailable');
    expect(guard.take()).toEqual([]);
    expect((await request(app).get('/api/reports/summary').set('authorization', `Bearer ${key}`)).status).toBe(503);
    expect((await deliver(app, events[0]!)).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);

    // Back: the same app, the same pool, no restart.
    await proxy.open();
    const deadline = Date.now() + 15_000;
    while ((await request(app).get('/readyz')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not become ready again');
      await sleep(100);
    }
    // Stripe sends again what was not acknowledged; an acknowledged event is a duplicate.
    for (const o of outcomes) {
      const res = await deliver(
        app,
        events.find((e) => e.id === o.id)!,
      );
      expect(res.status, o.id).toBe(200);
      if (o.status === 200) expect(res.body.duplicate, `${o.id} was acknowledged, so stored`).toBe(true);
    }
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions')
      .reply(200, { id: 'cs_test_after', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_after' });
    expect((await request(app).post('/api/checkout').send(checkoutBody)).status).toBe(201);
    expect((await request(app).get('/api/reports/summary').set('authorization', `Bearer ${key}`)).status).toBe(200);

    // Exactly once: the same state as every event delivered once, in order.
    expect(await duplicateRows(fresh.db)).toEqual({ payments: 0, sessions: 0, statusChanges: 0, events: 0 });
    const reference = await referenceState(events);
    const state = await domainSnapshot(fresh.db);
    expect({ ...state, checkout_sessions: state.checkout_sessions.filter((s) => !String(s.id).startsWith('cs_test_')) }).toEqual(reference);
  }, 120_000);
});

describe.runIf(onPostgres)('the real server process when its database goes away and comes back', () => {
  // A connection dropping while a request holds it must not kill the process (pg emits 'error' on the client).
  it('keeps running: 503 while the database is gone, recovery without a restart, every event applied once', async () => {
    const fresh = await createFreshPostgresDatabase('favour_outage');
    const target = new URL(process.env.DATABASE_URL!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const secret = 'whsec_outage_process';
    const server = spawnServer(await freePort(), {
      DATABASE_URL: withPort(fresh.url, proxy.port),
      STRIPE_WEBHOOK_SECRET: secret,
      RATE_LIMIT_EVENTS_IP: 'off',
      SHUTDOWN_TIMEOUT_MS: '3000',
    });
    try {
      await waitForReady(server);
      const events = loadHistory({ minEvents: 150, seed: 5, tag: 'p' });
      let cut = false;
      const outcomes = await deliverConcurrently(
        events,
        (e) => postEvent(server.base, e, secret),
        6,
        (_o, done) => {
          if (!cut && done >= 40) {
            cut = true;
            void proxy.close();
          }
        },
      );
      const died = () => `the server process died (exit ${server.child.exitCode}):\n${server.output().split('\n').slice(-6).join('\n')}`;
      expect(server.child.exitCode, died()).toBeNull();
      expect(
        outcomes.filter((o) => o.status !== 200 && o.status !== 503),
        'only 200 and 503 under an outage',
      ).toEqual([]);
      const down = await fetch(`${server.base}/readyz`);
      expect(down.status).toBe(503);
      const checkout = await fetch(`${server.base}/api/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(checkoutBody),
      });
      expect(checkout.status).toBe(503);
      expect(((await checkout.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');

      await proxy.open();
      await waitForReady(server, '/readyz', 15_000);
      expect(server.child.exitCode, died()).toBeNull();
      for (const o of outcomes) {
        const again = await postEvent(
          server.base,
          events.find((e) => e.id === o.id)!,
          secret,
        );
        expect(again.status, o.id).toBe(200);
      }
      await waitForInboxDrained(server);
      const check = await openDatabase({ databaseUrl: fresh.url });
      try {
        expect(await duplicateRows(check.db)).toEqual({ payments: 0, sessions: 0, statusChanges: 0, events: 0 });
        expect(await domainSnapshot(check.db)).toEqual(await referenceState(events));
      } finally {
        await check.close();
      }
    } finally {
      await stopServer(server);
      await proxy.close();
      await fresh.drop();
    }
  }, 120_000);
});

async function referenceState(events: Stripe.Event[]) {
  const ref = await createTestApp();
  try {
    for (const event of events) expect((await deliver(ref.app, event)).status).toBe(200);
    return await domainSnapshot(ref.database.db);
  } finally {
    await ref.close();
  }
}
