import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/../..): the server child runs from here. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Admin connection used to create and drop the bench database. */
export const ADMIN_DATABASE_URL = process.env.DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Origin of the seeded demo publication: article URLs of checkout requests live here. */
export const BENCH_PUBLIC_URL = 'https://news.example';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** Every knob, read once; all have defaults that keep `npm run bench` under about two minutes. */
export const settings = {
  /** Concurrent HTTP connections of the load generator, DB connections of the floor and of the server's pool. */
  concurrency: intFromEnv('BENCH_CONCURRENCY', 32, 1, 256),
  webhookEvents: intFromEnv('BENCH_EVENTS', 20_000, 100, 500_000),
  checkoutRequests: intFromEnv('BENCH_CHECKOUT_REQUESTS', 15_000, 100, 500_000),
  checkoutWarmup: intFromEnv('BENCH_CHECKOUT_WARMUP', 1_000, 1, 100_000),
  /**
   * Time box of each measured phase: it ends after N requests or this long, whichever comes first, so the whole
   * `npm run bench` stays near two minutes even on a slow machine (the rate is measured over what completed).
   */
  maxPhaseMs: intFromEnv('BENCH_MAX_PHASE_SECONDS', 15, 2, 600) * 1000,
  /** Floor and service alternate in this many slices each (the phase's N and time are split between them). */
  rounds: intFromEnv('BENCH_ROUNDS', 3, 1, 20),
  /**
   * The checkout rate limits (anti card testing: 10/600 s per IP and 300/600 s per publication by default) would
   * answer 429 within a second of load from one address. 'untripped' (default) keeps both limiters consuming on
   * every request, as in production, with limits nothing reaches; 'off' removes them from the path.
   */
  checkoutRateLimits: (process.env.BENCH_CHECKOUT_RATE_LIMITS?.trim() === 'off' ? 'off' : 'untripped') as 'off' | 'untripped',
  /** LOG_LEVEL of the server child (warn: no per-request lines, as in a quiet production). */
  serverLogLevel: process.env.BENCH_LOG_LEVEL?.trim() || 'warn',
  /** Extra environment for the server child, "NAME=value NAME2=value2" (experiments: REDIS_URL, DATABASE_POOL_SIZE …). */
  serverEnv: Object.fromEntries(
    (process.env.BENCH_SERVER_ENV ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`BENCH_SERVER_ENV: "${pair}" is not NAME=value`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  ) as Record<string, string>,
  /** Extra node flags for the server child, e.g. "--cpu-prof --cpu-prof-dir=/tmp/favour-prof". */
  serverNodeArgs: (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
};

/** The load generator, the floor and the server may only ever talk to this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`benchmarks only run against this machine; refusing host "${host}" in ${url}`);
  }
}
