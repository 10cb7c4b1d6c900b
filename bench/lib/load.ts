import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { type LatencySummary, summarize } from './stats.js';

/** What one load run measured: requests completed, their rate and latency (ms). */
export interface LoadResult {
  requests: number;
  seconds: number;
  rate: number;
  latency: LatencySummary;
  /** Requests that failed or answered other than expected. */
  errors: number;
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * autocannon at `connections` keep-alive connections against 127.0.0.1:port. Request i of `amount` is `request(i)`;
 * without `amount` it runs for `seconds`. Answers with a status other than `expectStatus` count as errors.
 */
export async function httpLoad(o: {
  port: number;
  connections: number;
  request: (i: number) => HttpRequestSpec;
  amount?: number;
  seconds?: number;
  expectStatus: number;
}): Promise<LoadResult> {
  let next = 0;
  let unexpected = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${o.port}`,
    connections: o.connections,
    pipelining: 1,
    ...(o.amount ? { amount: o.amount } : { duration: o.seconds ?? 10 }),
    requests: [{ setupRequest: (req) => ({ ...req, ...o.request(next++) }) }],
    // hdr-histogram percentiles in ms; statuses are counted below.
  });
  for (const [code, n] of Object.entries(result.statusCodeStats ?? {})) if (Number(code) !== o.expectStatus) unexpected += n.count ?? 0;
  const seconds = result.duration;
  const requests = result.requests.total;
  return {
    requests,
    seconds,
    rate: requests / seconds,
    latency: {
      count: requests,
      mean: result.latency.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    errors: result.errors + result.timeouts + unexpected,
  };
}

/** `count` calls of `run(i)` with `concurrency` in flight at a time (a closed loop, like autocannon's connections). */
export async function closedLoop(concurrency: number, count: number, run: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies = new Float64Array(count);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        try {
          await run(i);
        } catch {
          errors++;
        }
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { requests: count, seconds, rate: count / seconds, latency: summarize(latencies), errors };
}
