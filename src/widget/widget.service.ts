import type { PublicationRow } from '../db/tables/publication.table.js';
import { HttpError } from '../http/http-error.js';
import { articleUrlFor } from '../publications/article-url.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import { currencyExponent } from '../money/currency.js';
import { DEFAULT_REMINDER_DAYS, type WidgetSettings } from '../publications/publication.schema.js';
import type { GoalProgress } from '../goals/goal.service.js';
import { feeCoverOf, goalOf, knownVariant, widgetSettingsOf } from '../publications/publication.service.js';
import type { WidgetCounterBuffer } from './widget-counter-buffer.js';
import type { WidgetEvent } from './widget-event.schema.js';
import { DEFAULT_COPY, fill, INTL_LOCALE, PAGE_STRINGS, resolveLang, WIDGET_STRINGS } from './i18n.js';
import type { WidgetConfig, WidgetCopy, WidgetCurrency, WidgetGoal, WidgetLang, WidgetStrings } from './widget-config.js';

/** The language to speak: the one asked for when we have it, else the publication's default, else English. */
export function widgetLang(publication: PublicationRow, requested: string | undefined): WidgetLang {
  return resolveLang(requested) ?? resolveLang(publication.default_locale) ?? 'en';
}

function copyFor(settings: WidgetSettings, overrides: WidgetSettings['copy'], lang: WidgetLang): WidgetCopy {
  return { ...DEFAULT_COPY[lang], ...settings.copy[lang], ...overrides[lang] };
}

/** The goal meter in one language: the publisher's label and reached text, else ours. */
export function widgetGoal(
  publication: PublicationRow,
  progress: GoalProgress | null,
  strings: WidgetStrings,
  lang: WidgetLang,
): WidgetGoal | null {
  const copy = progress && goalOf(publication)?.copy[lang];
  if (!progress) return null;
  return {
    ...progress,
    label: copy?.label ?? (progress.period === 'month' ? strings.goal_month : strings.goal_campaign),
    reached_text: copy?.reached ?? strings.goal_reached,
  };
}

/**
 * The UI strings in one language, with the publication's overrides. The reminder offer says when: "in a month" by
 * default, "in 14 days" for a publication that waits another number of days (unless it words the offer itself).
 */
export function widgetStrings(publication: PublicationRow, lang: WidgetLang): WidgetStrings {
  const settings = widgetSettingsOf(publication);
  const own = settings.strings[lang] as Partial<WidgetStrings> | undefined;
  const days = settings.reminder.after_days;
  const remind_offer =
    days === DEFAULT_REMINDER_DAYS ? WIDGET_STRINGS[lang].remind_offer : fill(PAGE_STRINGS[lang].remind_offer_days, { days: String(days) });
  return { ...WIDGET_STRINGS[lang], remind_offer, ...own };
}

/** Everything the widget needs in one small, cacheable answer. */
export function buildWidgetConfig(
  publication: PublicationRow,
  requestedLang: string | undefined,
  publicUrl: string,
  goal: GoalProgress | null = null,
): WidgetConfig {
  const lang = widgetLang(publication, requestedLang);
  const settings = widgetSettingsOf(publication);
  const strings = widgetStrings(publication, lang);
  const currencies: Record<string, WidgetCurrency> = {};
  for (const [code, c] of Object.entries(publication.currencies)) {
    currencies[code] = { min: c.min, max: c.max, exponent: currencyExponent(code), presets: c.presets };
  }
  return {
    publication: publication.slug,
    name: publication.name,
    lang,
    locale: INTL_LOCALE[lang],
    intervals: publication.intervals,
    currencies,
    default_currency: publication.default_currency,
    copy: copyFor(settings, {}, lang),
    variants: settings.variants.map((v) => ({ id: v.id, weight: v.weight, copy: copyFor(settings, v.copy, lang) })),
    frequency_cap: settings.frequency_cap,
    supporter_days: settings.supporter_days,
    accent: settings.accent,
    donate_url: `${publicUrl}/donate/${publication.slug}?lang=${encodeURIComponent(lang)}`,
    checkout_url: `${publicUrl}/api/checkout`,
    events_url: `${publicUrl}/api/events`,
    strings,
    upsell:
      settings.upsell.enabled && publication.intervals.includes('once') && publication.intervals.includes('month')
        ? { fraction: settings.upsell.fraction }
        : null,
    fee_cover: feeCoverOf(publication),
    goal: widgetGoal(publication, goal, strings, lang),
    reminder: settings.reminder.enabled ? { url: `${publicUrl}/api/reminders`, after_days: settings.reminder.after_days } : null,
  };
}

// One formatter per time zone, and its last answer: every zone's offset is a whole number of minutes, so a local
// date can only change at a whole UTC minute. Formatting is a beacon's largest cost.
const dayFormats = new Map<string, { format: Intl.DateTimeFormat; minute: number; day: string }>();

/** The publication's calendar date now, for daily counters in its own time zone. */
export function localDay(now: Date, timeZone: string): string {
  const minute = Math.floor(now.getTime() / 60_000);
  let cached = dayFormats.get(timeZone);
  if (!cached) {
    const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    cached = { format, minute: Number.NaN, day: '' };
    dayFormats.set(timeZone, cached);
  }
  if (cached.minute !== minute) {
    cached.day = cached.format.format(now);
    cached.minute = minute;
  }
  return cached.day;
}

/**
 * Counts one impression or click. A beacon that names its origin must come from one of the publication's
 * sites, and a variant it does not define counts as none.
 */
export async function recordWidgetEvent(
  deps: { publications: PublicationCache; counters: WidgetCounterBuffer; now: () => Date },
  event: WidgetEvent,
  origin: string | undefined,
): Promise<void> {
  const publication = await deps.publications.bySlug(event.publication);
  if (!publication) throw new HttpError(404, 'unknown_publication', `publication: no publication "${event.publication}".`, 'publication');
  if (origin !== undefined && !publication.origins.includes(origin)) {
    throw new HttpError(403, 'origin_not_allowed', `Origin ${origin.slice(0, 100)} is not one of ${publication.name}'s sites.`);
  }
  const articleUrl = articleUrlFor(publication, event.article_url);
  deps.counters.add(
    {
      publicationId: publication.id,
      day: localDay(deps.now(), publication.time_zone),
      articleUrl: articleUrl.href,
      variant: knownVariant(publication, event.variant) ?? '',
    },
    event.type,
  );
}
