/**
 * The server process killed or stopped in the middle of a webhook load (hardening issue, point 3).
 *
 * SIGKILL: the real server (src/server.ts as a child process) takes a load of ~300 distinct signed
 * events with 8 in flight and is killed with SIGKILL part-way. It is restarted on the same
 * database and, as Stripe does, every event that did not get a 200 is delivered again, plus a
 * random sample of acknowledged ones (Stripe may redeliver those too). Then every event is stored
 * exactly once, nothing acknowledged is missing, no payment is recorded twice, and the domain state
 * equals that of a reference database that received every event once, in order.
 * On a fresh Postgres database with DATABASE_URL; on the embedded database (DATA_DIR) without.
 *
 * SIGTERM: the same load, stopped gracefully part-way: the process exits 0, every acknowledged
 * event is stored, and after a restart and the redeliveries the state is complete. (On the
 * embedded database server-process.test.ts shows the basic case; here it runs on Postgres.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../../src/db/create-database.js';
import {
  type DeliveryOutcome,
  deliverConcurrently,
  createFreshPostgresDatabase,
  type FreshDatabase,
  freePort,
  postEvent,
  type ServerProcess,
  seededShuffle,
  spawnServer,
  stopServer,
  waitForInboxDrained,
  waitForReady,
} from '../../helpers/hardening-server.js';
import { domainSnapshot, type DomainSnapshot, duplicateRows, loadHistory, seededRandom } from '../../helpers/hardening-history.js';
import { createTestApp } from '../../helpers/test-app.js';
import { deliver } from '../../helpers/webhook-delivery.js';

const SECRET = 'whsec_process_faults';
const EVENTS = Number(process.env.HARDENING_LOAD_EVENTS ?? 300);
const onPostgres = Boolean(process.env.DATABASE_URL);

let events: Stripe.Event[];
let reference: DomainSnapshot;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  events = loadHistory({ minEvents: EVENTS, seed: 20_261_128 });
  // The reference: every event once, in the order Stripe created them, one at a time.
  const ref = await createTestApp();
  try {
    for (const event of events) {
      const res = await deliver(ref.app, event);
      if (res.status !== 200) throw new Error(`reference ${event.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    reference = await domainSnapshot(ref.database.db);
  } finally {
    await ref.close();
  }
  expect(reference.stripe_events).toHaveLength(events.length);
  expect(reference.payments.length).toBeGreaterThan(50);
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/** Where one test's server keeps its data: a fresh Postgres database, or an embedded one in a folder. */
async function serverDatabase(): Promise<{ env: Record<string, string>; open(): Promise<DatabaseHandle> }> {
  if (onPostgres) {
    const fresh: FreshDatabase = await createFreshPostgresDatabase('favour_faults');
    cleanups.push(() => fresh.drop());
    return { env: { DATABASE_URL: fresh.url }, open: () => openDatabase({ databaseUrl: fresh.url }) };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'favour-faults-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  return { env: { DATA_DIR: dataDir }, open: () => openDatabase({ databaseUrl: undefined, dataDir }) };
}

/**
 * Connections kept alive by a client that was mid-request at SIGTERM are only closed when the
 * shutdown timeout runs out (server.ts closes idle connections once, at the signal), so a stop
 * takes SHUTDOWN_TIMEOUT_MS: 3 s here rather than the default 10 s.
 */
async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = spawnServer(await freePort(), {
    STRIPE_WEBHOOK_SECRET: SECRET,
    RATE_LIMIT_EVENTS_IP: 'off',
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...env,
  });
  cleanups.push(() => stopServer(server));
  await waitForReady(server);
  return server;
}

/** Stripe's redelivery: every unacknowledged event again, plus a sample of acknowledged ones, shuffled. */
async function redeliver(server: ServerProcess, first: DeliveryOutcome[], seed: number): Promise<DeliveryOutcome[]> {
  const random = seededRandom(seed);
  const byId = new Map(events.map((e) => [e.id, e]));
  const again = first.filter((o) => o.status !== 200 || random() < 0.2).map((o) => byId.get(o.id)!);
  const outcomes = await deliverConcurrently(seededShuffle(again, seed), (e) => postEvent(server.base, e, SECRET), 8);
  for (const o of outcomes) expect(o.status, `redelivery of ${o.id}: ${JSON.stringify(o.body)}`).toBe(200);
  // An event acknowledged before the crash is a duplicate now: it was committed before its 200.
  const acknowledged = new Set(first.filter((o) => o.status === 200).map((o) => o.id));
  for (const o of outcomes) if (acknowledged.has(o.id)) expect(o.body?.duplicate, `${o.id} was acknowledged, so stored`).toBe(true);
  return outcomes;
}

async function expectStored(open: () => Promise<DatabaseHandle>, acknowledged: string[]): Promise<void> {
  const database = await open();
  try {
    const stored = new Set((await database.db.selectFrom('stripe_events').select('id').execute()).map((r) => r.id));
    expect(
      acknowledged.filter((id) => !stored.has(id)),
      'acknowledged events missing',
    ).toEqual([]);
  } finally {
    await database.close();
  }
}

async function expectCompleteState(open: () => Promise<DatabaseHandle>, acknowledged: string[]): Promise<void> {
  const database = await open();
  try {
    const stored = new Set((await database.db.selectFrom('stripe_events').select('id').execute()).map((r) => r.id));
    expect(
      acknowledged.filter((id) => !stored.has(id)),
      'acknowledged events missing',
    ).toEqual([]);
    expect(stored.size).toBe(events.length);
    expect(await duplicateRows(database.db)).toEqual({ payments: 0, sessions: 0, statusChanges: 0, events: 0 });
    const state = await domainSnapshot(database.db);
    expect(state.stripe_events).toEqual(reference.stripe_events);
    expect(state).toEqual(reference);
  } finally {
    await database.close();
  }
}

describe(`the server process under a webhook load (${onPostgres ? 'Postgres' : 'embedded database'})`, () => {
  it('killed with SIGKILL mid-load, restarted and sent the unacknowledged events again: every event applied exactly once, nothing missing', async () => {
    const database = await serverDatabase();
    let server = await start(database.env);
    const killAfter = Math.floor(events.length * 0.4);
    let killed = false;
    const first = await deliverConcurrently(
      events,
      (e) => postEvent(server.base, e, SECRET),
      8,
      (_outcome, done) => {
        if (!killed && done >= killAfter) {
          killed = true;
          server.child.kill('SIGKILL'); // with 7 more deliveries in flight
        }
      },
    );
    await server.exited;
    expect(server.child.signalCode).toBe('SIGKILL');
    const acknowledged = first.filter((o) => o.status === 200).map((o) => o.id);
    const unacknowledged = first.filter((o) => o.status !== 200);
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter - 1);
    expect(unacknowledged.length, 'the kill must leave some events unacknowledged').toBeGreaterThan(0);
    // Nothing but 200 before the kill and dropped connections after it: no 5xx under load.
    expect(first.filter((o) => o.status !== 200 && o.status !== null)).toEqual([]);
    // Straight after the crash, before anything is sent again: every acknowledged event survived.
    await expectStored(database.open, acknowledged);

    server = await start(database.env);
    await redeliver(server, first, 1);
    await waitForInboxDrained(server);
    if (!onPostgres) await stopServer(server, 'SIGTERM'); // the embedded database admits one process
    await expectCompleteState(database.open, acknowledged);
    await stopServer(server, 'SIGTERM');
  }, 180_000);

  it.runIf(onPostgres)(
    'stopped with SIGTERM during a heavier load: exits 0, loses no acknowledged event, and completes after redelivery',
    async () => {
      const database = await serverDatabase();
      let server = await start(database.env);
      const stopAfter = Math.floor(events.length * 0.3);
      let stopping = false;
      const first = await deliverConcurrently(
        events,
        (e) => postEvent(server.base, e, SECRET),
        16,
        (_outcome, done) => {
          if (!stopping && done >= stopAfter) {
            stopping = true;
            server.child.kill('SIGTERM'); // with 15 more deliveries in flight
          }
        },
      );
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('"msg":"stopped"');
      const acknowledged = first.filter((o) => o.status === 200).map((o) => o.id);
      expect(acknowledged.length).toBeGreaterThanOrEqual(stopAfter);
      // Requests in flight at the signal were finished, not cut: a refused connection is the only
      // other outcome (status null), never an error answer.
      expect(first.filter((o) => o.status !== 200 && o.status !== null)).toEqual([]);

      // Every acknowledged event is in the database before anything is sent again.
      await expectStored(database.open, acknowledged);

      server = await start(database.env);
      await redeliver(server, first, 2);
      await waitForInboxDrained(server);
      await expectCompleteState(database.open, acknowledged);
      await stopServer(server, 'SIGTERM');
    },
    180_000,
  );
});
