import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type LimitSpec, parseLimitSpec, type RateLimits } from './http/rate-limit.js';
import { parseDuration } from './reconcile/duration.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const limitSpec = z.string().refine((text) => {
  try {
    parseLimitSpec(text);
    return true;
  } catch {
    return false;
  }
}, 'must be requests/seconds such as 10/600, or off');

const durationText = z.string().refine((text) => {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 15m, 1h or 900 (seconds), or 0 for off');

const envSchema = z.object({
  NODE_ENV: z.preprocess(blankToUndefined, z.string().default('development')),
  PORT: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  PUBLIC_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  DATABASE_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  DATABASE_POOL_SIZE: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(200).default(20)),
  WEBHOOK_APPLIER_CONCURRENCY: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(32).default(4)),
  STRIPE_SECRET_KEY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_\w+$/, 'must look like sk_test_…, sk_live_… or a restricted key rk_…')
      .optional(),
  ),
  STRIPE_WEBHOOK_SECRET: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^whsec_\w+$/, 'must look like whsec_…')
      .optional(),
  ),
  STRIPE_API_URL: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(LOG_LEVELS).default('info')),
  SHUTDOWN_TIMEOUT_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).default(10_000)),
  RATE_LIMIT_CHECKOUT_IP: z.preprocess(blankToUndefined, limitSpec.default('10/600')),
  RATE_LIMIT_CHECKOUT_PUBLICATION: z.preprocess(blankToUndefined, limitSpec.default('300/600')),
  RATE_LIMIT_CHECKOUT_IP_UNDER_LOAD: z.preprocess(blankToUndefined, limitSpec.default('2/600')),
  RATE_LIMIT_EVENTS_IP: z.preprocess(blankToUndefined, limitSpec.default('120/60')),
  RATE_LIMIT_PAGES_IP: z.preprocess(blankToUndefined, limitSpec.default('60/600')),
  RATE_LIMIT_MANAGE_EMAIL: z.preprocess(blankToUndefined, limitSpec.default('3/3600')),
  METRICS_TOKEN: z.preprocess(blankToUndefined, z.string().min(16, 'must be at least 16 characters').max(200).optional()),
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  TRUST_PROXY: z.preprocess(blankToUndefined, z.string().default('false')),
  RECONCILE_INTERVAL: z.preprocess(blankToUndefined, durationText.default('15m')),
  DEMO_SEED_SUPPORTERS: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(100_000).default(150)),
  SMTP_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example:587')
      .optional(),
  ),
  MAIL_FROM: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(300)
      .refine(
        (from) => /^[^\s@<>]+@[^\s@<>]+$/.test(from.trim()) || /<[^\s@<>]+@[^\s@<>]+>\s*$/.test(from),
        'must be an address or "Name <address>"',
      )
      .default('favour <no-reply@localhost>'),
  ),
  WEBHOOKS_ALLOW_PRIVATE: z.preprocess(blankToUndefined, z.enum(['true', 'false'], 'must be true or false').default('false')),
  // Longer than an attempt may take (10 s), or a delivery still in flight could be taken again.
  WEBHOOKS_LEASE_SECONDS: z.preprocess(
    blankToUndefined,
    z.coerce.number().int().min(12, 'must be at least 12 (an attempt may take 10 s)').max(3600).default(60),
  ),
  EMAIL_LEASE_SECONDS: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(3600).default(120)),
});

export interface StripeApiLocation {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/** Everything the service reads from its environment, validated once at start. */
export interface Config {
  /** `production` disables the demo publication created on first start. */
  nodeEnv: string;
  /** Port the HTTP server listens on (PORT, default 3000). */
  port: number;
  /** Public base URL of this service: success pages, the demo origin (PUBLIC_URL, default http://localhost:PORT). */
  publicUrl: string;
  /** Postgres connection URL; undefined means the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  /** Where the embedded database keeps its files (DATA_DIR, default ./data). */
  dataDir: string;
  /** Maximum connections in the Postgres pool (DATABASE_POOL_SIZE, default 20). */
  databasePoolSize: number;
  /** Batches of Stripe events the applier applies at once on Postgres (WEBHOOK_APPLIER_CONCURRENCY, default 4; 1 on the embedded database). */
  webhookApplierConcurrency: number;
  /** Stripe secret key; without it checkout answers 503 payments_not_configured. */
  stripeSecretKey: string | undefined;
  /** Signing secret of the Stripe webhook endpoint; without it webhooks answer 503. */
  stripeWebhookSecret: string | undefined;
  /** Stripe-compatible API to talk to instead of api.stripe.com (stripe-mock, a local stub). */
  stripeApi: StripeApiLocation | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
  /** Supporters of synthetic history given to a newly created demo publication (0: none). */
  demoSeedSupporters: number;
  /** Rate limits as requests per seconds; null means off. */
  rateLimits: Record<Exclude<keyof RateLimits, 'manageLinksPerAddress'>, LimitSpec | null>;
  /** When set, GET /metrics requires `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken: string | undefined;
  /** Shared store for rate limits across instances; without it Postgres (or memory when embedded). */
  redisUrl: string | undefined;
  /** Express "trust proxy": which proxies' X-Forwarded-For to believe (false: none). */
  trustProxy: boolean | number | string;
  /** Seconds between automatic reconciliations with Stripe's Events API; 0 turns them off. */
  reconcileIntervalSeconds: number;
  /** Manage links asked for per e-mail address (RATE_LIMIT_MANAGE_EMAIL); null means off. */
  manageLinksPerAddress: LimitSpec | null;
  /** SMTP server for e-mails to supporters (SMTP_URL); undefined: each message is written under DATA_DIR/outbox. */
  smtpUrl: string | undefined;
  /** The From of e-mails (MAIL_FROM); a publication's `email.from_name` replaces the name. */
  mailFrom: string;
  /**
   * How long an instance holds an e-mail it is sending before any instance may try it again (EMAIL_LEASE_SECONDS):
   * an instance killed mid-send leaves its messages to be sent this long after.
   */
  emailLeaseSeconds: number;
  /** Outbound webhooks may go to private, loopback and link-local addresses, and over http in production (WEBHOOKS_ALLOW_PRIVATE). */
  webhooksAllowPrivate: boolean;
  /** How long an instance holds an outbound webhook it is delivering before another may retry it (WEBHOOKS_LEASE_SECONDS). */
  webhooksLeaseSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Loads ./.env into process.env when present; variables already set keep their values. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Reads and validates the environment; lists every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if (trustProxy === true && e.NODE_ENV === 'production') {
    throw new ConfigError([
      'TRUST_PROXY: "true" believes any X-Forwarded-For, so every client could pick its own address and escape the rate limits. ' +
        'In production give the number of proxies in front of favour (e.g. 1) or their addresses/CIDRs (e.g. "loopback, 10.0.0.0/8").',
    ]);
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/(?<!\/)\/+$/, '');
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    publicUrl,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    webhookApplierConcurrency: e.WEBHOOK_APPLIER_CONCURRENCY,
    stripeSecretKey: e.STRIPE_SECRET_KEY,
    stripeWebhookSecret: e.STRIPE_WEBHOOK_SECRET,
    stripeApi: e.STRIPE_API_URL ? parseApiLocation(e.STRIPE_API_URL) : undefined,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    demoSeedSupporters: e.DEMO_SEED_SUPPORTERS,
    rateLimits: {
      checkoutPerIp: parseLimitSpec(e.RATE_LIMIT_CHECKOUT_IP),
      checkoutPerPublication: parseLimitSpec(e.RATE_LIMIT_CHECKOUT_PUBLICATION),
      checkoutPerIpUnderLoad: parseLimitSpec(e.RATE_LIMIT_CHECKOUT_IP_UNDER_LOAD),
      eventsPerIp: parseLimitSpec(e.RATE_LIMIT_EVENTS_IP),
      pagesPerIp: parseLimitSpec(e.RATE_LIMIT_PAGES_IP),
    },
    metricsToken: e.METRICS_TOKEN,
    redisUrl: e.REDIS_URL,
    trustProxy,
    reconcileIntervalSeconds: parseDuration(e.RECONCILE_INTERVAL),
    manageLinksPerAddress: parseLimitSpec(e.RATE_LIMIT_MANAGE_EMAIL),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM.trim(),
    emailLeaseSeconds: e.EMAIL_LEASE_SECONDS,
    webhooksAllowPrivate: e.WEBHOOKS_ALLOW_PRIVATE === 'true',
    webhooksLeaseSeconds: e.WEBHOOKS_LEASE_SECONDS,
  });
}

/** TRUST_PROXY: false/true, a number of proxy hops, or addresses/CIDRs/names such as "loopback, 10.0.0.0/8". */
function parseTrustProxy(text: string): boolean | number | string {
  const t = text.trim().toLowerCase();
  if (t === 'false' || t === '0' || t === 'no') return false;
  if (t === 'true' || t === 'yes') return true;
  if (/^\d+$/.test(t)) return Number(t);
  return text.trim();
}

function parseApiLocation(raw: string): StripeApiLocation {
  const url = new URL(raw);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
  };
}
