import { createBenchDatabase } from './lib/bench-database.js';
import { assertRunning, spawnTs, startServer, waitForHttp, freePort } from './lib/child-process.js';
import { httpLoad, type HttpRequestSpec, type LoadResult } from './lib/load.js';
import { foreignShare, startCpuMeter } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import { BENCH_PUBLIC_URL, settings } from './lib/settings.js';
import { describeLatency } from './lib/stats.js';

/*
 * What every article view costs: GET /api/widget/:publication (the appeal's configuration) and POST /api/events
 * (the impression beacon) for BENCH_PAGE_VIEW_SECONDS each (default 10) at 32 connections against the compiled
 * server; the configuration for BENCH_PAGE_VIEW_SECONDS (default 10). Floor: a bare node:http server (bench/lib/bare-server.ts) answering the same requests with the very bytes
 * favour answered. The beacon limit stays in the path, set high enough that one load generator's address is not cut off.
 */

const TARGET_CONFIG_RATIO = 0.6;
const TARGET_BEACON_RATIO = 0.5;
const SECONDS = Number(process.env.BENCH_PAGE_VIEW_SECONDS ?? 10);

const ARTICLE = `${BENCH_PUBLIC_URL}/2026/12/06/story`;
const config: HttpRequestSpec = { method: 'GET', path: '/api/widget/demo?lang=it', headers: { origin: BENCH_PUBLIC_URL } };
const beacon: HttpRequestSpec = {
  method: 'POST',
  path: '/api/events',
  headers: { origin: BENCH_PUBLIC_URL, 'content-type': 'text/plain;charset=UTF-8' },
  body: JSON.stringify({ publication: 'demo', type: 'impression', article_url: ARTICLE, variant: 'a' }),
};

async function capture(port: number, spec: HttpRequestSpec): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  // As autocannon asks: without Accept-Encoding, so the bytes are the uncompressed ones it will get.
  const headers = { 'accept-encoding': 'identity', ...spec.headers };
  const res = await fetch(`http://127.0.0.1:${port}${spec.path}`, { method: spec.method, headers, body: spec.body });
  const answered: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name)) answered[name] = value;
  });
  return { status: res.status, headers: answered, body: await res.text() };
}

/** Beacons the server accepted, from its own request metrics (a load generator stopping on time misses those in flight). */
async function acceptedBeacons(port: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = /^favour_http_request_duration_seconds_count\{method="POST",route="\/api\/events",status="202"\} (\d+)$/m.exec(metrics);
  if (!match) throw new Error('the server did not report its accepted beacons in /metrics');
  return Number(match[1]);
}

const line = (what: string, r: LoadResult) => `${what}: ${r.rate.toFixed(0)}/s; ${describeLatency(r.latency)}; errors ${r.errors}`;

export async function runPageViewsBench(): Promise<BenchRow[]> {
  const { concurrency } = settings;
  const db = await createBenchDatabase();
  progress(`page views: database ${db.name}; ${SECONDS} s per phase at ${concurrency} connections`);
  try {
    const server = await startServer({ DATABASE_URL: db.url, PUBLIC_URL: BENCH_PUBLIC_URL, RATE_LIMIT_EVENTS_IP: '9999999/1' }, 'compiled');
    let service: { config: LoadResult; beacon: LoadResult };
    let floor: { config: LoadResult; beacon: LoadResult };
    let counted = 0;
    let cpu: ReturnType<ReturnType<typeof startCpuMeter>>;
    try {
      const responses = {
        [`GET ${config.path}`]: await capture(server.port, config),
        [`POST ${beacon.path}`]: await capture(server.port, beacon),
      };
      progress('page views: service');
      const meter = startCpuMeter({ serverPid: server.pid, database: db.name });
      service = {
        config: await httpLoad({ port: server.port, connections: concurrency, seconds: SECONDS, expectStatus: 200, request: () => config }),
        // A fixed number, so that every beacon sent has been answered when the counts are compared.
        beacon: await httpLoad({ port: server.port, connections: concurrency, seconds: SECONDS, expectStatus: 202, request: () => beacon }),
      };
      // What the server answered 202, the captured beacon and any in flight when the load stopped included.
      counted = await acceptedBeacons(server.port);
      cpu = meter();
      assertRunning(server, 'the server');

      const barePort = await freePort();
      const bare = spawnTs('bench/lib/bare-server.ts', { PORT: String(barePort), BARE_RESPONSES: JSON.stringify(responses) });
      try {
        await waitForHttp(bare, barePort, config.path);
        progress('page views: floor (bare node:http)');
        floor = {
          config: await httpLoad({ port: barePort, connections: concurrency, seconds: SECONDS, expectStatus: 200, request: () => config }),
          beacon: await httpLoad({ port: barePort, connections: concurrency, seconds: SECONDS, expectStatus: 202, request: () => beacon }),
        };
      } finally {
        await bare.stop();
      }
    } finally {
      await server.stop(); // SIGTERM flushes the counts held in memory
    }
    const { rows } = await db.handle.pgPool!.query<{ n: string }>(`SELECT coalesce(sum(impressions), 0) AS n FROM widget_daily_counters`);
    const stored = Number(rows[0]!.n);

    console.log(`\n## page views — ${concurrency} connections, ${SECONDS} s per phase, compiled server`);
    console.log(line('GET /api/widget/demo (service)', service.config));
    console.log(line('GET /api/widget/demo (bare node:http)', floor.config));
    console.log(line('POST /api/events (service)', service.beacon));
    console.log(line('POST /api/events (bare node:http)', floor.beacon));
    console.log(`impressions accepted ${counted.toLocaleString('en-US')}, stored after SIGTERM ${stored.toLocaleString('en-US')}`);
    const configRatio = service.config.rate / floor.config.rate;
    const beaconRatio = service.beacon.rate / floor.beacon.rate;
    return [
      {
        bench: 'page views',
        metric: 'widget config requests/s',
        unit: '/s',
        value: service.config.rate,
        floor: floor.config.rate,
        ratio: configRatio,
        target: `≥ ${TARGET_CONFIG_RATIO}× floor`,
        pass: configRatio >= TARGET_CONFIG_RATIO,
      },
      {
        bench: 'page views',
        metric: 'beacons/s',
        unit: '/s',
        value: service.beacon.rate,
        floor: floor.beacon.rate,
        ratio: beaconRatio,
        target: `≥ ${TARGET_BEACON_RATIO}× floor`,
        pass: beaconRatio >= TARGET_BEACON_RATIO,
      },
      {
        bench: 'page views',
        metric: 'beacons lost across SIGTERM',
        unit: 'count',
        value: counted - stored,
        target: '0',
        pass: counted === stored,
      },
      {
        bench: 'page views',
        metric: 'failed requests',
        unit: 'count',
        value: service.config.errors + service.beacon.errors,
        target: '0',
        pass: service.config.errors + service.beacon.errors === 0,
      },
      {
        bench: 'page views',
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

if (isMainModule(import.meta.url)) runAsScript(runPageViewsBench);
