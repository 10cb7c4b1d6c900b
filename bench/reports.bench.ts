import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { encodeCursor } from '../src/reports/report-lists.service.js';
import { addDays } from '../src/reports/report-query.schema.js';
import { assertRunning } from './lib/child-process.js';
import { foreignShare, startCpuMeter, statusMb } from './lib/proc.js';
import { type BenchRow, isMainModule, progress, runAsScript } from './lib/report.js';
import {
  captureReportQueries,
  explain,
  floorArticles,
  floorDonations,
  floorPool,
  floorSummary,
  floorSupportersCsv,
  floorSupportersPage,
  floorTimeseries,
  type ReportQueries,
} from './lib/reports-floor.js';
import { openReportsDatabase, scaled, seedReportsDatabase, type SeedResult, TIME_ZONE, verifySeed } from './lib/reports-seed.js';
import { parseRuntime, type Runtime, startBenchServer } from './lib/reports-server.js';
import { BENCH_PUBLIC_URL } from './lib/settings.js';

/*
 * `npm run bench:reports`: the Reports API on a million payments in real Postgres.
 *  1. A fresh favour_bench_reports_<random> database (dropped at the end unless --keep), migrated, one publication
 *     ('bench': eur, usd, jpy; Europe/Rome), seeded with set-based SQL (bench/lib/reports-seed.ts): 1,000,000 payments
 *     of 200,000 supporters on 5,000 articles over two years, 40,000 memberships, 1.2 M checkout sessions, the widget
 *     counters, and the rollups computed as the triggers compute them; then verified with the trigger functions.
 *  2. The real server in a child process (compiled as `npm start` runs it, or --runtime tsx), a fresh API key, and
 *     for each endpoint: warm-up, then N requests, one at a time, alternating with its floor (the same statements on a
 *     bare pg pool, bench/lib/reports-floor.ts). The API's numbers are compared with the floor's.
 *  3. supporters.csv of every supporter: rows/s counted by this client, server RSS sampled every 50 ms.
 * ratio = service / floor for every metric (latency: how many times slower; rows/s: share of the floor's rate).
 */

const TARGETS = { summaryMs: 100, supportersMs: 30, articlesMs: 150, csvRowsPerSecond: 150_000, csvRssMb: 150 };
const PAGE = 50;

export interface ReportsBenchOptions {
  /** Keep the database at the end (its name is printed) to rerun with --db. */
  keep: boolean;
  /** Reuse a database kept by an earlier run: no seeding. */
  db: string | undefined;
  /** Fraction of the full size (1 = the 1,000,000 payments of the issue). */
  scale: number;
  iterations: number;
  csvIterations: number;
  warmup: number;
  runtime: Runtime;
  /** Print EXPLAIN (ANALYZE, BUFFERS) of every floor statement after measuring. */
  explain: boolean;
  /** Print the statements captured from the report repositories. */
  printSql: boolean;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return n;
}

function defaults(): ReportsBenchOptions {
  return {
    keep: process.env.BENCH_REPORTS_KEEP === '1',
    db: process.env.BENCH_REPORTS_DB?.trim() || undefined,
    scale: envNumber('BENCH_REPORTS_SCALE', 1),
    iterations: envNumber('BENCH_REPORTS_ITERATIONS', 40),
    csvIterations: envNumber('BENCH_REPORTS_CSV_ITERATIONS', 10),
    warmup: envNumber('BENCH_REPORTS_WARMUP', 5),
    runtime: parseRuntime(process.env.BENCH_REPORTS_RUNTIME?.trim(), 'compiled'),
    explain: process.env.BENCH_REPORTS_EXPLAIN === '1',
    printSql: false,
  };
}

function parseArgs(argv: string[]): Partial<ReportsBenchOptions> {
  const o: Partial<ReportsBenchOptions> = {};
  const value = (i: number) => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${argv[i]} needs a value`);
    return v;
  };
  const positive = (i: number) => {
    const n = Number(value(i));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${argv[i]} must be a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--keep':
        o.keep = true;
        break;
      case '--db':
        o.db = value(i);
        i++;
        break;
      case '--scale':
        o.scale = positive(i);
        i++;
        break;
      case '--iterations':
        o.iterations = Math.round(positive(i));
        i++;
        break;
      case '--csv-iterations':
        o.csvIterations = Math.round(positive(i));
        i++;
        break;
      case '--warmup':
        o.warmup = Math.round(positive(i));
        i++;
        break;
      case '--runtime':
        o.runtime = parseRuntime(value(i), 'compiled');
        i++;
        break;
      case '--explain':
        o.explain = true;
        break;
      case '--print-sql':
        o.printSql = true;
        break;
      default:
        throw new Error(
          `unknown option ${argv[i]} (options: --keep, --db NAME, --scale F, --iterations N, --csv-iterations N, --warmup N, --runtime compiled|tsx, --explain, --print-sql)`,
        );
    }
  }
  return o;
}

// --- measuring ------------------------------------------------------------------------------------------------------

interface Stats {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p50: at(50), p95: at(95), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s[s.length - 1]! };
}

interface Answer {
  status: number;
  ms: number;
  bytes: number;
  /** Line feeds in the body (CSV records + header). */
  newlines: number;
  body: string;
}

function get(port: number, agent: http.Agent, key: string, path: string, keepBody: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${key}`, accept: '*/*' } }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      let newlines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines++;
        if (keepBody || res.statusCode !== 200) chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes, newlines, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`GET ${path}: no answer in 120 s`)));
    req.on('error', reject);
  });
}

interface Measured<S, F> {
  service: Stats;
  floor: Stats;
  serviceValue: S;
  floorValue: F;
  bytes: number;
}

/** Warm-up, then `iterations` rounds of one service request and one floor run, alternating (same cache state). */
async function measure<F>(
  label: string,
  o: { iterations: number; warmup: number },
  service: () => Promise<Answer>,
  floor: () => Promise<F>,
): Promise<Measured<unknown, F>> {
  progress(`reports: ${label} (${o.warmup} warm-up, ${o.iterations} measured, alternating with the floor)`);
  const call = async () => {
    const a = await service();
    if (a.status !== 200) throw new Error(`${label}: HTTP ${a.status} ${a.body.slice(0, 500)}`);
    return a;
  };
  for (let i = 0; i < o.warmup; i++) {
    await call();
    await floor();
  }
  const s: number[] = [];
  const f: number[] = [];
  let last: Answer | undefined;
  let floorValue: F | undefined;
  for (let i = 0; i < o.iterations; i++) {
    last = await call();
    s.push(last.ms);
    const t0 = performance.now();
    floorValue = await floor();
    f.push(performance.now() - t0);
  }
  return {
    service: stats(s),
    floor: stats(f),
    serviceValue: JSON.parse(last!.body) as unknown,
    floorValue: floorValue!,
    bytes: last!.bytes,
  };
}

// --- the API's numbers against the floor's --------------------------------------------------------------------------

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function compare(out: string[], what: string, api: unknown, sql: unknown): void {
  if (api !== sql) out.push(`${what}: API ${String(api)}, SQL ${String(sql)}`);
}

function checkSummary(api: Json, [totals, fresh, members, churned, funnel]: Row[][]): string[] {
  const out: string[] = [];
  const want: Record<string, { gross: number; refunded: number; disputed: number; payments: number }> = {};
  for (const r of totals!) {
    const w = (want[r.currency] ??= { gross: 0, refunded: 0, disputed: 0, payments: 0 });
    w.gross += r.gross;
    w.refunded += r.refunded;
    w.disputed += r.disputed;
    w.payments += r.payments;
  }
  for (const [c, w] of Object.entries(want)) {
    for (const k of ['gross', 'refunded', 'disputed', 'payments'] as const)
      compare(out, `summary ${c} ${k}`, api.currencies?.[c]?.[k], w[k]);
  }
  for (const m of members!) {
    compare(out, `summary ${m.currency} active_members`, api.currencies?.[m.currency]?.active_members, m.members);
    compare(out, `summary ${m.currency} mrr`, api.currencies?.[m.currency]?.mrr, Math.round(m.twelfths / 12));
  }
  compare(out, 'summary new_supporters', api.new_supporters, fresh![0]?.count);
  compare(out, 'summary churned_members', api.churned_members, churned![0]?.count);
  for (const k of ['impressions', 'clicks', 'checkouts', 'paid']) compare(out, `summary funnel ${k}`, api.funnel?.[k], funnel![0]?.[k]);
  return out;
}

function checkSupporters(api: Json, floor: { rows: Row[]; totals: Row[]; memberships: Row[] }): string[] {
  const out: string[] = [];
  const ids = (api.supporters as Json[]).map((s) => s.id);
  compare(out, 'supporters page ids', JSON.stringify(ids), JSON.stringify(floor.rows.slice(0, PAGE).map((r) => Number(r.id))));
  compare(out, 'supporters next_cursor present', api.next_cursor !== null, floor.rows.length > PAGE);
  const status = new Map(floor.memberships.map((m) => [Number(m.supporter_id), m.status]));
  const gross = new Map<number, number>();
  for (const t of floor.totals) gross.set(Number(t.supporter_id), (gross.get(Number(t.supporter_id)) ?? 0) + t.gross);
  for (const s of api.supporters as Json[]) {
    compare(out, `supporter ${s.id} membership`, s.membership?.status ?? null, status.get(s.id) ?? null);
    const apiGross = Object.values(s.lifetime as Record<string, { gross: number }>).reduce((n, l) => n + l.gross, 0);
    compare(out, `supporter ${s.id} lifetime gross`, apiGross, gross.get(s.id) ?? 0);
  }
  return out;
}

function checkArticles(api: Json, floor: Awaited<ReturnType<typeof floorArticles>>): string[] {
  const out: string[] = [];
  const keys = (b: { funnel: Row[]; revenue: Row[] }) => new Set([...b.funnel.map((r) => r.key), ...b.revenue.map((r) => r.key)]);
  const articles = keys(floor.byArticle);
  articles.delete('');
  compare(out, 'articles total_articles', api.total_articles, articles.size);
  compare(out, 'articles variants', (api.variants as Json[]).length, keys(floor.byVariant).size);
  const topPaid = Math.max(...floor.byArticle.funnel.filter((r) => r.key !== '').map((r) => r.paid));
  compare(out, 'articles top paid', (api.articles as Json[])[0]?.paid, topPaid);
  const gross = (rows: Row[]) => rows.reduce((n, r) => n + r.gross, 0);
  const apiGross = (api.variants as Json[]).reduce(
    (n, v) => n + Object.values(v.gross as Record<string, number>).reduce((a, b) => a + b, 0),
    0,
  );
  compare(out, 'articles variants gross', apiGross, gross(floor.byVariant.revenue));
  return out;
}

function checkTimeseries(api: Json, rows: Row[]): string[] {
  const out: string[] = [];
  compare(
    out,
    'timeseries payments',
    (api.points as Json[]).reduce((n, p) => n + p.payments, 0),
    rows.reduce((n, r) => n + r.payments, 0),
  );
  const apiGross = (api.points as Json[]).reduce(
    (n, p) => n + Object.values(p.gross as Record<string, number>).reduce((a, b) => a + b, 0),
    0,
  );
  compare(
    out,
    'timeseries gross',
    apiGross,
    rows.reduce((n, r) => n + r.gross, 0),
  );
  return out;
}

function checkDonations(api: Json, rows: Row[]): string[] {
  const out: string[] = [];
  compare(
    out,
    'donations ids',
    JSON.stringify((api.donations as Json[]).map((d) => d.id)),
    JSON.stringify(rows.slice(0, PAGE).map((r) => Number(r.id))),
  );
  return out;
}

// --- the bench ------------------------------------------------------------------------------------------------------

export async function runReportsBench(options: Partial<ReportsBenchOptions> = {}): Promise<BenchRow[]> {
  const o: ReportsBenchOptions = { ...defaults(), ...options };
  const scale = scaled(o.scale);
  const db = await openReportsDatabase(o.db);
  progress(`reports: database ${db.name} ${db.fresh ? 'created and migrated' : 'reused (no seeding)'}`);
  let keep = o.keep || !db.fresh;
  const pool = floorPool(db.url, 5);
  let server: Awaited<ReturnType<typeof startBenchServer>> | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let seed: SeedResult | undefined;
    if (db.fresh) {
      progress(
        `reports: seeding ${scale.payments.toLocaleString('en-US')} payments, ${scale.supporters.toLocaleString('en-US')} supporters, ${scale.articles.toLocaleString('en-US')} articles`,
      );
      seed = await seedReportsDatabase(db.url, db.publicationId, scale);
    }
    progress('reports: verifying the rollups against the payments and favour_recompute_rollups()');
    const verification = await verifySeed(db.url, db.publicationId);
    // The checks' rolled-back writes leave dead rows in the rollups; a live database's autovacuum would clear them.
    await pool.query('VACUUM ANALYZE');

    const layout = (
      await pool.query(
        `SELECT (SELECT count(*) FROM article_daily_totals)::int AS article_rows, (SELECT count(*) FROM widget_daily_counters)::int AS counter_rows`,
      )
    ).rows[0];
    const today = (await pool.query(`SELECT to_char((now() AT TIME ZONE '${TIME_ZONE}')::date, 'YYYY-MM-DD') AS d`)).rows[0].d as string;
    const range = { from: addDays(today, -364), to: today };
    const size = (await pool.query('SELECT max(id) AS max, count(*) AS n FROM supporters WHERE publication_id = $1', [db.publicationId]))
      .rows[0];
    const deepAfterId = size.max - Math.round(size.n * 0.75);
    const queries: ReportQueries = await captureReportQueries({
      publicationId: db.publicationId,
      timeZone: TIME_ZONE,
      range,
      pageLimit: PAGE,
      deepAfterId,
    });
    if (o.printSql) {
      for (const [name, q] of Object.entries(queries)) {
        if (typeof q === 'function') continue;
        for (const s of Array.isArray(q) ? q : 'sql' in q ? [q] : Object.values(q).flat())
          console.log(`-- ${name}\n${s.sql}\n-- ${JSON.stringify(s.parameters)}\n`);
      }
    }

    progress(
      `reports: starting the server (${o.runtime === 'tsx' ? 'node --import tsx src/server.ts' : 'compiled JS, as npm start runs it'})`,
    );
    server = await startBenchServer({ DATABASE_URL: db.url, PUBLIC_URL: BENCH_PUBLIC_URL }, o.runtime);
    const { port, pid } = server;
    const svc = (path: string) => () => get(port, agent, db.apiKey, path, true);
    const q = (o2: Record<string, string>) => new URLSearchParams(o2).toString();
    const rssIdleMb = statusMb(pid, 'VmRSS') ?? Number.NaN;
    const meter = startCpuMeter({ serverPid: pid, database: db.name });
    const it = { iterations: o.iterations, warmup: o.warmup };

    const summary = await measure('summary', it, svc(`/api/reports/summary?${q(range)}`), () => floorSummary(pool, queries));
    const first = await measure('supporters first page', it, svc(`/api/reports/supporters?limit=${PAGE}`), () =>
      floorSupportersPage(pool, queries, false, PAGE),
    );
    const deep = await measure(
      'supporters deep page',
      it,
      svc(`/api/reports/supporters?limit=${PAGE}&cursor=${encodeCursor(deepAfterId)}`),
      () => floorSupportersPage(pool, queries, true, PAGE),
    );
    const articles = await measure('articles', it, svc(`/api/reports/articles?${q({ ...range, limit: '100' })}`), () =>
      floorArticles(pool, queries),
    );
    const timeseries = await measure(
      'timeseries revenue/week',
      it,
      svc(`/api/reports/timeseries?${q({ ...range, metric: 'revenue', interval: 'week' })}`),
      () => floorTimeseries(pool, queries),
    );
    const donations = await measure('donations first page', it, svc(`/api/reports/donations?${q(range)}`), () =>
      floorDonations(pool, queries),
    );
    assertRunning(server, 'the server');
    const rssAfterJsonMb = statusMb(pid, 'VmRSS') ?? Number.NaN;
    const jsonCpu = meter();

    // --- supporters.csv: every supporter, on a freshly started server (its RSS is the export's own) ------------------
    await server.stop();
    progress('reports: restarting the server for the exports');
    server = await startBenchServer({ DATABASE_URL: db.url, PUBLIC_URL: BENCH_PUBLIC_URL }, o.runtime);
    const csvPid = server.pid;
    const csvMeter = startCpuMeter({ serverPid: csvPid, database: db.name });
    const rssFreshMb = statusMb(csvPid, 'VmRSS') ?? Number.NaN;
    progress(`reports: supporters.csv (1 warm-up, ${o.csvIterations} measured, alternating with the floor; RSS every 50 ms)`);
    const csvPort = server.port;
    const csv = () => get(csvPort, agent, db.apiKey, '/api/reports/supporters.csv', false);
    let rssPeakMb = rssFreshMb;
    const sampler = setInterval(() => {
      const now = statusMb(csvPid, 'VmRSS');
      if (now !== undefined) rssPeakMb = Math.max(rssPeakMb, now);
    }, 50);
    await csv();
    await floorSupportersCsv(pool, queries);
    const rssAfterWarmupMb = statusMb(csvPid, 'VmRSS') ?? Number.NaN;
    const csvRates: number[] = [];
    const floorRates: number[] = [];
    const csvMs: number[] = [];
    let csvLines = 0;
    let csvBytes = 0;
    let floorLines = 0;
    let floorRows = 0;
    try {
      for (let i = 0; i < o.csvIterations; i++) {
        const a = await csv();
        if (a.status !== 200) throw new Error(`supporters.csv: HTTP ${a.status} ${a.body.slice(0, 300)}`);
        csvLines = a.newlines - 1; // the header
        csvBytes = a.bytes;
        csvMs.push(a.ms);
        csvRates.push((csvLines * 1000) / a.ms);
        const t0 = performance.now();
        const f = await floorSupportersCsv(pool, queries);
        floorRates.push((f.lines * 1000) / (performance.now() - t0));
        floorLines = f.lines;
        floorRows = f.rows;
      }
    } finally {
      clearInterval(sampler);
    }
    const csvCpu = csvMeter();
    const cpu = {
      ...jsonCpu,
      serverMs: jsonCpu.serverMs + csvCpu.serverMs,
      postgresMs: jsonCpu.postgresMs + csvCpu.postgresMs,
      benchMs: jsonCpu.benchMs + csvCpu.benchMs,
      otherMs: jsonCpu.otherMs + csvCpu.otherMs,
      machineMs: jsonCpu.machineMs + csvCpu.machineMs,
    };
    assertRunning(server, 'the server');
    const rssHwmMb = statusMb(csvPid, 'VmHWM') ?? Number.NaN;
    const csvRate = stats(csvRates);
    const floorRate = stats(floorRates);

    // --- checks --------------------------------------------------------------------------------------------------------
    const mismatches = [
      ...checkSummary(summary.serviceValue as Json, summary.floorValue as Row[][]),
      ...checkSupporters(first.serviceValue as Json, first.floorValue),
      ...checkSupporters(deep.serviceValue as Json, deep.floorValue),
      ...checkArticles(articles.serviceValue as Json, articles.floorValue),
      ...checkTimeseries(timeseries.serviceValue as Json, timeseries.floorValue),
      ...checkDonations(donations.serviceValue as Json, donations.floorValue),
    ];
    if (csvLines !== floorLines) mismatches.push(`supporters.csv lines: API ${csvLines}, SQL ${floorLines}`);
    const failedChecks = verification.checks.filter((c) => !c.pass);

    // --- details ---------------------------------------------------------------------------------------------------------
    console.log(`\n## reports — ${db.name}, publication 'bench' (${TIME_ZONE}), range ${range.from} … ${range.to}, server ${o.runtime}`);
    if (seed) {
      console.log(`seeded in ${seed.seconds.toFixed(0)} s (set-based SQL, rollups by favour_recompute_rollups(), then VACUUM ANALYZE):`);
      for (const [k, v] of Object.entries(seed.mix)) console.log(`  ${k}: ${v}`);
      console.log(
        `  rows: ${Object.entries(seed.counts)
          .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
          .join(', ')}`,
      );
      console.log(
        `  slowest steps: ${[...seed.steps]
          .sort((a, b) => b.seconds - a.seconds)
          .slice(0, 5)
          .map((s) => `${s.step} ${s.seconds.toFixed(1)} s`)
          .join('; ')}`,
      );
    }
    console.log(
      `rollup rows: article_daily_totals ${layout.article_rows.toLocaleString('en-US')} rows, widget_daily_counters ${layout.counter_rows.toLocaleString('en-US')} rows`,
    );
    console.log(`rollup exactness (month ${verification.month}, payments vs rollups):`);
    console.log(verification.monthTable.map((l) => `  ${l}`).join('\n'));
    for (const c of verification.checks) console.log(`  ${c.pass ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
    const line = (name: string, m: Measured<unknown, unknown>) =>
      `| ${name} | ${m.service.p50.toFixed(1)} | ${m.service.p95.toFixed(1)} | ${m.service.mean.toFixed(1)} | ${m.floor.p50.toFixed(1)} | ${m.floor.p95.toFixed(1)} | ${(m.service.p50 / m.floor.p50).toFixed(2)}× | ${(m.bytes / 1024).toFixed(1)} kB |`;
    console.log(
      `\nlatency in ms, ${o.iterations} requests each after ${o.warmup} warm-up, one at a time; floor = the repository's statements on bare pg:`,
    );
    console.log('| endpoint | p50 | p95 | mean | floor p50 | floor p95 | ratio p50 | response |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    console.log(line(`summary, 1 year`, summary));
    console.log(line(`supporters?limit=${PAGE}, first page`, first));
    console.log(line(`supporters?limit=${PAGE}, deep page (after ${Math.round(size.n * 0.75).toLocaleString('en-US')} newer)`, deep));
    console.log(line('articles, 1 year, limit=100', articles));
    console.log(line('timeseries revenue/week, 1 year', timeseries));
    console.log(line('donations, first page', donations));
    console.log(
      `\nsupporters.csv: ${csvLines.toLocaleString('en-US')} rows (${floorRows.toLocaleString('en-US')} supporters), ${(csvBytes / 2 ** 20).toFixed(1)} MB; ` +
        `${Math.round(csvRate.p50).toLocaleString('en-US')} rows/s p50 (min ${Math.round(csvRate.min).toLocaleString('en-US')}, max ${Math.round(csvRate.max).toLocaleString('en-US')}), ` +
        `${stats(csvMs).p50.toFixed(0)} ms per export; floor (the export query through the same cursor reader) ${Math.round(floorRate.p50).toLocaleString('en-US')} rows/s`,
    );
    console.log(
      `server RSS (${o.runtime}): idle ${rssIdleMb.toFixed(0)} MB, after the JSON reports ${rssAfterJsonMb.toFixed(0)} MB; exports on a fresh server: ` +
        `idle ${rssFreshMb.toFixed(0)} MB, after the first export ${rssAfterWarmupMb.toFixed(0)} MB, peak during ${o.csvIterations + 1} exports ${rssPeakMb.toFixed(0)} MB (VmHWM ${rssHwmMb.toFixed(0)} MB)`,
    );
    console.log(
      mismatches.length === 0
        ? "check: every number the API returned equals the floor's SQL result (summary per currency, funnel, members, pages, articles, timeseries, CSV rows)"
        : `check: API and SQL DIFFER: ${mismatches.slice(0, 10).join('; ')}`,
    );
    console.log(
      `CPU over the measurements: server ${(cpu.serverMs / 1000).toFixed(1)} s, postgres ${(cpu.postgresMs / 1000).toFixed(1)} s, this process ${(cpu.benchMs / 1000).toFixed(1)} s, other processes ${foreignShare(cpu).toFixed(0)} % of the machine`,
    );

    if (o.explain) {
      const plans: [string, ReturnType<typeof queries.supporterTotals>][] = [
        ...queries.summary.map((s, i) => [`summary #${i + 1}`, s] as [string, typeof s]),
        ['supporters list (first page)', queries.supportersList],
        ['supporters list (deep page)', queries.supportersDeepList],
        ['articles by article_url: funnel', queries.articles.article_url[0]!],
        ['articles by article_url: revenue', queries.articles.article_url[1]!],
        ['articles by variant: funnel', queries.articles.variant[0]!],
        ['articles by variant: revenue', queries.articles.variant[1]!],
        ['timeseries revenue', queries.timeseriesRevenue],
        ['donations', queries.donations],
        ['supporters.csv', queries.supportersCsv],
      ];
      for (const [name, s] of plans) console.log(`\n### EXPLAIN (ANALYZE, BUFFERS) ${name}\n${await explain(pool, s)}`);
    }

    // --- rows -------------------------------------------------------------------------------------------------------------
    const latency = (metric: string, m: Measured<unknown, unknown>, target?: number): BenchRow[] => [
      {
        bench: 'reports',
        metric: `${metric} p50`,
        unit: 'ms',
        value: m.service.p50,
        floor: m.floor.p50,
        ratio: m.service.p50 / m.floor.p50,
        target: target ? `≤ ${target} ms` : '—',
        pass: target ? m.service.p50 <= target : undefined,
      },
      {
        bench: 'reports',
        metric: `${metric} p95`,
        unit: 'ms',
        value: m.service.p95,
        floor: m.floor.p95,
        ratio: m.service.p95 / m.floor.p95,
        target: '—',
        pass: undefined,
      },
    ];
    return [
      ...latency('summary (1 year)', summary, TARGETS.summaryMs),
      ...latency('supporters first page', first, TARGETS.supportersMs),
      ...latency('supporters deep page', deep, TARGETS.supportersMs),
      ...latency('articles (1 year)', articles, TARGETS.articlesMs),
      ...latency('timeseries revenue/week (1 year)', timeseries),
      ...latency('donations first page', donations),
      {
        bench: 'reports',
        metric: 'supporters.csv rows/s (p50)',
        unit: '/s',
        value: csvRate.p50,
        floor: floorRate.p50,
        ratio: csvRate.p50 / floorRate.p50,
        target: `≥ ${TARGETS.csvRowsPerSecond.toLocaleString('en-US')}/s`,
        pass: csvRate.p50 >= TARGETS.csvRowsPerSecond,
      },
      {
        bench: 'reports',
        metric: 'supporters.csv server RSS peak',
        unit: 'MB',
        value: rssPeakMb,
        target: `≤ ${TARGETS.csvRssMb} MB`,
        pass: rssPeakMb <= TARGETS.csvRssMb,
      },
      {
        bench: 'reports',
        metric: 'API numbers ≠ SQL',
        unit: 'count',
        value: mismatches.length,
        target: '0',
        pass: mismatches.length === 0,
      },
      {
        bench: 'reports',
        metric: 'seeded rollups: failed checks',
        unit: 'count',
        value: failedChecks.length,
        target: '0',
        pass: failedChecks.length === 0,
      },
      ...(seed
        ? [{ bench: 'reports', metric: 'seeding time, s', unit: 'count' as const, value: seed.seconds, target: '—', pass: undefined }]
        : []),
      {
        bench: 'reports',
        metric: 'CPU taken by other processes',
        unit: '%',
        value: foreignShare(cpu),
        target: '≈ 0 for valid figures',
        pass: undefined,
      },
    ];
  } catch (err) {
    if (o.keep) keep = true;
    throw err;
  } finally {
    agent.destroy();
    await server?.stop();
    await pool.end();
    if (keep) progress(`reports: database ${db.name} kept (rerun with --db ${db.name}; drop it with: psql -c 'DROP DATABASE ${db.name}')`);
    else {
      await db.drop();
      progress(`reports: database ${db.name} dropped`);
    }
  }
}

if (isMainModule(import.meta.url)) runAsScript(() => runReportsBench(parseArgs(process.argv.slice(2))));
