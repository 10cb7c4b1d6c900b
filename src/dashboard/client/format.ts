// Numbers, money, rates and dates for people. Pure (no DOM), so unit tests run it in Node.

// The same sets as src/money/currency.ts (Stripe's zero- and three-decimal currencies): /summary sends
// integer minor units without exponents, so the dashboard needs them to show major units.
export const ZERO_DECIMAL: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
export const THREE_DECIMAL: ReadonlySet<string> = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** How many minor units make one major unit, as a power of ten (eur → 2, jpy → 0, kwd → 3). */
export function exponentOf(currency: string): number {
  const c = currency.toLowerCase();
  return ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
}

/** Integer minor units → major units (1050 eur → 10.5; 500 jpy → 500). */
export const toMajor = (minor: number, currency: string): number => minor / 10 ** exponentOf(currency);

const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale, options);
    } catch {
      format = new Intl.NumberFormat('en', options);
    }
    formats.set(key, format);
  }
  return format;
}

/** Minor units as money with all of the currency's decimals: 10700 eur → "€107.00", 3000 jpy → "¥3,000". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const digits = exponentOf(currency);
  return numberFormat(locale, {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(toMajor(minor, currency));
}

/** Major units, short, for chart axes: 12500 → "€12.5K". */
export function formatMoneyCompact(major: number, currency: string, locale?: string): string {
  return numberFormat(locale, {
    style: 'currency',
    currency: currency.toUpperCase(),
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(major);
}

/** A count: 12345 → "12,345". */
export const formatCount = (n: number, locale?: string): string => numberFormat(locale, { maximumFractionDigits: 0 }).format(n);

/** A short count for axes: 12345 → "12K". */
export const formatCountCompact = (n: number, locale?: string): string =>
  numberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);

/** A rate (0..1, or null when there was nothing to divide by): 0.4 → "40%", 0.0123 → "1.2%", null → "—". */
export function formatRate(rate: number | null, locale?: string): string {
  if (rate === null) return '—';
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: rate !== 0 && Math.abs(rate) < 0.1 ? 2 : 1 }).format(rate);
}

/** The currency's name for people ("Euro"), or its code when the runtime has no name for it. */
export function currencyName(currency: string, locale?: string): string {
  try {
    return new Intl.DisplayNames(locale ? [locale] : undefined, { type: 'currency' }).of(currency.toUpperCase()) ?? currency.toUpperCase();
  } catch {
    return currency.toUpperCase();
  }
}

function formatMoment(iso: string | null, timeZone: string, locale: string | undefined, style: Intl.DateTimeFormatOptions): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  try {
    return new Intl.DateTimeFormat(locale, { ...style, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale, { ...style, timeZone: 'UTC' }).format(date);
  }
}

/** A timestamp as a date in the publication's time zone: "5 Jan 2026". */
export const formatTimestamp = (iso: string | null, timeZone: string, locale?: string): string =>
  formatMoment(iso, timeZone, locale, { dateStyle: 'medium' });

/** A moment in the publication's time zone: "5 Jan 2026, 14:05". */
export const formatDateTime = (iso: string | null, timeZone: string, locale?: string): string =>
  formatMoment(iso, timeZone, locale, { dateStyle: 'medium', timeStyle: 'short' });

/** A calendar day (YYYY-MM-DD, already in the publication's zone) for people: "1 Jan 2026". */
export function formatDay(day: string, locale?: string, style: 'medium' | 'month' = 'medium'): string {
  const date = new Date(`${day}T00:00:00Z`);
  const options: Intl.DateTimeFormatOptions =
    style === 'month' ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { dateStyle: 'medium', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/** A range of days for people: "1 Jan – 31 Mar 2026". */
export function formatDayRange(from: string, to: string, locale?: string): string {
  const format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const [a, b] = [new Date(`${from}T00:00:00Z`), new Date(`${to}T00:00:00Z`)];
  return typeof format.formatRange === 'function' ? format.formatRange(a, b) : `${format.format(a)} – ${format.format(b)}`;
}
