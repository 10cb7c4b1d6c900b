import { z } from 'zod';
import { isKnownCurrency } from '../money/currency.js';
import { isoDate } from '../reports/report-query.schema.js';
import { DEFAULT_MONTHLY_FRACTION } from '../widget/monthly-suggestion.js';
import { stripeMinimumAmount } from './currency-defaults.js';

export const INTERVALS = ['once', 'month', 'year'] as const;

const minorAmount = z.number().int('must be an integer number of minor units').positive();

const currencySettingsSchema = z
  .object({
    min: minorAmount,
    max: minorAmount,
    presets: z.partialRecord(z.enum(INTERVALS), z.array(minorAmount).max(6)).default({}),
  })
  .strict();

const originSchema = z.string().transform((value, ctx) => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    return url.origin;
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an http(s) origin such as https://news.example` });
    return z.NEVER;
  }
});

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const LANG_KEYS = ['en', 'it', 'sr-Latn', 'sr-Cyrl'] as const;
const copySchema = z
  .object({ heading: z.string().trim().min(1).max(120).optional(), body: z.string().trim().min(1).max(600).optional() })
  .strict();
const copyPerLang = z.partialRecord(z.enum(LANG_KEYS), copySchema);

/** "Remind me in a month". */
export const DEFAULT_REMINDER_DAYS = 30;

/** What the appeal says and how politely it asks; every field has a default. */
export const widgetSettingsSchema = z
  .object({
    /** Appeal copy per language, overriding the built-in "A small favour". */
    copy: copyPerLang.default({}),
    /** Any UI string per language (button, errors, …), overriding the built-in ones. */
    strings: z.partialRecord(z.enum(LANG_KEYS), z.record(z.string(), z.string().max(300))).default({}),
    /** A/B copy variants; each browser keeps a stable bucket and sees one by weight. */
    variants: z
      .array(
        z
          .object({
            id: z.string().regex(/^[\w.-]{1,64}$/, 'variant ids are 1-64 letters, digits, _ . or -'),
            weight: z.number().positive().max(1000).default(1),
            copy: copyPerLang.default({}),
          })
          .strict(),
      )
      .max(10)
      .default([])
      .refine((variants) => new Set(variants.map((v) => v.id)).size === variants.length, 'variant ids must be unique'),
    /** After this many views within this many days the appeal collapses to one line. */
    frequency_cap: z
      .object({ views: z.number().int().min(1).max(1000), days: z.number().int().min(1).max(365) })
      .strict()
      .default({ views: 4, days: 30 }),
    /** Days a one-off supporter sees a thank-you instead of the ask. */
    supporter_days: z.number().int().min(0).max(400).default(90),
    /**
     * "Make it monthly": after a one-off Donate, the widget offers once to give the monthly preset nearest
     * `fraction` of the gift instead (only where monthly giving is offered). `true`/`false` is short for on/off.
     */
    upsell: z
      .union([
        z.boolean().transform((enabled) => ({ enabled, fraction: DEFAULT_MONTHLY_FRACTION })),
        z.object({ enabled: z.boolean().default(true), fraction: z.number().min(0.05).max(1).default(DEFAULT_MONTHLY_FRACTION) }).strict(),
      ])
      .default({ enabled: true, fraction: DEFAULT_MONTHLY_FRACTION }),
    /**
     * "Remind me later": under the appeal, a reader who is not ready leaves an address and is reminded once, after
     * `after_days`. `true`/`false` is short for on/off.
     */
    reminder: z
      .union([
        z.boolean().transform((enabled) => ({ enabled, after_days: DEFAULT_REMINDER_DAYS })),
        z
          .object({ enabled: z.boolean().default(true), after_days: z.number().int().min(1).max(365).default(DEFAULT_REMINDER_DAYS) })
          .strict(),
      ])
      .default({ enabled: true, after_days: DEFAULT_REMINDER_DAYS }),
    /** Button and focus colour, #rgb or #rrggbb. */
    accent: z
      .string()
      .regex(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i, 'a hex colour such as #0b5cad')
      .default('#0b5cad'),
  })
  .strict();

export type WidgetSettings = z.output<typeof widgetSettingsSchema>;

/**
 * The goal meter: an amount of net revenue in one currency, new members or new supporters, per calendar month
 * (from `starts`, when given) or over a campaign from `starts` to `ends`, in the publication's time zone.
 */
export const goalSchema = z
  .object({
    kind: z.enum(['amount', 'members', 'supporters']),
    currency: z.string().optional(),
    target: z.number().int('must be an integer (minor units for an amount)').positive().max(1e12),
    period: z.enum(['month', 'campaign']),
    starts: isoDate.optional(),
    ends: isoDate.optional(),
    copy: z
      .partialRecord(
        z.enum(LANG_KEYS),
        z.object({ label: z.string().trim().min(1).max(120).optional(), reached: z.string().trim().min(1).max(200).optional() }).strict(),
      )
      .default({}),
  })
  .strict()
  .superRefine((goal, ctx) => {
    if (goal.kind === 'amount' && !goal.currency)
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'an amount goal needs its currency' });
    if (goal.kind !== 'amount' && goal.currency)
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'only an amount goal has a currency' });
    if (goal.period === 'campaign' && (!goal.starts || !goal.ends))
      ctx.addIssue({ code: 'custom', path: [goal.starts ? 'ends' : 'starts'], message: 'a campaign goal needs starts and ends' });
    if (goal.period === 'month' && goal.ends) ctx.addIssue({ code: 'custom', path: ['ends'], message: 'only a campaign goal ends' });
    if (goal.starts && goal.ends && goal.ends < goal.starts)
      ctx.addIssue({ code: 'custom', path: ['ends'], message: 'must not be before starts' });
  });

export type Goal = z.output<typeof goalSchema>;

/**
 * "Cover the fees": the reader may add what the card payment costs, so the newsroom nets the whole gift. The processor's
 * price is a percent of the amount plus a fixed amount per currency; `default` ticks the box from the start.
 */
export const feeCoverSchema = z
  .object({
    percent: z
      .number()
      .min(0)
      .max(10)
      .refine((percent) => Math.abs(percent * 100 - Math.round(percent * 100)) < 1e-9, 'at most two decimals, such as 1.5 or 2.9'),
    fixed: z.record(z.string(), z.number().int('must be an integer number of minor units').min(0).max(100_000)).default({}),
    default: z.boolean().default(false),
  })
  .strict()
  .refine((rate) => rate.percent > 0 || Object.values(rate.fixed).some((amount) => amount > 0), 'a percent or a fixed amount above 0');

export type FeeCover = z.output<typeof feeCoverSchema>;

const EMAIL_COPY_KEYS = [
  'thank_you_subject',
  'thank_you_body',
  'thank_you_member_note',
  'greeting',
  'greeting_anonymous',
  'signature',
  'footer',
] as const;

/**
 * E-mails to supporters: the sender's display name and reply-to address, and any of the texts per language
 * (`signature` is who signs: "Ana Rossi, editor").
 */
export const emailSettingsSchema = z
  .object({
    from_name: z.string().trim().min(1).max(100).optional(),
    reply_to: z.email('must be an e-mail address').max(254).optional(),
    copy: z.partialRecord(z.enum(LANG_KEYS), z.partialRecord(z.enum(EMAIL_COPY_KEYS), z.string().trim().min(1).max(2000))).default({}),
  })
  .strict();

export type EmailSettings = z.output<typeof emailSettingsSchema>;

/** A publication as an operator describes it (CLI and API input). */
export const publicationInputSchema = z
  .object({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lower-case letters, digits and dashes (max 63)'),
    name: z.string().trim().min(1).max(200),
    origins: z.array(originSchema).min(1, 'at least one site origin is needed'),
    currencies: z.record(
      z
        .string()
        .regex(/^[a-z]{3}$/, 'currency codes are three lower-case letters')
        .refine(isKnownCurrency, 'unknown currency'),
      currencySettingsSchema,
    ),
    default_currency: z.string(),
    intervals: z
      .array(z.enum(INTERVALS))
      .min(1)
      .transform((list) => [...new Set(list)]),
    default_locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as en, it or sr-Cyrl'),
    time_zone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Rome'),
    widget: widgetSettingsSchema.default(() => widgetSettingsSchema.parse({})),
    /** The goal meter; null: none. */
    goal: goalSchema.nullable().default(null),
    /** "Cover the fees"; null: not offered. */
    fee_cover: feeCoverSchema.nullable().default(null),
    email: emailSettingsSchema.default(() => emailSettingsSchema.parse({})),
  })
  .strict()
  .superRefine((p, ctx) => {
    const codes = Object.keys(p.currencies);
    if (codes.length === 0) ctx.addIssue({ code: 'custom', path: ['currencies'], message: 'at least one currency is needed' });
    if (!codes.includes(p.default_currency)) {
      ctx.addIssue({ code: 'custom', path: ['default_currency'], message: `must be one of the accepted currencies (${codes.join(', ')})` });
    }
    if (p.goal?.currency !== undefined && !codes.includes(p.goal.currency)) {
      ctx.addIssue({ code: 'custom', path: ['goal', 'currency'], message: `must be one of the accepted currencies (${codes.join(', ')})` });
    }
    for (const code of Object.keys(p.fee_cover?.fixed ?? {})) {
      if (!codes.includes(code))
        ctx.addIssue({
          code: 'custom',
          path: ['fee_cover', 'fixed', code],
          message: `must be one of the accepted currencies (${codes.join(', ')})`,
        });
    }
    for (const [code, settings] of Object.entries(p.currencies)) {
      const floor = stripeMinimumAmount(code);
      if (floor !== undefined && settings.min < floor) {
        ctx.addIssue({ code: 'custom', path: ['currencies', code, 'min'], message: `is below Stripe's minimum of ${floor} for ${code}` });
      }
      if (settings.max < settings.min) {
        ctx.addIssue({ code: 'custom', path: ['currencies', code, 'max'], message: 'must be at least min' });
      }
      for (const [interval, presets] of Object.entries(settings.presets)) {
        if (presets?.some((amount) => amount < settings.min || amount > settings.max)) {
          ctx.addIssue({
            code: 'custom',
            path: ['currencies', code, 'presets', interval],
            message: 'presets must lie between min and max',
          });
        }
      }
    }
  });

export type PublicationInput = z.output<typeof publicationInputSchema>;
