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
  /** Goal meter: the default label of a monthly and of a campaign goal, and the text once it is reached. */
  goal_month: string;
  goal_campaign: string;
  goal_reached: string;
  /** `{current}` and `{target}`, formatted in the goal's unit. */
  goal_progress_amount: string;
  goal_progress_members: string;
  goal_progress_supporters: string;
  /** "Make it monthly", after a one-off Donate: `{amount}` is the gift, `{monthly}` the monthly suggestion. */
  upsell_heading: string;
  upsell_body: string;
  upsell_yes: string;
  upsell_no: string;
  /** "Cover the fees" checkbox: `{amount}` is what it adds (with "/month" for a membership). */
  fee_cover: string;
  /** "Remind me later": the offer (already saying when), the address field, its button, and the answer. */
  remind_offer: string;
  remind_email: string;
  remind_button: string;
  remind_invalid: string;
  remind_sent: string;
}

export type GoalKind = 'amount' | 'members' | 'supporters';

/** The goal meter: how far the period's goal is, from the same numbers the reports give. */
export interface WidgetGoal {
  kind: GoalKind;
  /** The goal's currency for `amount`, else null. */
  currency: string | null;
  /** In minor units for `amount`, else a count. */
  target: number;
  current: number;
  period: 'month' | 'campaign';
  /** The period's first and last local day (YYYY-MM-DD), in the publication's time zone. */
  period_start: string;
  period_end: string;
  reached: boolean;
  /** The label over the meter and the text shown once the target is reached, in the config's language. */
  label: string;
  reached_text: string;
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
  /** "Make it monthly" after a one-off Donate: the share of the gift to suggest monthly; null when off. */
  upsell: { fraction: number } | null;
  /**
   * "Cover the fees": the processor's percent and fixed amount per currency (minor units), from which the widget works
   * out what to add (the checkout computes it again); `default` ticks the box. Null when not offered.
   */
  fee_cover: { percent: number; fixed: Partial<Record<string, number>>; default: boolean } | null;
  /** The goal meter, or null when the publication has no goal running today. */
  goal: WidgetGoal | null;
  /** "Remind me later": where to sign up and after how many days; null when the publication does not offer it. */
  reminder: { url: string; after_days: number } | null;
}
