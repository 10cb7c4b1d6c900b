import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of the benchmark table. `pass` undefined means informational (no target). */
export interface BenchRow {
  bench: string;
  metric: string;
  unit: '/s' | 'ms' | 'MB' | 'count' | '%';
  value: number;
  /** The same metric for the floor (bare database writes, or the Stripe stub hit directly). */
  floor?: number | undefined;
  /** value / floor. */
  ratio?: number | undefined;
  target: string;
  pass: boolean | undefined;
}

function formatValue(value: number | undefined, unit: BenchRow['unit']): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case '/s':
      return `${Math.round(value).toLocaleString('en-US')}/s`;
    case 'ms':
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
    case 'MB':
      return `${value.toFixed(0)} MB`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case '%':
      return `${value.toFixed(0)}%`;
  }
}

/** The table every bench script and run-all print. */
export function formatTable(rows: BenchRow[]): string {
  const header = ['name', 'metric', 'value', 'floor', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    formatValue(r.value, r.unit),
    formatValue(r.floor, r.unit),
    r.ratio === undefined || !Number.isFinite(r.ratio) ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target,
    r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 && i <= 4 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** Logs progress to stderr so stdout keeps only the results. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** True when the module at importMetaUrl is the script node was started with (tsx bench/x.ts). */
export function isMainModule(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(importMetaUrl)) === realpathSync(path.resolve(entry));
  } catch {
    return false;
  }
}

/** Runs a bench as a script: prints its table; exits 1 on a crash, or on a missed target when BENCH_STRICT=1. */
export function runAsScript(run: () => Promise<BenchRow[]>): void {
  run().then(
    (rows) => {
      process.stdout.write(`\n${formatTable(rows)}\n`);
      const failed = rows.some((r) => r.pass === false);
      process.exitCode = failed && process.env.BENCH_STRICT === '1' ? 1 : 0;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exitCode = 1;
    },
  );
}
