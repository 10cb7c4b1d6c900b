/**
 * The webhook inbox (issue 10): Stripe's delivery is acknowledged once the event is stored, and applied
 * afterwards by an applier on every instance, in batches with a savepoint per event.
 */
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookApplierOf } from '../../src/app.js';
import { openDatabase } from '../../src/db/create-database.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { INBOX_CHANNEL, retryFailedEvents } from '../../src/webhooks/event-inbox.repository.js';
import { createWebhookApplier, retryDelaySeconds } from '../../src/webhooks/webhook-applier.js';
import { storeStripeEvent } from '../../src/webhooks/webhook.service.js';
import { domainSnapshot, duplicateRows, loadHistory } from '../helpers/hardening-history.js';
import { resetData } from '../helpers/reset-data.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, seedPublications, type TestApp } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { deliver, post } from '../helpers/webhook-delivery.js';
import { inboxOnlyApp, settleInbox } from '../helpers/inbox.js';

const onPostgres = Boolean(process.env.DATABASE_URL);
const silent = createLogger('silent');
const gift = (id: string, amount = 1000) =>
  stripeEvent(
    'checkout.session.completed',
    checkoutSession({ id: `cs_${id}`, amount, publication: 'demo', article_url: 'https://news.example/a' }),
    { id: `evt_${id}` },
  );

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // This file's tests run their own appliers on t's database.
  await webhookApplierOf(t.app).stop();
});
afterAll(() => t.close());

/** An applier of this file's own on t's database, on the clock `now`, applying only when drained. */
const applierOn = (now: () => Date, batchSize?: number) =>
  createWebhookApplier({
    db: t.database.db,
    logger: silent,
    metrics: createMetrics(t.database.poolStats),
    pollMs: 0,
    now,
    ...(batchSize ? { batchSize } : {}),
  });

const status = (id: string) => t.database.db.selectFrom('stripe_events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('acknowledgement', () => {
  it('answers 200 {received, duplicate} once the event is stored, before anything is applied', async () => {
    await resetData(t.database.db);
    const app = inboxOnlyApp(t);
    const res = await post(app, gift('ack'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false });
    expect(await status('evt_ack')).toMatchObject({ status: 'pending', outcome: null, attempts: 0 });
    expect(await t.database.db.selectFrom('payments').selectAll().execute()).toEqual([]);
    expect((await post(app, gift('ack'))).body).toEqual({ received: true, duplicate: true });

    // A backlog shows to operators but does not make the instance unready.
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.webhooks).toMatchObject({ pending: 1, failed: 0 });
    expect(ready.body.webhooks.oldest_pending_seconds).toBeGreaterThanOrEqual(0);
    const metrics = (await request(app).get('/metrics')).text;
    expect(metrics).toContain('favour_webhook_events_pending 1');
    expect(metrics).toContain('favour_webhook_events_failed 0');

    const applierMetrics = createMetrics(t.database.poolStats);
    await createWebhookApplier({ db: t.database.db, logger: silent, metrics: applierMetrics, pollMs: 0 }).drain();
    expect(await status('evt_ack')).toMatchObject({ status: 'applied', outcome: 'applied' });
    expect(await t.database.db.selectFrom('payments').select('source_id').execute()).toEqual([{ source_id: 'cs_ack' }]);
    expect(await applierMetrics.registry.getSingleMetricAsString('favour_webhook_apply_lag_seconds')).toMatch(
      /favour_webhook_apply_lag_seconds_count 1/,
    );
    expect((await request(app).get('/readyz')).body.webhooks).toEqual({
      pending: 0,
      failed: 0,
      oldest_pending_seconds: 0,
      api_version_mismatch: 0,
      livemode_mismatch: 0,
    });
  });
});

describe('a handler that throws', () => {
  it('is rolled back alone, marked failed with its error and next attempt, retried with back-off, and holds up no other event', async () => {
    await resetData(t.database.db);
    const app = inboxOnlyApp(t);
    // A negative amount breaks a table constraint half-way through the handler, between two good gifts.
    for (const event of [gift('good1'), gift('broken', -5), gift('good2')]) expect((await post(app, event)).status).toBe(200);
    let now = new Date();
    const applier = applierOn(() => now, 10);
    await applier.drain();
    expect((await status('evt_good1')).status).toBe('applied');
    expect((await status('evt_good2')).status).toBe('applied');
    const broken = await status('evt_broken');
    expect(broken).toMatchObject({ status: 'failed', attempts: 1, outcome: null });
    expect(broken.last_error).toMatch(/constraint/);
    expect(broken.next_attempt_at!.getTime() - now.getTime()).toBe(retryDelaySeconds(1) * 1000);
    expect(await t.database.db.selectFrom('payments').select('source_id').orderBy('source_id').execute()).toEqual([
      { source_id: 'cs_good1' },
      { source_id: 'cs_good2' },
    ]);
    expect(await t.database.db.selectFrom('checkout_sessions').select('id').where('id', '=', 'cs_broken').execute()).toEqual([]);

    // Not due yet: left alone. Due: tried again, and the wait doubles.
    await applier.drain();
    expect((await status('evt_broken')).attempts).toBe(1);
    now = new Date(now.getTime() + 6_000);
    await applier.drain();
    const again = await status('evt_broken');
    expect(again.attempts).toBe(2);
    expect(again.next_attempt_at!.getTime() - now.getTime()).toBe(retryDelaySeconds(2) * 1000);
    expect(retryDelaySeconds(2)).toBe(2 * retryDelaySeconds(1));
    expect(retryDelaySeconds(50)).toBe(3600);

    // `favour events retry` makes it due at once.
    expect(await retryFailedEvents(t.database.db, now)).toBe(1);
    await applier.drain();
    expect((await status('evt_broken')).attempts).toBe(3);
  });
});

describe.runIf(onPostgres)('several instances', () => {
  it('two appliers on one database, in small batches, apply every event exactly once', async () => {
    const events = loadHistory({ minEvents: 250, seed: 7, tag: 'i' });
    // The reference: every event once, in order, through one app.
    const ref = await createTestApp();
    for (const event of events) expect((await deliver(ref.app, event)).status).toBe(200);
    const reference = await domainSnapshot(ref.database.db);
    await ref.close();

    // Another database, so that no applier but these two runs on it.
    const fresh = await createTestDatabase();
    await seedPublications(fresh);
    for (const event of [...events].reverse()) await storeStripeEvent(fresh.db, event);
    const pools = [
      await openDatabase({ databaseUrl: fresh.url!, poolSize: 3 }),
      await openDatabase({ databaseUrl: fresh.url!, poolSize: 3 }),
    ];
    try {
      const metrics = pools.map((pool) => createMetrics(pool.poolStats));
      const appliers = pools.map((pool, i) =>
        createWebhookApplier({ db: pool.db, logger: silent, metrics: metrics[i]!, pollMs: 0, batchSize: 3 + i * 4 }),
      );
      await settleInbox(fresh.db, appliers);
      const appliedBy = await Promise.all(
        metrics.map(async (m) =>
          (await m.webhookEvents.get()).values.filter((v) => v.labels.outcome !== 'failed').reduce((n, v) => n + v.value, 0),
        ),
      );
      expect(
        appliedBy.every((n) => n > 0),
        `both appliers took part: ${appliedBy}`,
      ).toBe(true);
      expect(appliedBy[0]! + appliedBy[1]!).toBe(events.length);
      expect(await duplicateRows(fresh.db)).toEqual({ payments: 0, sessions: 0, statusChanges: 0, events: 0 });
      expect(await domainSnapshot(fresh.db)).toEqual(reference);
    } finally {
      for (const pool of pools) await pool.close();
      await fresh.close();
    }
  }, 120_000);

  it('an event that waits on a lock another transaction holds is put back, and drain returns only once it is applied', async () => {
    await resetData(t.database.db);
    expect((await post(inboxOnlyApp(t), gift('locked'))).status).toBe(200);
    // A clock that stands still, as in tests: the event put back must still come due.
    const fixed = new Date();
    const applier = applierOn(() => fixed);
    let released = 0;
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    // Another session holds the payments table longer than the applier waits for a lock (50 ms), several times over.
    const holder = t.database.db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE payments IN EXCLUSIVE MODE`.execute(trx);
      locked();
      await new Promise((resolve) => setTimeout(resolve, 400));
      released = Date.now();
    });
    await holding;
    await applier.drain();
    const drained = Date.now();
    await holder;
    expect(released).toBeGreaterThan(0);
    expect(drained).toBeGreaterThanOrEqual(released);
    expect((await status('evt_locked')).status).toBe('applied');
    expect(await t.database.db.selectFrom('payments').select('source_id').execute()).toEqual([{ source_id: 'cs_locked' }]);
    await applier.stop();
  });

  it('an event stored by one instance wakes the applier of another at once (LISTEN/NOTIFY)', async () => {
    await resetData(t.database.db);
    const other = await openDatabase({ databaseUrl: t.database.url!, poolSize: 3 });
    const applier = createWebhookApplier({ db: other.db, logger: silent, metrics: createMetrics(other.poolStats), pollMs: 0 });
    let woken = 0;
    const stop = await other.listen(INBOX_CHANNEL, () => {
      woken++;
      applier.wake();
    });
    try {
      const deadline = Date.now() + 5_000;
      while (woken === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10)); // the first wake follows LISTEN
      const before = woken;
      expect((await post(inboxOnlyApp(t), gift('notified'))).status).toBe(200);
      while ((await status('evt_notified')).status !== 'applied' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect((await status('evt_notified')).status).toBe('applied');
      expect(woken).toBeGreaterThan(before);
    } finally {
      await stop();
      await applier.stop();
      await other.close();
    }
  });
});
