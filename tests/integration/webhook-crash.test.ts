/**
 * Outbound webhooks survive their sender being killed mid-delivery: the real server process (embedded database under
 * a temporary DATA_DIR) delivers to a real HTTP receiver here, which holds the requests without answering; the process
 * is killed (SIGKILL, no shutdown) while it waits. After a restart on the same data, every message queued before the
 * kill arrives with its original webhook-id: those never sent at once, those in flight once the dead instance's lease
 * (WEBHOOKS_LEASE_SECONDS, 12 s here instead of 60) has run out. None is lost: the ids the receiver got are exactly
 * those of webhook_messages.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/create-database.js';
import { createWebhookEndpointService } from '../../src/outbound-webhooks/webhook-endpoint.service.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import { exited, killHard, postWebhook, type ServerProcess, serversOnOneDataDir, until, within } from '../helpers/server-process.js';
import { startReceiver, type TestReceiver } from '../helpers/http-receiver.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';

const SECRET = 'whsec_webhook_crash_test';
const LEASE_SECONDS = 12;
const servers = serversOnOneDataDir('favour-webhook-crash-', () => ({
  STRIPE_WEBHOOK_SECRET: SECRET,
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_LEASE_SECONDS: String(LEASE_SECONDS),
}));
const start = servers.start;
const dataDir = servers.dataDir;

let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await servers.killAll();
  await receiver?.close();
  servers.removeDataDir();
});

/** SIGTERM, and its clean exit. */
async function stop(server: ServerProcess): Promise<void> {
  const stopped = exited(server.child);
  server.child.kill('SIGTERM');
  expect(await within(10_000, 'the server stopping on SIGTERM', stopped), server.output()).toBe(0);
}

/** The embedded database, opened here while no server runs. */
async function withDatabase<T>(fn: (database: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** What /metrics counts of the outbound webhooks. */
async function outbound(base: string): Promise<{ pending: number; failed: number } | null> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  const counts = { pending: gauge('favour_outbound_webhooks_pending'), failed: gauge('favour_outbound_webhooks_failed') };
  return Number.isNaN(counts.pending) ? null : counts;
}

const timesReceived = (id: string) => receiver.received.filter((r) => r.id === id).length;

describe('outbound webhooks whose sender is killed mid-delivery', () => {
  it('are all delivered after a restart, with their original webhook-ids, none lost', async () => {
    // 1. A first start creates the demo publication; stopped, its database takes an endpoint for the receiver.
    const first = await start();
    await stop(first.server);
    const secret = await withDatabase(async ({ db }) => {
      const demo = await findPublicationBySlug(db, 'demo');
      expect(demo).toBeDefined();
      const service = createWebhookEndpointService({ db, policy: { allowPrivate: true, requireHttps: false }, now: () => new Date() });
      return (await service.add(demo!, { url: receiver.url('/crm'), description: 'crash test' })).secret;
    });

    // 2. Two readers give: four messages (supporter.created and payment.succeeded each). The receiver holds what it
    // gets, so two are in flight (at most two at once to one endpoint) and two wait behind them.
    receiver.hold(true);
    const second = await start();
    const now = Math.floor(Date.now() / 1000);
    for (const n of [1, 2]) {
      const gift = stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: `cs_wh_crash_${n}`, publication: 'demo', email: `crash${n}@example.com`, name: `Reader ${n}`, created: now }),
        { id: `evt_wh_crash_${n}`, created: now },
      );
      expect((await postWebhook(second.base, gift, SECRET)).status).toBe(200);
    }
    await until(10_000, 'two deliveries held by the receiver', () => receiver.received.length >= 2);
    await until(5_000, 'four deliveries queued', async () => (await outbound(second.base))?.pending === 4);

    // 3. Killed while the receiver holds its requests: nothing was answered, nothing recorded as delivered.
    await killHard(second.server.child);
    expect(second.server.child.signalCode).toBe('SIGKILL');
    const inFlight = receiver.received.map((r) => r.id);
    expect(inFlight).toHaveLength(2);
    const heldAt = Math.min(...receiver.received.map((r) => r.at));

    // 4. Restarted on the same data, the receiver answering again: what never went out goes at once; what was in
    // flight once the dead instance's lease has run out. Each keeps its webhook-id.
    receiver.hold(false);
    const third = await start();
    const restartedAt = Date.now();
    await until(
      15_000,
      'the messages queued before the kill, after the restart',
      () => new Set(receiver.received.map((r) => r.id)).size >= 4,
    );
    const waited = receiver.received.slice(2).filter((r) => !inFlight.includes(r.id));
    expect(waited).toHaveLength(2);
    for (const r of waited) expect(r.at - restartedAt).toBeLessThan(8_000);
    await until((LEASE_SECONDS + 10) * 1000, 'the deliveries in flight at the kill, again', () =>
      inFlight.every((id) => timesReceived(id) >= 2),
    );
    for (const id of inFlight) {
      const again = receiver.received.filter((r) => r.id === id)[1]!;
      expect(again.at - heldAt).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500); // not before the lease ran out
    }
    await until(5_000, 'nothing left pending', async () => (await outbound(third.base))?.pending === 0);

    // Every request, the held ones too, was signed with the endpoint's secret.
    for (const r of receiver.received) expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();

    // 5. Stopped cleanly, the database agrees: the receiver got exactly its messages, each delivered, with one
    // attempt per request the receiver saw (two for those in flight at the kill).
    await stop(third.server);
    await withDatabase(async ({ db }) => {
      const messages = await db.selectFrom('webhook_messages').select(['webhook_id', 'type']).execute();
      expect(messages).toHaveLength(4);
      expect(messages.map((m) => m.type).sort()).toEqual([
        'payment.succeeded',
        'payment.succeeded',
        'supporter.created',
        'supporter.created',
      ]);
      expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(messages.map((m) => m.webhook_id)));
      const deliveries = await db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
        .select(['m.webhook_id', 'd.status', 'd.attempts'])
        .execute();
      expect(deliveries).toHaveLength(4);
      for (const d of deliveries) {
        expect(d.status).toBe('delivered');
        expect(d.attempts).toBe(timesReceived(d.webhook_id));
        expect(d.attempts).toBe(inFlight.includes(d.webhook_id) ? 2 : 1);
      }
    });
  }, 120_000);
});
