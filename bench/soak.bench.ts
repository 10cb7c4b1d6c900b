import http from 'node:http';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createBenchDatabase } from './lib/bench-database.js';
import { assertRunning, freePort, type ServerChild } from './lib/child-process.js';
import { keepAliveAgent } from './lib/http-load.js';
import { describeCpu, foreignShare, startCpuMeter, statusMb } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import { parseRuntime, type Runtime, startBenchServer } from './lib/reports-server.js';
import { BENCH_PUBLIC_URL } from './lib/settings.js';
import { Ledger, verifySoak } from './lib/soak-ledger.js';
import { checkoutRequest, SoakPlan, SOAK_MIX_DESCRIPTION, type SoakEvent } from './lib/soak-events.js';
import { startStripeStub, type StubChild } from './lib/stripe-stub.js';
import { BENCH_WEBHOOK_SECRET, signPayload } from './lib/webhook-events.js';

/*
 * `npm run bench:soak`: 200,000 webhook deliveries and 20,000 checkout requests in one run against the real server
 * (a child process, compiled as `npm start` runs it, or --runtime tsx) on a fresh Postgres database with the demo
 * publication, and the Stripe stub (bench/lib/stripe-stub.ts) as STRIPE_API_URL. One closed loop of N workers
 * (default 24) over keep-alive connections; each worker takes the next checkout request whenever checkouts are behind
 * their share of the run, else the next webhook delivery, so the two are interleaved from start to end. Events are
 * signed right before they are sent. The server's RSS is read from /proc every second, its heap from /metrics at each
 * tenth of the run. At the end the database is compared with what was sent (bench/lib/soak-ledger.ts).
 * Targets: zero 5xx, no lost or duplicated rows, RSS growth after the warm-up (first 10 %) under 10 %.
 */

const TARGET_GROWTH_PCT = 10;

export interface SoakBenchOptions {
  events: number;
  checkouts: number;
  concurrency: number;
  runtime: Runtime;
  keep: boolean;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return n;
}

function defaults(): SoakBenchOptions {
  return {
    events: envInt('BENCH_SOAK_EVENTS', 200_000),
    checkouts: envInt('BENCH_SOAK_CHECKOUTS', 20_000),
    concurrency: envInt('BENCH_SOAK_CONCURRENCY', 24),
    runtime: parseRuntime(process.env.BENCH_SOAK_RUNTIME?.trim(), 'compiled'),
    keep: process.env.BENCH_SOAK_KEEP === '1',
  };
}

function parseArgs(argv: string[]): Partial<SoakBenchOptions> {
  const o: Partial<SoakBenchOptions> = {};
  const int = (i: number, min: number) => {
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < min) throw new Error(`${argv[i]} needs an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--events':
        o.events = int(i, 100);
        i++;
        break;
      case '--checkouts':
        o.checkouts = int(i, 0);
        i++;
        break;
      case '--concurrency':
        o.concurrency = int(i, 1);
        i++;
        break;
      case '--runtime':
        o.runtime = parseRuntime(argv[i + 1], 'compiled');
        i++;
        break;
      case '--keep':
        o.keep = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]} (options: --events N, --checkouts M, --concurrency C, --runtime compiled|tsx, --keep)`);
    }
  }
  return o;
}

interface Answer {
  status: number;
  body: string;
}

function post(port: number, agent: http.Agent, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 4_000) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (err) => resolve({ status: 0, body: err.message }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout after 30 s')));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end(body);
  });
}

function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, timeout: 5_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      })
      .on('error', () => resolve(''));
  });
}

const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) / 2 ** 20 : Number.NaN;
};

interface Sample {
  t: number;
  progress: number;
  rssMb: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : Number.NaN;
};

export async function runSoakBench(options: Partial<SoakBenchOptions> = {}): Promise<BenchRow[]> {
  const o: SoakBenchOptions = { ...defaults(), ...options };
  const total = o.events + o.checkouts;
  progress(
    `soak: ${o.events.toLocaleString('en-US')} webhook deliveries + ${o.checkouts.toLocaleString('en-US')} checkout requests, ${o.concurrency} connections, server ${o.runtime}`,
  );
  const db = await createBenchDatabase();
  progress(`soak: database ${db.name} created, migrated, demo publication seeded`);
  let stub: StubChild | undefined;
  let server: ServerChild | undefined;
  const agent = keepAliveAgent(o.concurrency);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const publicationId = Number((await pool.query(`SELECT id FROM publications WHERE slug = 'demo'`)).rows[0].id);
    const stubPort = await freePort();
    stub = await startStripeStub(stubPort);
    server = await startBenchServer(
      {
        DATABASE_URL: db.url,
        PUBLIC_URL: BENCH_PUBLIC_URL,
        STRIPE_SECRET_KEY: 'sk_test_bench',
        STRIPE_API_URL: `http://127.0.0.1:${stubPort}`,
        STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
        RATE_LIMIT_CHECKOUT_IP: 'off',
        RATE_LIMIT_CHECKOUT_PUBLICATION: 'off',
        RATE_LIMIT_EVENTS_IP: 'off',
        RECONCILE_INTERVAL: '0',
        DEMO_SEED_SUPPORTERS: '0',
      },
      o.runtime,
    );
    const { port, pid } = server;
    progress(`soak: Stripe stub on 127.0.0.1:${stubPort}, server pid ${pid} on 127.0.0.1:${port}`);

    const plan = new SoakPlan(Math.floor(Date.now() / 1000) - o.events * 12);
    const ledger = new Ledger();
    const statuses = { webhook: {} as Record<string, number>, checkout: {} as Record<string, number> };
    const errorSamples: string[] = [];
    const count = (kind: 'webhook' | 'checkout', a: Answer, what: string) => {
      statuses[kind][a.status] = (statuses[kind][a.status] ?? 0) + 1;
      if (a.status >= 500 || a.status === 0 || (kind === 'webhook' ? a.status !== 200 : a.status !== 201)) {
        if (errorSamples.length < 10) errorSamples.push(`${what}: ${a.status} ${a.body.slice(0, 300)}`);
      }
    };
    let eventsIssued = 0;
    let checkoutsIssued = 0;
    let done = 0;
    let checkout201 = 0;
    let duplicatesAnswered = 0;

    const samples: Sample[] = [];
    const heap: { progress: number; heapUsedMb: number; heapTotalMb: number; rssMb: number }[] = [];
    let nextHeapMark = 1;
    const started = performance.now();
    const meter = startCpuMeter({ serverPid: pid, stubPid: stub.pid, database: db.name });
    const sampleNow = () => {
      const rss = statusMb(pid, 'VmRSS');
      if (rss !== undefined) samples.push({ t: (performance.now() - started) / 1000, progress: done / total, rssMb: rss });
    };
    sampleNow();
    const sampler = setInterval(sampleNow, 1_000);
    let heapBusy = false;
    const heapMark = async () => {
      if (heapBusy) return;
      heapBusy = true;
      const at = done / total;
      const text = await getText(port, '/metrics');
      heap.push({
        progress: at,
        heapUsedMb: metric(text, 'nodejs_heap_size_used_bytes'),
        heapTotalMb: metric(text, 'nodejs_heap_size_total_bytes'),
        rssMb: statusMb(pid, 'VmRSS') ?? Number.NaN,
      });
      heapBusy = false;
    };
    await heapMark();

    const worker = async (): Promise<void> => {
      for (;;) {
        const checkoutsDue =
          checkoutsIssued < o.checkouts && (eventsIssued >= o.events || checkoutsIssued / o.checkouts <= eventsIssued / o.events);
        if (checkoutsDue) {
          const n = checkoutsIssued++;
          const { body, session } = checkoutRequest(n);
          const a = await post(
            port,
            agent,
            '/api/checkout',
            { 'content-type': 'application/json', accept: 'application/json', origin: BENCH_PUBLIC_URL },
            body,
          );
          count('checkout', a, `checkout ${n}`);
          if (a.status === 201) {
            checkout201++;
            const id = (JSON.parse(a.body) as { id: string }).id;
            ledger.sessionsFromCheckout.add(id);
            (session.interval === 'once' ? plan.toComplete : plan.toExpire).push({ ...session, id });
          }
        } else if (eventsIssued < o.events) {
          const i = eventsIssued++;
          const e: SoakEvent = plan.build(i);
          const a = await post(
            port,
            agent,
            '/webhooks/stripe',
            {
              'content-type': 'application/json; charset=utf-8',
              'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
              'stripe-signature': signPayload(e.payload),
            },
            e.payload,
          );
          count('webhook', a, `${e.type} ${e.id}${e.redelivery ? ' (redelivery)' : ''}`);
          if (a.status === 200) {
            ledger.accept(e);
            if (a.body.includes('"duplicate":true')) duplicatesAnswered++;
          }
        } else {
          return;
        }
        done++;
        if (done / total >= nextHeapMark / 10) {
          nextHeapMark++;
          void heapMark();
          if (nextHeapMark > 1) {
            const s = (performance.now() - started) / 1000;
            progress(
              `soak: ${Math.round((100 * done) / total)} % (${done.toLocaleString('en-US')} requests, ${(done / s).toFixed(0)}/s, RSS ${(statusMb(pid, 'VmRSS') ?? 0).toFixed(0)} MB)`,
            );
          }
        }
        if (server!.exited) return;
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    sampleNow();
    clearInterval(sampler);
    await heapMark();
    const cpu = meter();
    assertRunning(server, 'the server');
    assertRunning(stub, 'the Stripe stub');
    const rssEndHwm = statusMb(pid, 'VmHWM') ?? Number.NaN;

    progress('soak: waiting for the webhook inbox to drain, then verifying the database against what was sent');
    await db.waitForInbox();
    const checks = await verifySoak(db.url, pool, publicationId, ledger, checkout201);
    const counts = await db.counts();

    // --- RSS ------------------------------------------------------------------------------------------------------------
    const window = (lo: number, hi: number) => samples.filter((s) => s.progress >= lo && s.progress <= hi).map((s) => s.rssMb);
    const firstAfterWarmup = samples.find((s) => s.progress >= 0.1)?.rssMb ?? Number.NaN;
    const lastRss = samples[samples.length - 1]?.rssMb ?? Number.NaN;
    // Short runs may have no 1-per-second sample inside a window: fall back to the nearest single samples.
    const warmupRss = window(0.1, 0.15).length > 0 ? median(window(0.1, 0.15)) : firstAfterWarmup;
    const finalRss = window(0.95, 1).length > 0 ? median(window(0.95, 1)) : lastRss;
    const maxRss = Math.max(...samples.map((s) => s.rssMb));
    const maxAfterWarmup = Math.max(...samples.filter((s) => s.progress >= 0.1).map((s) => s.rssMb));
    const growth = ((finalRss - warmupRss) / warmupRss) * 100;
    // Least-squares slope of RSS against progress after the warm-up, in MB per 100,000 requests.
    const after = samples.filter((s) => s.progress >= 0.1);
    const mx = after.reduce((a, s) => a + s.progress, 0) / after.length;
    const my = after.reduce((a, s) => a + s.rssMb, 0) / after.length;
    const slope = after.reduce((a, s) => a + (s.progress - mx) * (s.rssMb - my), 0) / after.reduce((a, s) => a + (s.progress - mx) ** 2, 0);
    const slopePer100k = (slope / total) * 100_000;

    const fivexx = (r: Record<string, number>) =>
      Object.entries(r)
        .filter(([s]) => Number(s) >= 500 || s === '0')
        .reduce((a, [, n]) => a + n, 0);
    const webhook5xx = fivexx(statuses.webhook);
    const checkout5xx = fivexx(statuses.checkout);
    const failedChecks = checks.filter((c) => !c.pass);

    console.log(
      `\n## soak — ${o.events.toLocaleString('en-US')} webhook deliveries + ${o.checkouts.toLocaleString('en-US')} POST /api/checkout, ${o.concurrency} connections, server ${o.runtime}, ${db.name}`,
    );
    console.log(`mix: ${SOAK_MIX_DESCRIPTION}`);
    console.log(
      `distinct events by type: ${[...ledger.typeCounts.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
        .join(', ')}`,
    );
    console.log(
      `ran ${seconds.toFixed(0)} s: ${(total / seconds).toFixed(0)} requests/s (${(o.events / seconds).toFixed(0)} deliveries/s, ${(o.checkouts / seconds).toFixed(0)} checkouts/s); ` +
        `webhook statuses ${JSON.stringify(statuses.webhook)}, checkout statuses ${JSON.stringify(statuses.checkout)}; ` +
        `${ledger.redeliveries.toLocaleString('en-US')} redeliveries answered 200 (${duplicatesAnswered.toLocaleString('en-US')} of all deliveries reported duplicate: true)`,
    );
    console.log(`  ${describeCpu(cpu, total, 'request')}`);
    console.log(
      `server RSS: after warm-up (median over 10-15 % of the run) ${warmupRss.toFixed(1)} MB (first sample after 10 %: ${firstAfterWarmup.toFixed(1)} MB), ` +
        `final (median over the last 5 %) ${finalRss.toFixed(1)} MB (last sample ${lastRss.toFixed(1)} MB), growth ${growth.toFixed(1)} %, ` +
        `max ${maxRss.toFixed(1)} MB (after warm-up ${maxAfterWarmup.toFixed(1)} MB), VmHWM ${rssEndHwm.toFixed(1)} MB; ` +
        `trend after warm-up ${slopePer100k >= 0 ? '+' : ''}${slopePer100k.toFixed(1)} MB per 100,000 requests (${samples.length} samples, 1/s)`,
    );
    console.log('RSS and V8 heap through the run (heap from /metrics):');
    console.log('| progress | RSS MB | heap used MB | heap total MB |');
    console.log('|---:|---:|---:|---:|');
    for (const h of heap)
      console.log(
        `| ${(h.progress * 100).toFixed(0)} % | ${h.rssMb.toFixed(1)} | ${h.heapUsedMb.toFixed(1)} | ${h.heapTotalMb.toFixed(1)} |`,
      );
    console.log(`rows: ${JSON.stringify(counts)}`);
    console.log('database vs what was sent:');
    console.log('| check | expected | found | |');
    console.log('|---|---:|---:|---|');
    for (const c of checks) console.log(`| ${c.check} | ${c.expected} | ${c.found} | ${c.pass ? 'ok' : 'FAIL'} |`);
    for (const s of errorSamples) console.log(`  error sample: ${s}`);

    return [
      { bench: 'soak', metric: 'webhook deliveries', unit: 'count', value: o.events, target: '—', pass: undefined },
      { bench: 'soak', metric: 'checkout requests', unit: 'count', value: o.checkouts, target: '—', pass: undefined },
      { bench: 'soak', metric: 'requests/s over the run', unit: '/s', value: total / seconds, target: '—', pass: undefined },
      {
        bench: 'soak',
        metric: '5xx (or no answer)',
        unit: 'count',
        value: webhook5xx + checkout5xx,
        target: '0',
        pass: webhook5xx + checkout5xx === 0,
      },
      {
        bench: 'soak',
        metric: 'non-2xx answers',
        unit: 'count',
        value:
          Object.entries(statuses.webhook)
            .filter(([s]) => s !== '200')
            .reduce((a, [, n]) => a + n, 0) +
          Object.entries(statuses.checkout)
            .filter(([s]) => s !== '201')
            .reduce((a, [, n]) => a + n, 0),
        target: '0',
        pass: statuses.webhook['200'] === o.events && (statuses.checkout['201'] ?? 0) === o.checkouts,
      },
      {
        bench: 'soak',
        metric: 'stripe_events rows',
        unit: 'count',
        value: counts.stripe_events ?? 0,
        floor: ledger.events.size,
        target: '= distinct events sent',
        pass: checks.find((c) => c.check.startsWith('stripe_events rows'))!.pass,
      },
      {
        bench: 'soak',
        metric: 'payments rows',
        unit: 'count',
        value: counts.payments ?? 0,
        floor: ledger.payments.size,
        target: '= expected',
        pass: checks.find((c) => c.check.startsWith('payments rows'))!.pass,
      },
      {
        bench: 'soak',
        metric: 'checkout_sessions rows from POST /api/checkout',
        unit: 'count',
        value: Number(checks.find((c) => c.check.startsWith('checkout_sessions created'))!.found),
        floor: checkout201,
        target: '= checkout 201s',
        pass: checks.find((c) => c.check.startsWith('checkout_sessions created'))!.pass,
      },
      {
        bench: 'soak',
        metric: 'database checks failed',
        unit: 'count',
        value: failedChecks.length,
        target: `0 of ${checks.length}`,
        pass: failedChecks.length === 0,
      },
      { bench: 'soak', metric: 'RSS after warm-up (10 %)', unit: 'MB', value: warmupRss, target: '—', pass: undefined },
      { bench: 'soak', metric: 'RSS final', unit: 'MB', value: finalRss, target: '—', pass: undefined },
      { bench: 'soak', metric: 'RSS max', unit: 'MB', value: maxRss, target: '—', pass: undefined },
      {
        bench: 'soak',
        metric: 'RSS growth after warm-up',
        unit: '%',
        value: growth,
        target: `< ${TARGET_GROWTH_PCT} %`,
        pass: Number.isFinite(growth) ? growth < TARGET_GROWTH_PCT : undefined,
      },
      {
        bench: 'soak',
        metric: 'CPU taken by other processes',
        unit: '%',
        value: foreignShare(cpu),
        target: '≈ 0 for valid figures',
        pass: undefined,
      },
    ];
  } finally {
    agent.destroy();
    await server?.stop();
    if (server?.output().trim()) progress(`soak: server output (last 2 kB):\n${server.output().trim().slice(-2_000)}`);
    await stub?.stop();
    await pool.end();
    if (o.keep) {
      await db.handle.close();
      progress(`soak: database ${db.name} kept (drop it with: psql -c 'DROP DATABASE ${db.name}')`);
    } else {
      await db.drop();
      progress(`soak: database ${db.name} dropped`);
    }
  }
}

if (isMainModule(import.meta.url)) runAsScript(() => runSoakBench(parseArgs(process.argv.slice(2))));
