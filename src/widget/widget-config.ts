// The contract between the server and the browser widget: what GET /api/widget/:publication returns
// and what POST /api/events accepts. Type-only, so the widget bundle pays nothing for it.

export type WidgetInterval = 'once' | 'month' | 'year';
export type WidgetLang = 'en' | 'it' | 'sr-Latn' | 'sr-Cyrl';

/** UI strings in one language; `{min}`, `{max}`, `{name}` and `{amount}` are filled in by the widget. */
export interface WidgetStrings {
  interval_legend: string;
  once: string;
  month: string;
  year: string;
  amount_legend: string;
  other_amount: string;
  donate: string;
  loading: string;
  secure_note: string;
  amount_invalid: string;
  amount_too_low: string;
  amount_too_high: string;
  not_configured: string;
  rate_limited: string;
  network_error: string;
  generic_error: string;
  cancelled: string;
  thanks_heading: string;
  thanks_body: string;
  collapsed: string;
  expand: string;
  per_month: string;
  per_year: string;
  no_script: string;
}

export interface WidgetCopy {
  heading: string;
  body: string;
}

export interface WidgetCurrency {
  min: number;
  max: number;
  /** Power of ten between minor and major units: 2 for eur, 0 for jpy. */
  exponent: number;
  presets: Partial<Record<WidgetInterval, number[]>>;
}

export interface WidgetVariant {
  id: string;
  /** Relative weight; a browser's stable random bucket picks among variants by weight. */
  weight: number;
  copy: WidgetCopy;
}

/** GET /api/widget/:publication?lang=… */
export interface WidgetConfig {
  publication: string;
  name: string;
  lang: WidgetLang;
  /** BCP 47 locale for Intl.NumberFormat, e.g. "it-IT" or "sr-Cyrl-RS". */
  locale: string;
  intervals: WidgetInterval[];
  currencies: Record<string, WidgetCurrency>;
  default_currency: string;
  /** Copy shown when the publication defines no variants. */
  copy: WidgetCopy;
  variants: WidgetVariant[];
  /** After `views` impressions within `days` days the appeal collapses to one line. */
  frequency_cap: { views: number; days: number };
  /** How long a one-off supporter sees the thank-you instead of the ask (members: until their period ends). */
  supporter_days: number;
  accent: string;
  /** The hosted no-JavaScript donate page. */
  donate_url: string;
  checkout_url: string;
  events_url: string;
  strings: WidgetStrings;
}
