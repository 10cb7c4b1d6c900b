import { z } from 'zod';

/** A calendar date as YYYY-MM-DD that exists (no 2026-02-30). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(
    (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    'is not a real date',
  );

const MAX_RANGE_DAYS = 3700;

/** `from`/`to` (inclusive, publication-local dates) and an optional publication slug, common to every report. */
export const rangeQuerySchema = z.object({
  from: isoDate.optional(),
  to: isoDate.optional(),
  publication: z.string().max(63).optional(),
});

export const timeseriesQuerySchema = rangeQuerySchema
  .extend({
    metric: z.enum(['revenue', 'supporters', 'members', 'mrr']),
    interval: z.enum(['day', 'week', 'month']).default('day'),
  })
  .strict();

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const supportersQuerySchema = z
  .object({
    publication: z.string().max(63).optional(),
    cursor: z.string().max(100).optional(),
    limit: limit(500, 50),
    order: z.enum(['newest', 'oldest']).default('newest'),
    status: z.enum(['active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled', 'incomplete', 'incomplete_expired']).optional(),
    one_off_only: booleanFlag.optional(),
    lapsed: booleanFlag.optional(),
    min_lifetime: z.coerce.number().int().min(0).optional(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a three-letter currency code')
      .optional(),
    since: isoDate.optional(),
    q: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

export const donationsQuerySchema = rangeQuerySchema
  .extend({
    cursor: z.string().max(100).optional(),
    limit: limit(500, 50),
    status: z.enum(['pending', 'failed', 'succeeded', 'refunded', 'partially_refunded', 'disputed']).optional(),
    kind: z.enum(['one_off', 'membership']).optional(),
    currency: z
      .string()
      .regex(/^[a-z]{3}$/, 'must be a three-letter currency code')
      .optional(),
    article_url: z.string().max(490).optional(),
    variant: z.string().max(64).optional(),
  })
  .strict();

export const articlesQuerySchema = rangeQuerySchema
  .extend({
    limit: limit(5000, 100),
    sort: z.enum(['revenue', 'impressions', 'paid', 'conversion']).default('paid'),
  })
  .strict();

export interface DateRange {
  from: string;
  to: string;
}

/** Resolves from/to against today in the publication's time zone; default: the last 30 days. */
export function resolveRange(query: { from?: string | undefined; to?: string | undefined }, today: string): DateRange {
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -29);
  return { from, to };
}

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The same day of the next month (the first of the next month, for a first). */
export function nextMonth(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export { MAX_RANGE_DAYS };
