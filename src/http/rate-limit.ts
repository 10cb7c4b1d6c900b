import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { HttpError } from './http-error.js';

/** A limit on how often one key (a client IP, a publication) may do something. */
export interface RateLimit {
  /** Counts one request for `key`; throws a 429 HttpError (and sets Retry-After) when over the limit. */
  consume(res: Response, key: string): Promise<void>;
}

/** "10/600" means 10 requests per 600 seconds; "0" or "off" means no limit. */
export interface LimitSpec {
  points: number;
  seconds: number;
}

export function parseLimitSpec(text: string): LimitSpec | null {
  if (text === '0' || text === 'off') return null;
  const match = /^(\d{1,7})\/(\d{1,7})$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a limit like 10/600 (requests per seconds) or off`);
  return { points: Number(match[1]), seconds: Number(match[2]) };
}

export function createRateLimit(limiter: RateLimiterAbstract): RateLimit {
  return {
    async consume(res, key) {
      try {
        await limiter.consume(key);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        res.set('Retry-After', String(seconds));
        throw new HttpError(429, 'rate_limited', `Too many requests; try again in ${seconds} s.`);
      }
    },
  };
}

/** No limit at all (tests, benchmarks). */
export const unlimited: RateLimit = { consume: async () => {} };

/** In-process limits, for a single instance (the embedded database) and for tests. */
export function memoryRateLimit(points: number, seconds: number): RateLimit {
  return createRateLimit(new RateLimiterMemory({ points, duration: seconds }));
}

/** Where counters live: in memory (one instance), in Postgres, or in Redis (shared by every instance). */
export type RateLimitStore = { kind: 'memory' } | { kind: 'postgres'; pool: pg.Pool } | { kind: 'redis'; client: Redis };

export function rateLimitIn(store: RateLimitStore, name: string, spec: LimitSpec | null): RateLimit {
  if (!spec) return unlimited;
  const base = { points: spec.points, duration: spec.seconds, keyPrefix: name };
  switch (store.kind) {
    case 'memory':
      return createRateLimit(new RateLimiterMemory(base));
    case 'postgres':
      // The table comes from our migrations; expired rows are swept hourly by the library. If the
      // store fails, an in-memory limiter stands in rather than turning readers away.
      return createRateLimit(
        new RateLimiterPostgres({ ...base, storeClient: store.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, insuranceLimiter: new RateLimiterMemory(base) }),
      );
    case 'redis':
      return createRateLimit(new RateLimiterRedis({ ...base, storeClient: store.client, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(base) }));
  }
}

/** The limits the app enforces. */
export interface RateLimits {
  /** POST /api/checkout per client IP: card testers come from few addresses. */
  checkoutPerIp: RateLimit;
  /** POST /api/checkout per publication: a ceiling when they come from many. */
  checkoutPerPublication: RateLimit;
  /** POST /api/events per client IP. */
  eventsPerIp: RateLimit;
}

export const NO_RATE_LIMITS: RateLimits = { checkoutPerIp: unlimited, checkoutPerPublication: unlimited, eventsPerIp: unlimited };

export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
