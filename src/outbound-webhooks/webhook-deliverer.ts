import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { type BackgroundWorker, createBackgroundLoop } from '../ops/background-loop.js';
import { guardedLookup, type TargetPolicy } from './safe-target.js';
import {
  type AttemptOutcome,
  claimDueDeliveries,
  type DueDelivery,
  markAttemptFailed,
  markDelivered,
} from './webhook-delivery.repository.js';
import { signedHeaders } from './webhook-signature.js';

/** Delivers publishers' webhooks in the background; one per instance. */
export type WebhookDeliverer = BackgroundWorker;

export interface WebhookDelivererOptions {
  db: Db;
  logger: Logger;
  policy: TargetPolicy;
  now?: () => Date;
  /** Attempts in flight at once (default 8), and at most this many to one endpoint (default 2). */
  concurrency?: number;
  perEndpoint?: number;
  /** How long a claimed delivery is held before another instance may take it (default 60 s: above the 10 s timeout). */
  leaseSeconds?: number;
  /** Fallback poll for deliveries written elsewhere and retries come due (default 2 s; 0: none). */
  pollMs?: number;
  /** How long an attempt may take (default ATTEMPT_TIMEOUT_MS, 10 s). */
  timeoutMs?: number;
  /** Each attempt's outcome, for the latency histogram. */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

/** An answer within this long, or the attempt failed. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h: about three days before a delivery is given up. */
const RETRY_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000, 36_000, 36_000, 36_000, 36_000];
/** An endpoint that has not taken a delivery for this long is disabled. */
const DISABLE_AFTER_SECONDS = 5 * 86_400;

export function retryDelaySeconds(attempts: number): number | undefined {
  return RETRY_SECONDS[attempts - 1];
}

/** POSTs `body` to `url`; resolves with the status, whatever it is, or rejects when no answer came in time. */
function post(url: string, headers: Record<string, string>, body: string, policy: TargetPolicy, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'favour-webhooks/1', ...headers },
      lookup: guardedLookup(policy),
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.on('response', (response) => {
      response.resume(); // the answer's body is not read, only drained
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

export function createWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { db, logger, policy } = options;
  const now = options.now ?? (() => new Date());
  const concurrency = options.concurrency ?? 8;
  const perEndpoint = options.perEndpoint ?? 2;
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const inFlight = new Map<string, number>();
  let running = 0;

  async function attempt(delivery: DueDelivery): Promise<void> {
    const at = now();
    const secrets = [
      delivery.secret,
      ...(delivery.previous_secret && delivery.previous_secret_expires_at && delivery.previous_secret_expires_at > at
        ? [delivery.previous_secret]
        : []),
    ];
    const body = JSON.stringify(delivery.body);
    const started = performance.now();
    let outcome: AttemptOutcome;
    try {
      const status = await post(
        delivery.url,
        signedHeaders(secrets, { id: delivery.webhook_id, timestamp: at, body }),
        body,
        policy,
        timeoutMs,
      );
      outcome = {
        status,
        error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
        durationMs: Math.round(performance.now() - started),
      };
    } catch (err) {
      const error =
        err instanceof Error
          ? err.name === 'TimeoutError' || err.name === 'AbortError'
            ? `timed out after ${timeoutMs / 1000} s`
            : err.message
          : String(err);
      outcome = { status: null, error: error.slice(0, 300), durationMs: Math.round(performance.now() - started) };
    }
    options.onAttempt?.(outcome);
    const log = {
      delivery_id: delivery.id,
      endpoint: delivery.endpoint_id,
      type: delivery.type,
      attempts: delivery.attempts,
      ms: outcome.durationMs,
    };
    if (outcome.error === null) {
      await markDelivered(db, delivery, outcome, now());
      logger.info({ ...log, status: outcome.status }, 'webhook delivered');
      return;
    }
    const delay = retryDelaySeconds(delivery.attempts);
    const { disabled } = await markAttemptFailed(db, delivery, outcome, {
      nextAttemptAt: delay === undefined ? undefined : new Date(now().getTime() + delay * 1000),
      now: now(),
      disableAfterSeconds: DISABLE_AFTER_SECONDS,
    });
    logger.warn(
      { ...log, err: outcome.error, retry_in_s: delay ?? null },
      delay === undefined ? 'webhook given up' : 'webhook not delivered; will retry',
    );
    if (disabled) logger.error({ endpoint: delivery.endpoint_id }, 'webhook endpoint disabled: failing for 5 days');
  }

  function start(delivery: DueDelivery, tasks: Set<Promise<void>>): void {
    running++;
    inFlight.set(delivery.endpoint_id, (inFlight.get(delivery.endpoint_id) ?? 0) + 1);
    const task = attempt(delivery)
      .catch((err: unknown) =>
        // Not recorded (the database went away): the lease brings it back.
        logger.warn({ delivery_id: delivery.id, err: err instanceof Error ? err.message : String(err) }, 'webhook deliverer: failed'),
      )
      .finally(() => {
        running--;
        const left = (inFlight.get(delivery.endpoint_id) ?? 1) - 1;
        if (left > 0) inFlight.set(delivery.endpoint_id, left);
        else inFlight.delete(delivery.endpoint_id);
        tasks.delete(task);
      });
    tasks.add(task);
  }

  /** Keeps up to `concurrency` attempts in flight, claiming more as each ends, until nothing is due or in flight. */
  async function pass(): Promise<boolean> {
    const tasks = new Set<Promise<void>>();
    let healthy = true;
    while (!loop.stopped) {
      let batch: DueDelivery[] = [];
      if (running < concurrency && healthy) {
        const busy = [...inFlight].filter(([, count]) => count >= perEndpoint).map(([endpoint]) => endpoint);
        try {
          batch = await claimDueDeliveries(db, now(), concurrency - running, options.leaseSeconds ?? 60, busy, perEndpoint);
        } catch (err) {
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook deliverer: claim failed; will retry');
          healthy = false;
        }
      }
      for (const delivery of batch) start(delivery, tasks);
      if (tasks.size === 0) break;
      // Wait for the first attempt to end, then claim again: a slow endpoint holds its own slots only.
      if (batch.length === 0 || running >= concurrency) await Promise.race(tasks);
    }
    await Promise.all(tasks);
    return healthy;
  }

  const loop = createBackgroundLoop(pass, options.pollMs ?? 2000);
  return { wake: loop.wake, drain: loop.drain, stop: loop.stop };
}
