// Asking politely: the frequency cap, the supporter's thank-you instead of an ask, and the page-URL markers the
// thank-you page and Stripe's cancel URL add. Pure: no DOM.

/** What one browser remembers about one publication. */
export interface ReaderMemory {
  /** Stable random bucket in [0, 1) for A/B variants. */
  bucket?: number;
  /** Times (ms) the full appeal was seen, only within the frequency-cap window. */
  views?: number[];
  /** Supporter until this time (unix seconds). */
  supporterUntil?: number;
  /** The publication's last frequency cap [views, days], to predict the collapsed form before the config arrives. */
  cap?: [number, number];
  /** Last rendered height: [form, width, height], so the placeholder reserves exactly that. */
  height?: [string, number, number];
  /** Fallback link [url, label] from the last good config. */
  fallback?: [string, string];
  /** The publication's accent, to paint the placeholder before the config arrives. */
  accent?: string;
  /** The last Donate was offered "make it monthly": the next one is not (never twice in a row). */
  upsellOffered?: boolean;
  /** Whether the publication showed a goal meter last time (unknown on a first visit: room is kept for one). */
  goal?: boolean;
}

export const DAY_MS = 864e5;
const MAX_SUPPORTER_S = 400 * 86400;

/** Seen-times within the last `days` days. */
export function recentViews(memory: ReaderMemory, days: number, now: number): number[] {
  return (Array.isArray(memory.views) ? memory.views : []).filter((t) => typeof t === 'number' && t > now - days * DAY_MS && t <= now);
}

/** True once the reader has seen the full appeal `views` times within `days` days. */
export function isCapped(memory: ReaderMemory, cap: { views: number; days: number } | undefined, now: number): boolean {
  return !!cap && cap.views > 0 && recentViews(memory, cap.days, now).length >= cap.views;
}

/** True while this browser is a known supporter. */
export function isSupporter(memory: ReaderMemory, now: number): boolean {
  return typeof memory.supporterUntil === 'number' && memory.supporterUntil * 1000 > now;
}

/** Supporter-until from ?favour-until= (unix seconds), capped at now + 400 days; undefined when absent, bad or past. */
export function supporterUntil(param: string | null | undefined, now: number): number | undefined {
  if (!param || !/^\d{1,12}$/.test(param)) return undefined;
  const until = Number(param);
  const nowS = Math.floor(now / 1000);
  return until > nowS ? Math.min(until, nowS + MAX_SUPPORTER_S) : undefined;
}

export interface PageMarkers {
  /** Returned from a successful checkout. */
  thanks: boolean;
  until: string | null;
  cancelled: boolean;
  /** ?favour-variant=ID forces a variant (preview). */
  variant: string | null;
  /** ?favour-publication=SLUG: whose checkout the reader returns from (absent: any on the page). */
  pub: string | null;
  /** The page URL without favour=/favour-until= (for history.replaceState), or undefined when none were there. */
  stripped?: string;
}

const isFavourParam = (key: string) => /^favour(?:-|$)/.test(key);

/** Reads the favour markers of a page URL. */
export function readMarkers(href: string): PageMarkers {
  const url = new URL(href);
  const q = url.searchParams;
  const result: PageMarkers = {
    thanks: q.get('favour') === 'thanks',
    until: q.get('favour-until'),
    cancelled: q.get('favour') === 'cancelled',
    variant: q.get('favour-variant'),
    pub: q.get('favour-publication'),
  };
  if (q.has('favour') || q.has('favour-until')) {
    q.delete('favour');
    q.delete('favour-until');
    q.delete('favour-publication');
    result.stripped = url.href;
  }
  return result;
}

/** The article URL for attribution: no fragment, no favour* parameters. */
export function articleUrl(href: string): string {
  const url = new URL(href);
  url.hash = '';
  const keys = [...url.searchParams.keys()].filter(isFavourParam);
  for (const key of keys) url.searchParams.delete(key);
  return url.href;
}
