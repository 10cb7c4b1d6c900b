import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { runCheckoutBench } from './checkout.bench.js';
import { runPageViewsBench } from './page-views.bench.js';
import { runReportsBench } from './reports.bench.js';
import { runSoakBench } from './soak.bench.js';
import { type BenchRow, formatTable, progress } from './lib/report.js';
import { settings } from './lib/settings.js';
import { runWebhooksBench } from './webhooks.bench.js';

/*
 * `npm run bench`: the benches in turn (never in parallel: they would share the two cores), then one table.
 * By default the quick ones (webhooks, page views, checkout, ~3 minutes); BENCH_ONLY=reports,soak (any subset, or `all`)
 * picks others: reports seeds a million payments (~10 minutes), soak runs ~18 minutes.
 * BENCH_STRICT=1 exits 1 when a target is missed.
 */

const BENCHES: Record<string, () => Promise<BenchRow[]>> = {
  webhooks: runWebhooksBench,
  'page-views': runPageViewsBench,
  checkout: runCheckoutBench,
  reports: () => runReportsBench(),
  soak: () => runSoakBench(),
};
const DEFAULT_BENCHES = ['webhooks', 'page-views', 'checkout'];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((name) => name !== 'all' && !(name in BENCHES)) ?? [];
  if (unknown.length) throw new Error(`BENCH_ONLY: unknown bench ${unknown.join(', ')} (one of ${Object.keys(BENCHES).join(', ')}, all)`);
  const names = Object.keys(BENCHES).filter((name) =>
    only ? only.includes('all') || only.includes(name) : DEFAULT_BENCHES.includes(name),
  );
  const started = Date.now();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const rows: BenchRow[] = [];
  const crashed: string[] = [];
  for (const name of names) {
    try {
      rows.push(...(await BENCHES[name]!()));
    } catch (err) {
      crashed.push(name);
      progress(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `\n# favour benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GB; ${settings.concurrency} connections; load average at start ${load}, at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${seconds} s`,
  );
  console.log(formatTable(rows));
  if (crashed.length) console.log(`\nCRASHED: ${crashed.join(', ')} (see above)`);
  const missed = rows.filter((r) => r.pass === false).length;
  console.log(`\n${missed === 0 && !crashed.length ? 'all targets met' : `${missed} target(s) missed`}`);
  process.exitCode = crashed.length ? 1 : missed > 0 && process.env.BENCH_STRICT === '1' ? 1 : 0;
}

await main();
