import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/ops/metrics.js';
import { storeEvent } from '../src/webhooks/event-inbox.repository.js';
import { createWebhookApplier } from '../src/webhooks/webhook-applier.js';
import { createBenchDatabase } from './lib/bench-database.js';
import { assertRunning, startServer } from './lib/child-process.js';
import { closedLoop, httpLoad, type LoadResult } from './lib/load.js';
import { describeCpu, foreignShare, sampleRss, startCpuMeter } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import { capture, type CapturedQuery } from './lib/reports-floor.js';
import { BENCH_PUBLIC_URL, settings } from './lib/settings.js';
import { describeLatency } from './lib/stats.js';
import { BENCH_WEBHOOK_SECRET, type BenchEvent, buildEvents, EVENT_MIX_DESCRIPTION, signPayload } from './lib/webhook-events.js';

/*
 * POST /webhooks/stripe and the applier behind it, on real Postgres, the server compiled as `npm start` runs it.
 *  Acknowledgement: autocannon delivers BENCH_EVENTS events of the bench mix over 32 keep-alive connections, each
 *    signed as Stripe signs it, while the server's applier works through them as in production.
 *    Floor: a bare `pg` pool of 32 connections running, for the same events, the statement storeEvent compiles to.
 *  End to end: from the first delivery until the inbox holds nothing pending.
 *    Floor: the SQL the applier ran for the same events, captured from the code with Kysely's query log in a first
 *    pass and replayed in the same transactions on one bare connection (see replayBatches).
 * Every phase starts from an emptied database; the service must leave the same rows as the replayed floor.
 */

const TARGET_ACK_RATE = 2_000;
const TARGET_ACK_RATIO = 0.5;
const TARGET_P99_MS = 50;
const TARGET_E2E_RATE = 1_000;
const TARGET_RSS_MB = 200;

/** The statement storeEvent issues for each event, compiled by Kysely, never retyped. */
async function storeStatements(events: BenchEvent[]): Promise<CapturedQuery[]> {
  const statements: CapturedQuery[] = [];
  for (const e of events) {
    const event = {
      id: e.id,
      type: e.type,
      created: new Date(e.created * 1000),
      livemode: e.livemode,
      api_version: e.apiVersion,
      payload: e.payload,
      hold_reason: null,
    };
    statements.push(...(await capture((db) => storeEvent(db, event))));
  }
  return statements;
}

/** Applies the stored events with the real applier on a Kysely whose query log records every statement, batch by batch. */
async function recordApplier(url: string): Promise<CapturedQuery[][]> {
  const batches: CapturedQuery[][] = [];
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      const statement = { sql: event.query.sql, parameters: [...event.query.parameters] };
      // Each batch's transaction opens with the claim.
      if (/for update skip locked/i.test(statement.sql)) batches.push([]);
      batches.at(-1)?.push(statement);
    },
  });
  const applier = createWebhookApplier({
    db,
    logger: createLogger('silent'),
    metrics: createMetrics(() => ({ total: 1, idle: 0, waiting: 0 })),
    pollMs: 0,
  });
  await applier.drain();
  await applier.stop();
  await db.destroy();
  return batches.filter((batch) => batch.length > 1); // the last claim found nothing
}

/**
 * The recorded transactions replayed in order on one bare connection (claims left out: each transaction's events
 * are fixed by the recording). In parallel they would not replay: ids handed out in another order no longer match
 * the recorded parameters. So this floor is one batch at a time; the applier runs WEBHOOK_APPLIER_CONCURRENCY.
 */
async function replayBatches(url: string, batches: CapturedQuery[][]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  for (const batch of batches) {
    await client.query('BEGIN');
    for (const q of batch.slice(1)) await client.query(q.sql, q.parameters);
    await client.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  await client.end();
  return seconds;
}

const line = (what: string, r: LoadResult) =>
  `${what}: ${r.rate.toFixed(0)}/s, ${r.requests.toLocaleString('en-US')} in ${r.seconds.toFixed(1)} s; ${describeLatency(r.latency)}; errors ${r.errors}`;

export async function runWebhooksBench(): Promise<BenchRow[]> {
  const { concurrency, webhookEvents: n } = settings;
  const db = await createBenchDatabase();
  progress(`webhooks: database ${db.name}; ${n.toLocaleString('en-US')} events at ${concurrency} connections`);
  try {
    const events = buildEvents(0, n);
    const stores = await storeStatements(events);
    const pool = new pg.Pool({ connectionString: db.url, max: concurrency });

    // --- floors -------------------------------------------------------------------------------------------
    await db.reset();
    progress('webhooks: acknowledgement floor (bare pg, the INSERT storeEvent compiles to)');
    const ackMeter = startCpuMeter({ database: db.name });
    const ackFloor = await closedLoop(concurrency, stores.length, (i) => pool.query(stores[i]!.sql, stores[i]!.parameters));
    const ackFloorCpu = ackMeter();
    await pool.end();
    progress("webhooks: recording the applier's SQL (Kysely query log)");
    const batches = await recordApplier(db.url);
    await db.reset();
    const refill = new pg.Pool({ connectionString: db.url, max: concurrency });
    await closedLoop(concurrency, stores.length, (i) => refill.query(stores[i]!.sql, stores[i]!.parameters));
    await refill.end();
    progress(`webhooks: end-to-end floor (${batches.length} recorded transactions replayed on one connection)`);
    const e2eFloorSeconds = await replayBatches(db.url, batches);
    const floorRows = await db.counts();

    // --- service --------------------------------------------------------------------------------------------
    await db.reset();
    const server = await startServer(
      { DATABASE_URL: db.url, STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET, PUBLIC_URL: BENCH_PUBLIC_URL },
      'compiled',
    );
    let ack: LoadResult;
    let e2eSeconds: number;
    let rss: { peakMb: number; lastMb: number };
    let cpu: ReturnType<ReturnType<typeof startCpuMeter>>;
    try {
      progress('webhooks: service (compiled server, autocannon)');
      const signatures = events.map((e) => signPayload(e.payload));
      const rssOf = sampleRss(server.pid);
      const meter = startCpuMeter({ serverPid: server.pid, database: db.name });
      const started = performance.now();
      ack = await httpLoad({
        port: server.port,
        connections: concurrency,
        amount: n,
        expectStatus: 200,
        request: (i) => ({
          method: 'POST',
          path: '/webhooks/stripe',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signatures[i % n]!,
            'user-agent': 'Stripe/1.0',
          },
          body: events[i % n]!.payload,
        }),
      });
      await db.waitForInbox();
      e2eSeconds = (performance.now() - started) / 1000;
      cpu = meter();
      rss = rssOf();
      assertRunning(server, 'the server');
    } finally {
      await server.stop();
    }
    const serviceRows = await db.counts();
    const differing = Object.keys({ ...floorRows, ...serviceRows }).filter((t) => floorRows[t] !== serviceRows[t]);

    // --- report ---------------------------------------------------------------------------------------------
    const e2eFloor = n / e2eFloorSeconds;
    const e2e = n / e2eSeconds;
    console.log(`\n## webhooks — ${n.toLocaleString('en-US')} events, ${concurrency} connections, compiled server`);
    console.log(`mix: ${EVENT_MIX_DESCRIPTION}; ${batches.length} applier transactions`);
    console.log(line('acknowledged (service)', ack));
    console.log(line('acknowledgement floor (bare pg INSERT)', ackFloor));
    console.log(
      `end to end: service ${e2e.toFixed(0)} events/s (${e2eSeconds.toFixed(1)} s), floor ${e2eFloor.toFixed(0)} events/s (${e2eFloorSeconds.toFixed(1)} s)`,
    );
    console.log(`  ${describeCpu(cpu, n, 'event')}`);
    console.log(`  floor CPU: ${describeCpu(ackFloorCpu, n, 'event', 'bare-pg floor')}`);
    console.log(`server RSS: peak ${rss.peakMb.toFixed(0)} MB, at end ${rss.lastMb.toFixed(0)} MB`);
    console.log(
      `rows: ${differing.length === 0 ? 'service = floor in every table' : `DIFFER in ${differing.map((t) => `${t} (floor ${floorRows[t]}, service ${serviceRows[t]})`).join(', ')}`}`,
    );

    const ratio = ack.rate / ackFloor.rate;
    return [
      {
        bench: 'webhooks',
        metric: 'acknowledged events/s',
        unit: '/s',
        value: ack.rate,
        floor: ackFloor.rate,
        ratio,
        target: `≥ ${TARGET_ACK_RATE.toLocaleString('en-US')}/s and ≥ ${TARGET_ACK_RATIO}× floor`,
        pass: ack.rate >= TARGET_ACK_RATE && ratio >= TARGET_ACK_RATIO,
      },
      {
        bench: 'webhooks',
        metric: 'acknowledgement p99',
        unit: 'ms',
        value: ack.latency.p99,
        floor: ackFloor.latency.p99,
        ratio: ack.latency.p99 / ackFloor.latency.p99,
        target: `< ${TARGET_P99_MS} ms`,
        pass: ack.latency.p99 < TARGET_P99_MS,
      },
      {
        bench: 'webhooks',
        metric: 'end to end events/s',
        unit: '/s',
        value: e2e,
        floor: e2eFloor,
        ratio: e2e / e2eFloor,
        target: `≥ ${TARGET_E2E_RATE.toLocaleString('en-US')}/s`,
        pass: e2e >= TARGET_E2E_RATE,
      },
      {
        bench: 'webhooks',
        metric: 'server RSS peak (compiled)',
        unit: 'MB',
        value: rss.peakMb,
        target: `< ${TARGET_RSS_MB} MB`,
        pass: rss.peakMb < TARGET_RSS_MB,
      },
      { bench: 'webhooks', metric: 'failed deliveries', unit: 'count', value: ack.errors, target: '0', pass: ack.errors === 0 },
      {
        bench: 'webhooks',
        metric: 'tables differing from the floor',
        unit: 'count',
        value: differing.length,
        target: '0',
        pass: differing.length === 0,
      },
      {
        bench: 'webhooks',
        metric: 'CPU taken by other processes',
        unit: '%',
        value: foreignShare(cpu),
        target: '≈ 0 for valid figures',
        pass: undefined,
      },
    ];
  } finally {
    await db.drop();
  }
}

if (isMainModule(import.meta.url)) runAsScript(runWebhooksBench);
