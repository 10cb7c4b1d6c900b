// Date ranges as the API takes them: inclusive calendar days (YYYY-MM-DD) in the publication's time
// zone. "Today" is the API's, not the browser's: the dashboard learns it from /summary without a range.
import type { Interval } from '../../reports/report-types.js';

export interface Range {
  from: string;
  to: string;
}

export type Preset = '30d' | '90d' | '12m' | 'ytd';
export const PRESETS: readonly Preset[] = ['30d', '90d', '12m', 'ytd'];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar day written YYYY-MM-DD. */
export const isDay = (value: string): boolean =>
  DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Days from `from` to `to` (0 for the same day). */
export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** The range a preset names, ending today: 30 and 90 days inclusive, 12 months back to the same day, or since 1 January. */
export function presetRange(preset: Preset, today: string): Range {
  switch (preset) {
    case '30d':
      return { from: addDays(today, -29), to: today };
    case '90d':
      return { from: addDays(today, -89), to: today };
    case '12m': {
      const d = new Date(`${today}T00:00:00Z`);
      d.setUTCFullYear(d.getUTCFullYear() - 1);
      return { from: addDays(d.toISOString().slice(0, 10), 1), to: today };
    }
    case 'ytd':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

/** The preset a range equals, if any (to mark its button pressed). */
export function presetOf(range: Range, today: string): Preset | undefined {
  return PRESETS.find((p) => {
    const r = presetRange(p, today);
    return r.from === range.from && r.to === range.to;
  });
}

/** Bucket size for charts: about 10–60 points whatever the range. */
export function intervalFor(range: Range): Interval {
  const days = daysBetween(range.from, range.to) + 1;
  if (days <= 62) return 'day';
  if (days <= 366) return 'week';
  return 'month';
}

/** Why a range cannot be asked for, or undefined when it can. */
export function rangeProblem(range: Range): string | undefined {
  if (!isDay(range.from)) return 'Enter the first day of the range.';
  if (!isDay(range.to)) return 'Enter the last day of the range.';
  if (range.from > range.to) return 'The first day must not be after the last day.';
  if (daysBetween(range.from, range.to) > 3700) return 'The range may span at most about ten years (3,700 days).';
  return undefined;
}
