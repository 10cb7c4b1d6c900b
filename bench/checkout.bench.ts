import { createBenchDatabase } from './lib/bench-database.js';
import { assertRunning, freePort, type ServerChild, startServer } from './lib/child-process.js';
import { keepAliveAgent, type LoadRequest, runLoad } from './lib/http-load.js';
import { describeCpu, foreignShare, sampleRss, startCpuMeter } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import { BENCH_PUBLIC_URL, settings } from './lib/settings.js';
import { SliceAccumulator } from './lib/slices.js';
import { describeLatency } from './lib/stats.js';
import { startStripeStub, type StubChild } from './lib/stripe-stub.js';

/*
 * POST /api/checkout: the real server (a child process) creates Checkout Sessions on a local Stripe stub (another
 * child process, bench/lib/stripe-stub.ts) reached through STRIPE_API_URL, and records each in Postgres.
 * The floor is the stub's own rate: the same form-encoded request the service sends it (captured from the
 * service), sent straight to the stub at the same concurrency.
 */

const TARGET_RATE = 1_500;
const TARGET_P99_MS = 30;
const WARMUP_TIME_LIMIT_MS = 60_000;

export const CHECKOUT_MIX_DESCRIPTION =
  '80% one-off gifts (5–50 EUR/USD), 15% monthly and 5% yearly memberships; JSON bodies with article_url and variant, ' +
  'a third with e-mail, various locales';

/** Request i: what a donation widget on an article page posts. */
function checkoutBody(i: number): string {
  const slot = i % 20;
  const interval = slot < 16 ? 'once' : slot < 19 ? 'month' : 'year';
  const amount = interval === 'once' ? [500, 1000, 2500, 5000][i % 4]! : interval === 'month' ? [500, 1000][i % 2]! : 5000;
  return JSON.stringify({
    publication: 'demo',
    amount,
    currency: i % 9 === 0 ? 'usd' : 'eur',
    interval,
    article_url: `${BENCH_PUBLIC_URL}/2026/11/story-${i % 97}?utm_source=newsletter`,
    variant: i % 2 === 0 ? 'plea-a' : 'plea-b',
    ...(i % 3 === 0 ? { email: `reader${i}@example.com` } : {}),
    ...(i % 5 === 0 ? { locale: ['it', 'de', 'fr-CA', 'pt-BR', 'en'][i % 5]! } : {}),
  });
}

export async function runCheckoutBench(): Promise<BenchRow[]> {
  const { concurrency, checkoutRequests: n, checkoutWarmup: warmup, maxPhaseMs, rounds } = settings;
  progress(
    `checkout: ${warmup.toLocaleString('en-US')} warm-up + up to ${n.toLocaleString('en-US')} measured sessions (≤ ${maxPhaseMs / 1000} s) ` +
      `at ${concurrency} concurrent connections`,
  );
  const db = await createBenchDatabase();
  progress(`checkout: database ${db.name} created, migrated, demo publication seeded`);
  let stub: StubChild | undefined;
  let server: ServerChild | undefined;
  const agent = keepAliveAgent(concurrency);
  try {
    const stubPort = await freePort();
    stub = await startStripeStub(stubPort);
    progress(`checkout: Stripe stub on 127.0.0.1:${stubPort}; starting the server (node --import tsx src/server.ts)`);
    const limit = settings.checkoutRateLimits === 'off' ? 'off' : '9999999/600';
    server = await startServer({
      DATABASE_URL: db.url,
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_API_URL: `http://127.0.0.1:${stubPort}`,
      PUBLIC_URL: BENCH_PUBLIC_URL,
      RATE_LIMIT_CHECKOUT_IP: limit,
      RATE_LIMIT_CHECKOUT_PUBLICATION: limit,
    });
    const port = server.port;
    const serviceRequest =
      (offset: number) =>
      (i: number): LoadRequest => ({
        method: 'POST',
        path: '/api/checkout',
        // As the widget on an article page sends it: cross-origin, so the CORS check runs too.
        headers: { 'content-type': 'application/json', accept: 'application/json', origin: BENCH_PUBLIC_URL },
        body: checkoutBody(offset + i),
      });

    progress('checkout: service warm-up');
    const w = await runLoad({
      port,
      agent,
      concurrency,
      total: warmup,
      request: serviceRequest(0),
      expectStatus: 201,
      maxDurationMs: WARMUP_TIME_LIMIT_MS,
    });
    if (w.errors > 0) progress(`checkout: ${w.errors} warm-up requests failed, e.g. ${w.errorSamples[0]}`);

    // --- floor: the stub hit directly with the request the service sends it --------------------------------
    const captured = await stub.lastRequest();
    const stubHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(captured.headers)) {
      if (!['host', 'content-length', 'connection', 'idempotency-key', 'x-stripe-client-telemetry'].includes(name))
        stubHeaders[name] = value;
    }
    const stubBytes = Buffer.byteLength(captured.body);
    const stubRequest = (i: number): LoadRequest => ({
      method: 'POST',
      path: '/v1/checkout/sessions',
      headers: { ...stubHeaders, 'idempotency-key': `bench-direct-${i}` },
      body: captured.body,
      bodyBytes: stubBytes,
    });
    const stubAgent = keepAliveAgent(concurrency);
    const floorAcc = new SliceAccumulator();
    const serviceAcc = new SliceAccumulator();
    const sliceMs = maxPhaseMs / rounds;
    const perSlice = Math.ceil(n / rounds);
    let rssPeakMb = 0;
    let rssEndMb = Number.NaN;
    const before = (await db.counts()).checkout_sessions ?? 0;
    try {
      progress('checkout: floor (stub direct) warm-up');
      await runLoad({
        port: stubPort,
        agent: stubAgent,
        concurrency,
        total: warmup,
        request: stubRequest,
        expectStatus: 200,
        maxDurationMs: WARMUP_TIME_LIMIT_MS,
      });
      // Measured: stub direct and service alternate, so both see the same background load.
      let stubCursor = warmup;
      let serviceCursor = warmup;
      for (let round = 1; round <= rounds; round++) {
        progress(`checkout: round ${round}/${rounds}: floor (stub direct)`);
        const floorMeter = startCpuMeter({ stubPid: stub.pid, database: db.name });
        const offset = stubCursor;
        const f = await runLoad({
          port: stubPort,
          agent: stubAgent,
          concurrency,
          total: perSlice,
          request: (i) => stubRequest(offset + i),
          expectStatus: 200,
          maxDurationMs: sliceMs,
        });
        floorAcc.add(f, floorMeter());
        stubCursor += f.completed;

        progress(`checkout: round ${round}/${rounds}: service`);
        const rss = sampleRss(server.pid);
        const serviceMeter = startCpuMeter({ serverPid: server.pid, stubPid: stub.pid, database: db.name });
        const sv = await runLoad({
          port,
          agent,
          concurrency,
          total: perSlice,
          request: serviceRequest(serviceCursor),
          expectStatus: 201,
          maxDurationMs: sliceMs,
        });
        serviceAcc.add(sv, serviceMeter());
        serviceCursor += sv.completed;
        const rssRun = rss();
        rssPeakMb = Math.max(rssPeakMb, rssRun.peakMb);
        rssEndMb = rssRun.lastMb;
        assertRunning(server, 'the server');
        assertRunning(stub, 'the Stripe stub');
      }
    } finally {
      stubAgent.destroy();
    }
    const floor = floorAcc.result();
    const service = serviceAcc.result();
    const cpu = service.cpu;
    const floorCpu = floor.cpu;
    const recorded = ((await db.counts()).checkout_sessions ?? 0) - before;
    const successes = service.completed - service.errors;

    console.log(
      `\n## checkout — POST /api/checkout, ${concurrency} connections; ${warmup.toLocaleString('en-US')} warm-up requests, then stub-direct floor and ` +
        `service alternating ${rounds} × (≤ ${perSlice.toLocaleString('en-US')} requests or ${(sliceMs / 1000).toFixed(1)} s)`,
    );
    console.log(`mix: ${CHECKOUT_MIX_DESCRIPTION}`);
    console.log(
      settings.checkoutRateLimits === 'off'
        ? 'rate limits: off (BENCH_CHECKOUT_RATE_LIMITS=off)'
        : 'rate limits: per IP and per publication both consumed on every request, set to 9999999/600 so they never trip (BENCH_CHECKOUT_RATE_LIMITS=off removes them)',
    );
    console.log(
      `service: ${service.rate.toFixed(0)} sessions/s, ${service.completed.toLocaleString('en-US')} in ${(service.durationMs / 1000).toFixed(1)} s (${service.slices} slices); ` +
        `${describeLatency(service.latency)}; statuses ${JSON.stringify(service.statuses)}`,
    );
    console.log(`  ${describeCpu(cpu, service.completed, 'session')}`);
    console.log(`  server RSS: peak under load ${rssPeakMb.toFixed(0)} MB, at end ${rssEndMb.toFixed(0)} MB (tsx)`);
    console.log(
      `floor (Stripe stub direct, same form body of ${stubBytes} bytes): ${floor.rate.toFixed(0)} sessions/s, ${floor.completed.toLocaleString('en-US')} in ` +
        `${(floor.durationMs / 1000).toFixed(1)} s (${floor.slices} slices); ${describeLatency(floor.latency)}; statuses ${JSON.stringify(floor.statuses)}`,
    );
    console.log(`  ${describeCpu(floorCpu, floor.completed, 'session')}`);
    console.log(
      recorded === successes
        ? `check: ${recorded.toLocaleString('en-US')} sessions recorded in checkout_sessions, one per 201`
        : `check: ${recorded} sessions recorded but ${successes} requests answered 201`,
    );
    for (const sample of [...service.errorSamples, ...floor.errorSamples]) console.log(`  error sample: ${sample}`);

    const failures = service.errors + w.errors + (warmup - w.completed);
    return [
      {
        bench: 'checkout',
        metric: 'sessions/s',
        unit: '/s',
        value: service.rate,
        floor: floor.rate,
        ratio: service.rate / floor.rate,
        target: `≥ ${TARGET_RATE.toLocaleString('en-US')}/s`,
        pass: service.rate >= TARGET_RATE,
      },
      {
        bench: 'checkout',
        metric: 'p50 latency',
        unit: 'ms',
        value: service.latency.p50,
        floor: floor.latency.p50,
        ratio: service.latency.p50 / floor.latency.p50,
        target: '—',
        pass: undefined,
      },
      {
        bench: 'checkout',
        metric: 'p99 latency',
        unit: 'ms',
        value: service.latency.p99,
        floor: floor.latency.p99,
        ratio: service.latency.p99 / floor.latency.p99,
        target: `< ${TARGET_P99_MS} ms`,
        pass: service.latency.p99 < TARGET_P99_MS,
      },
      { bench: 'checkout', metric: 'server RSS peak (tsx)', unit: 'MB', value: rssPeakMb, target: '—', pass: undefined },
      {
        bench: 'checkout',
        metric: 'failed requests',
        unit: 'count',
        value: failures,
        floor: floor.errors,
        target: '0',
        pass: failures === 0 && recorded === successes,
      },
      {
        bench: 'checkout',
        metric: 'CPU taken by other processes',
        unit: '%',
        value: foreignShare(cpu),
        floor: foreignShare(floorCpu),
        target: '≈ 0 for valid figures',
        pass: undefined,
      },
    ];
  } finally {
    agent.destroy();
    await server?.stop();
    await stub?.stop();
    await db.drop();
    progress(`checkout: database ${db.name} dropped`);
  }
}

if (isMainModule(import.meta.url)) runAsScript(runCheckoutBench);
