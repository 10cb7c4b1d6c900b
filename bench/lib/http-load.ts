import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { type LatencySummary, summarize } from './stats.js';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Byte length of body, when the caller already knows it. */
  bodyBytes?: number;
}

export interface LoadResult {
  completed: number;
  errors: number;
  durationMs: number;
  /** Completed requests per second over the phase. */
  rate: number;
  latency: LatencySummary;
  /** Per-request latencies in ms, in completion order (to merge slices). */
  samples: Float64Array;
  statuses: Record<string, number>;
  /** Up to five bodies of unexpected answers, for diagnosis. */
  errorSamples: string[];
  /** True when the phase hit its time limit before sending every request. */
  stoppedEarly: boolean;
}

export interface LoadOptions {
  port: number;
  concurrency: number;
  total: number;
  /** Builds request i (0 ≤ i < total). */
  request: (i: number) => LoadRequest;
  expectStatus: number;
  agent: http.Agent;
  timeoutMs?: number;
  maxDurationMs: number;
}

/** A keep-alive agent with one socket per worker; reuse it across warm-up and measurement. */
export function keepAliveAgent(concurrency: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, keepAliveMsecs: 10_000 });
}

interface Answer {
  status: number;
  body?: string;
}

function send(port: number, agent: http.Agent, r: LoadRequest, timeoutMs: number, keepBody: (status: number) => boolean): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = r.bodyBytes ?? Buffer.byteLength(r.body);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent }, (res) => {
      const status = res.statusCode ?? 0;
      if (!keepBody(status)) {
        res.resume();
        res.on('end', () => resolve({ status }));
        res.on('error', () => resolve({ status: 0, body: 'response error' }));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 2_000) body += chunk;
      });
      res.on('end', () => resolve({ status, body }));
      res.on('error', () => resolve({ status: 0, body: 'response error' }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end(r.body);
  });
}

/**
 * Closed-loop load: `concurrency` workers over keep-alive connections to 127.0.0.1, each sending its next
 * request as soon as the previous one is answered, until `total` requests or `maxDurationMs`.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies = new Float64Array(o.total);
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  const timeoutMs = o.timeoutMs ?? 10_000;
  const keepBody = (status: number) => status !== o.expectStatus;
  let next = 0;
  let completed = 0;
  let errors = 0;
  let stoppedEarly = false;
  const started = performance.now();
  const deadline = started + o.maxDurationMs;

  async function worker(): Promise<void> {
    while (next < o.total) {
      if (performance.now() > deadline) {
        stoppedEarly = true;
        return;
      }
      const i = next++;
      const request = o.request(i);
      const t0 = performance.now();
      const answer = await send(o.port, o.agent, request, timeoutMs, keepBody);
      latencies[completed++] = performance.now() - t0;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status !== o.expectStatus) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`${answer.status}: ${answer.body ?? ''}`.slice(0, 500));
      }
    }
  }

  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const durationMs = performance.now() - started;
  return {
    completed,
    errors,
    durationMs,
    rate: (completed * 1000) / durationMs,
    latency: summarize(latencies.subarray(0, completed)),
    samples: latencies.subarray(0, completed),
    statuses,
    errorSamples,
    stoppedEarly,
  };
}
