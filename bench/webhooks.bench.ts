import type http from 'node:http';
import { type BenchDatabase, createBenchDatabase } from './lib/bench-database.js';
import { assertRunning, type ServerChild, type ServerRuntime, startServer } from './lib/child-process.js';
import { keepAliveAgent, type LoadRequest, runLoad } from './lib/http-load.js';
import { describeCpu, foreignShare, sampleRss, startCpuMeter, statusMb } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import { BENCH_PUBLIC_URL, settings } from './lib/settings.js';
import { type Measured, SliceAccumulator } from './lib/slices.js';
import { describeLatency } from './lib/stats.js';
import { BENCH_WEBHOOK_SECRET, type BenchEvent, buildEvents, EVENT_MIX_DESCRIPTION, signPayload } from './lib/webhook-events.js';
import { floorPool, runFloor } from './lib/webhook-floor.js';

/*
 * POST /webhooks/stripe against real Postgres.
 *  1. Warm-ups: the floor (a bare pg script doing the handlers' statements) applies the first events to the fresh
 *     database; the tables are emptied and the real server (`node --import tsx src/server.ts`, a child process)
 *     gets the same events, signed as Stripe signs them, over keep-alive HTTP. Both must leave the same rows.
 *  2. Measurement: floor and service alternate in slices (BENCH_ROUNDS, default 3 × 5 s each) on the same
 *     database, each slice with new events, so both see the same background load on a shared machine.
 *  3. The server compiled to JS, as `npm start` runs it, gets a warm-up and one phase of its own, for its memory
 *     (BENCH_COMPILED=0 skips it).
 */

const TARGET_RATE = 2_000;
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 200;
const WARMUP_TIME_LIMIT_MS = 60_000;

const SERVER_ENV = (db: BenchDatabase) => ({ DATABASE_URL: db.url, STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET, PUBLIC_URL: BENCH_PUBLIC_URL });

function differences(a: Record<string, number>, b: Record<string, number>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${k}: floor ${a[k] ?? 0}, service ${b[k] ?? 0}`);
}

/** Deliveries of these events as Stripe makes them, signed now (Stripe's tolerance is 300 s). */
function deliveries(events: BenchEvent[]): (i: number) => LoadRequest {
  const signatures = events.map((e) => signPayload(e.payload));
  return (i) => {
    const e = events[i]!;
    return {
      method: 'POST',
      path: '/webhooks/stripe',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': signatures[i]!,
      },
      body: e.payload,
      bodyBytes: e.payloadBytes,
    };
  };
}

async function deliverAll(server: ServerChild, agent: http.Agent, events: BenchEvent[], maxDurationMs: number) {
  return runLoad({
    port: server.port,
    agent,
    concurrency: settings.concurrency,
    total: events.length,
    request: deliveries(events),
    expectStatus: 200,
    maxDurationMs,
  });
}

interface ServiceFigures {
  runtime: ServerRuntime;
  measured: Measured;
  warmupFailures: number;
  rssIdleMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  rssLifetimePeakMb: number;
}

function printService(s: ServiceFigures): void {
  const m = s.measured;
  console.log(
    `service (${s.runtime}): ${m.rate.toFixed(0)} events/s, ${m.completed.toLocaleString('en-US')} events in ${(m.durationMs / 1000).toFixed(1)} s ` +
      `(${m.slices} slice${m.slices === 1 ? '' : 's'}); ${describeLatency(m.latency)}; statuses ${JSON.stringify(m.statuses)}`,
  );
  console.log(`  ${describeCpu(m.cpu, m.completed, 'event')}`);
  console.log(
    `  server RSS: idle ${s.rssIdleMb.toFixed(0)} MB, peak under load ${s.rssPeakMb.toFixed(0)} MB, at end ${s.rssEndMb.toFixed(0)} MB, ` +
      `lifetime high-water ${s.rssLifetimePeakMb.toFixed(0)} MB`,
  );
  for (const sample of m.errorSamples) console.log(`  error sample: ${sample}`);
}

/** The compiled server alone: warm-up, then one measured phase, mainly for its RSS in the production form. */
async function measureCompiled(db: BenchDatabase): Promise<ServiceFigures> {
  const { webhookEvents: n, webhookWarmup: warmup, maxPhaseMs, concurrency } = settings;
  await db.reset();
  progress('webhooks: starting the compiled server (src/ transpiled to JS, as npm start runs it)');
  const server = await startServer(SERVER_ENV(db), 'compiled');
  const agent = keepAliveAgent(concurrency);
  try {
    const rssIdleMb = statusMb(server.pid, 'VmRSS') ?? Number.NaN;
    let warmupFailures = 0;
    if (warmup > 0) {
      progress('webhooks: compiled server warm-up');
      const w = await deliverAll(server, agent, buildEvents(0, warmup), WARMUP_TIME_LIMIT_MS);
      warmupFailures = w.errors + (warmup - w.completed);
    }
    progress('webhooks: compiled server measuring');
    const events = buildEvents(Math.ceil(warmup / 10) * 10, n);
    const rss = sampleRss(server.pid);
    const meter = startCpuMeter({ serverPid: server.pid, database: db.name });
    const result = await deliverAll(server, agent, events, maxPhaseMs);
    const acc = new SliceAccumulator();
    acc.add(result, meter());
    const rssRun = rss();
    assertRunning(server, 'the compiled server');
    return {
      runtime: 'compiled',
      measured: acc.result(),
      warmupFailures,
      rssIdleMb,
      rssPeakMb: rssRun.peakMb,
      rssEndMb: rssRun.lastMb,
      rssLifetimePeakMb: statusMb(server.pid, 'VmHWM') ?? Number.NaN,
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

export async function runWebhooksBench(): Promise<BenchRow[]> {
  const { concurrency, webhookEvents: n, webhookWarmup: warmup, maxPhaseMs, rounds } = settings;
  const sliceMs = maxPhaseMs / rounds;
  const perSlice = Math.ceil(n / rounds / 10) * 10; // whole blocks of the mix
  progress(
    `webhooks: ${warmup.toLocaleString('en-US')} warm-up events, then floor and service alternate ${rounds} × ` +
      `(up to ${perSlice.toLocaleString('en-US')} events or ${(sliceMs / 1000).toFixed(1)} s) at ${concurrency} concurrent connections`,
  );
  const db = await createBenchDatabase();
  progress(`webhooks: database ${db.name} created, migrated, demo publication seeded`);
  try {
    const warmupEvents = buildEvents(0, warmup);
    const meanBytes = warmupEvents.concat(buildEvents(warmup, 100)).reduce((sum, e) => sum + e.payloadBytes, 0) / (warmup + 100);
    const pool = floorPool(db.url, concurrency);
    const agent = keepAliveAgent(concurrency);
    let server: ServerChild | undefined;
    const floorAcc = new SliceAccumulator();
    const serviceAcc = new SliceAccumulator();
    let service: ServiceFigures;
    let floorWarmup: { counts: Record<string, number>; outcomes: Record<string, number> };
    let serviceWarmup: { counts: Record<string, number>; outcomes: Record<string, number> };
    try {
      // --- warm-ups, and the check that floor and service do the same work --------------------------------
      await db.reset();
      progress('webhooks: floor (bare pg) warm-up');
      if (warmup > 0) await runFloor(pool, warmupEvents, 0, warmup, concurrency, WARMUP_TIME_LIMIT_MS);
      floorWarmup = { counts: await db.counts(), outcomes: await db.eventOutcomes() };
      await db.reset();
      progress('webhooks: starting the server (node --import tsx src/server.ts)');
      server = await startServer(SERVER_ENV(db), 'tsx');
      const rssIdleMb = statusMb(server.pid, 'VmRSS') ?? Number.NaN;
      progress('webhooks: service warm-up');
      let warmupFailures = 0;
      if (warmup > 0) {
        const w = await deliverAll(server, agent, warmupEvents, WARMUP_TIME_LIMIT_MS);
        warmupFailures = w.errors + (warmup - w.completed);
        if (w.errors > 0) progress(`webhooks: ${w.errors} warm-up deliveries failed, e.g. ${w.errorSamples[0]}`);
      }
      assertRunning(server, 'the server');
      serviceWarmup = { counts: await db.counts(), outcomes: await db.eventOutcomes() };

      // --- measured: floor and service in alternating slices, new events each --------------------------
      let cursor = Math.ceil(warmup / 10) * 10;
      let rssPeakMb = 0;
      let rssEndMb = Number.NaN;
      for (let round = 1; round <= rounds; round++) {
        progress(`webhooks: round ${round}/${rounds}: floor`);
        const floorEvents = buildEvents(cursor, perSlice);
        cursor += perSlice;
        const floorMeter = startCpuMeter({ database: db.name });
        floorAcc.add(await runFloor(pool, floorEvents, 0, floorEvents.length, concurrency, sliceMs), floorMeter());

        progress(`webhooks: round ${round}/${rounds}: service`);
        const serviceEvents = buildEvents(cursor, perSlice);
        cursor += perSlice;
        const rss = sampleRss(server.pid);
        const serviceMeter = startCpuMeter({ serverPid: server.pid, database: db.name });
        const slice = await deliverAll(server, agent, serviceEvents, sliceMs);
        serviceAcc.add(slice, serviceMeter());
        const rssRun = rss();
        rssPeakMb = Math.max(rssPeakMb, rssRun.peakMb);
        rssEndMb = rssRun.lastMb;
        assertRunning(server, 'the server');
      }
      service = {
        runtime: 'tsx',
        measured: serviceAcc.result(),
        warmupFailures,
        rssIdleMb,
        rssPeakMb,
        rssEndMb,
        rssLifetimePeakMb: statusMb(server.pid, 'VmHWM') ?? Number.NaN,
      };
    } finally {
      agent.destroy();
      await pool.end();
      await server?.stop();
      if (server?.output().trim()) progress(`webhooks: server output:\n${server.output().trim().slice(-2_000)}`);
    }
    const floor = floorAcc.result();
    const compiled = settings.compiledRun ? await measureCompiled(db) : undefined;

    // --- details ------------------------------------------------------------------------------------------
    const rowDiff = differences(floorWarmup.counts, serviceWarmup.counts);
    const outcomeDiff = differences(floorWarmup.outcomes, serviceWarmup.outcomes);
    console.log(
      `\n## webhooks — POST /webhooks/stripe, ${concurrency} connections; ${warmup.toLocaleString('en-US')} warm-up events, then floor and service ` +
        `alternating ${rounds} × (≤ ${perSlice.toLocaleString('en-US')} events or ${(sliceMs / 1000).toFixed(1)} s)`,
    );
    console.log(`mix: ${EVENT_MIX_DESCRIPTION}; mean payload ${(meanBytes / 1024).toFixed(1)} kB`);
    printService(service);
    if (compiled) printService(compiled);
    console.log(
      `floor (bare pg, same statements): ${floor.rate.toFixed(0)} events/s, ${floor.completed.toLocaleString('en-US')} events in ` +
        `${(floor.durationMs / 1000).toFixed(1)} s (${floor.slices} slices); ${describeLatency(floor.latency)}; errors ${floor.errors}`,
    );
    console.log(`  ${describeCpu(floor.cpu, floor.completed, 'event', 'bare-pg floor')}`);
    for (const sample of floor.errorSamples) console.log(`  error sample: ${sample}`);
    console.log(`rows after warm-up (service): ${JSON.stringify(serviceWarmup.counts)}`);
    console.log(`event outcomes after warm-up (service): ${JSON.stringify(serviceWarmup.outcomes)}`);
    if (warmup === 0) console.log('check: skipped (no warm-up)');
    else if (rowDiff.length === 0) {
      console.log(`check: after the warm-up, service and floor hold identical row counts${outcomeDiff.length ? '' : ' and event outcomes'} (rollups sharded by backend pid not compared)`);
    } else console.log(`check: service and floor rows DIFFER after the same events: ${rowDiff.join('; ')}`);
    // A refund racing the gift it refunds may be 'stored' on one side and 'applied' on the other: timing, not a fault.
    if (outcomeDiff.length) console.log(`  event outcomes differ (timing of concurrent refunds): ${outcomeDiff.join('; ')}`);

    // --- rows ---------------------------------------------------------------------------------------------
    const s = service.measured;
    const ratio = s.rate / floor.rate;
    const failures = s.errors + service.warmupFailures + (compiled ? compiled.measured.errors + compiled.warmupFailures : 0);
    const rows: BenchRow[] = [
      { bench: 'webhooks', metric: 'events/s', unit: '/s', value: s.rate, floor: floor.rate, ratio, target: `≥ ${TARGET_RATE.toLocaleString('en-US')}/s`, pass: s.rate >= TARGET_RATE },
      { bench: 'webhooks', metric: 'events/s vs floor', unit: '/s', value: s.rate, floor: floor.rate, ratio, target: `≥ ${TARGET_RATIO.toFixed(2)}× floor`, pass: ratio >= TARGET_RATIO },
      { bench: 'webhooks', metric: 'p50 latency', unit: 'ms', value: s.latency.p50, floor: floor.latency.p50, ratio: s.latency.p50 / floor.latency.p50, target: '—', pass: undefined },
      { bench: 'webhooks', metric: 'p99 latency', unit: 'ms', value: s.latency.p99, floor: floor.latency.p99, ratio: s.latency.p99 / floor.latency.p99, target: `< ${TARGET_P99_MS} ms`, pass: s.latency.p99 < TARGET_P99_MS },
      { bench: 'webhooks', metric: 'server RSS peak (tsx)', unit: 'MB', value: service.rssPeakMb, target: `< ${TARGET_RSS_MB} MB`, pass: service.rssPeakMb < TARGET_RSS_MB },
    ];
    if (compiled) {
      rows.push(
        { bench: 'webhooks', metric: 'server RSS peak (compiled)', unit: 'MB', value: compiled.rssPeakMb, target: `< ${TARGET_RSS_MB} MB`, pass: compiled.rssPeakMb < TARGET_RSS_MB },
        { bench: 'webhooks', metric: 'events/s (compiled, alone)', unit: '/s', value: compiled.measured.rate, target: '—', pass: undefined },
      );
    }
    rows.push(
      { bench: 'webhooks', metric: 'failed deliveries', unit: 'count', value: failures, floor: floor.errors, target: '0', pass: failures === 0 },
      { bench: 'webhooks', metric: 'same rows as floor', unit: 'count', value: rowDiff.length, target: '0 differing tables', pass: warmup === 0 ? undefined : rowDiff.length === 0 },
      // Other users' work on the machine while service and floor were measured: high values spoil absolute figures.
      { bench: 'webhooks', metric: 'CPU taken by other processes', unit: '%', value: foreignShare(s.cpu), floor: foreignShare(floor.cpu), target: '≈ 0 for valid figures', pass: undefined },
    );
    return rows;
  } finally {
    await db.drop();
    progress(`webhooks: database ${db.name} dropped`);
  }
}

if (isMainModule(import.meta.url)) runAsScript(runWebhooksBench);
