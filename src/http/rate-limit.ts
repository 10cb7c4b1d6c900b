import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HttpError } from './http-error.js';

/** A limit on how often one client (by IP) may call an endpoint. */
export interface RateLimit {
  /** Counts one request; throws a 429 HttpError (and sets Retry-After) when over the limit. */
  consume(req: Request, res: Response): Promise<void>;
}

export function createRateLimit(limiter: RateLimiterAbstract, keyOf: (req: Request) => string = (req) => req.ip ?? 'unknown'): RateLimit {
  return {
    async consume(req, res) {
      try {
        await limiter.consume(keyOf(req));
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        res.set('Retry-After', String(seconds));
        throw new HttpError(429, 'rate_limited', `Too many requests; try again in ${seconds} s.`);
      }
    },
  };
}

/** In-process limits, for one instance (the embedded database) and for tests. */
export function memoryRateLimit(points: number, durationSeconds: number): RateLimit {
  return createRateLimit(new RateLimiterMemory({ points, duration: durationSeconds }));
}

/** No limit at all (benchmarks, trusted internal callers). */
export const unlimited: RateLimit = { consume: async () => {} };
