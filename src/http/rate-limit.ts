import { isIPv6 } from 'node:net';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { HttpError } from './http-error.js';

/** A limit on how often one key (a client address, a publication) may do something. */
export interface RateLimit {
  /** Counts one request for `key`; throws a 429 HttpError carrying Retry-After when over the limit. */
  consume(key: string): Promise<void>;
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
    async consume(key) {
      try {
        await limiter.consume(key);
      } catch (err) {
        if (!(err instanceof RateLimiterRes)) throw err;
        const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new HttpError(429, 'rate_limited', `Too many requests; try again in ${seconds} s.`, undefined, {
          'Retry-After': String(seconds),
        });
      }
    },
  };
}

/** True for the error `consume` throws when a key is over its limit. */
export const isRateLimited = (err: unknown): boolean => err instanceof HttpError && err.status === 429;

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
  // A key over its limit is refused from memory until its window ends: a flood does not become a flood of
  // store writes. If the store fails, an in-memory limiter stands in rather than turning readers away.
  const shared = { ...base, inMemoryBlockOnConsumed: spec.points + 1, insuranceLimiter: new RateLimiterMemory(base) };
  switch (store.kind) {
    case 'memory':
      return createRateLimit(new RateLimiterMemory(base));
    case 'postgres':
      // The table comes from our migrations; expired rows are swept hourly by the library.
      return createRateLimit(
        new RateLimiterPostgres({ ...shared, storeClient: store.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true }),
      );
    case 'redis':
      return createRateLimit(new RateLimiterRedis({ ...shared, storeClient: store.client, rejectIfRedisNotReady: true }));
  }
}

/** The limits the app enforces. */
export interface RateLimits {
  /** POST /api/checkout per client: card testers come from few addresses. */
  checkoutPerIp: RateLimit;
  /** POST /api/checkout per publication, across all instances: when it trips, `checkoutPerIpUnderLoad` applies. */
  checkoutPerPublication: RateLimit;
  /** POST /api/checkout per client and publication while that publication is over its ceiling. */
  checkoutPerIpUnderLoad: RateLimit;
  /** POST /api/events per client. */
  eventsPerIp: RateLimit;
  /** GET /thanks and POST /billing-portal per client: each may ask Stripe about a session. */
  pagesPerIp: RateLimit;
  /** POST /manage/:publication per e-mail address: a stranger cannot fill a member's inbox with links. */
  manageLinksPerAddress: RateLimit;
}

/**
 * Every limit of the configuration, counted in one store, so all instances on that store share them. Beacons
 * come with every article view: their limit is kept in memory unless Redis is there, so a page view costs
 * Postgres nothing.
 */
export function rateLimitsIn(
  store: RateLimitStore,
  specs: Record<Exclude<keyof RateLimits, 'manageLinksPerAddress'>, LimitSpec | null> & { manageLinksPerAddress?: LimitSpec | null },
): RateLimits {
  const beaconStore: RateLimitStore = store.kind === 'postgres' ? { kind: 'memory' } : store;
  return {
    checkoutPerIp: rateLimitIn(store, 'checkout-ip', specs.checkoutPerIp),
    checkoutPerPublication: rateLimitIn(store, 'checkout-publication', specs.checkoutPerPublication),
    checkoutPerIpUnderLoad: rateLimitIn(store, 'checkout-ip-under-load', specs.checkoutPerIpUnderLoad),
    eventsPerIp: rateLimitIn(beaconStore, 'events-ip', specs.eventsPerIp),
    pagesPerIp: rateLimitIn(store, 'pages-ip', specs.pagesPerIp),
    manageLinksPerAddress: rateLimitIn(store, 'manage-email', specs.manageLinksPerAddress ?? null),
  };
}

export const NO_RATE_LIMITS: RateLimits = {
  checkoutPerIp: unlimited,
  checkoutPerPublication: unlimited,
  checkoutPerIpUnderLoad: unlimited,
  eventsPerIp: unlimited,
  pagesPerIp: unlimited,
  manageLinksPerAddress: unlimited,
};

/**
 * Whom a rate limit counts: the client's IPv4 address, or the /64 network of an IPv6 one (a single
 * subscriber usually has a whole /64, so one address each would be endless identities).
 */
export function clientKey(req: Request): string {
  return rateLimitKeyOf(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

export function rateLimitKeyOf(address: string): string {
  const ip = address.split('%')[0]!; // no zone index (fe80::1%eth0)
  if (!isIPv6(ip)) return ip;
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7); // IPv4-mapped
  const [head = '', tail] = lower.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // A dotted IPv4 tail stands for two groups.
  const groups = (parts: string[]) => parts.reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const full = tail === undefined ? left : [...left, ...Array<string>(8 - groups(left) - groups(right)).fill('0'), ...right];
  return `${full
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
