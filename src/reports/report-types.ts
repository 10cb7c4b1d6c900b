// The reports API's JSON, declared once: the report services return these and the dashboard's browser code
// (src/dashboard/client) reads them, so both sides change together. No imports: the dashboard type-checks this
// file with the DOM library. Money is always an integer of minor units, keyed by lower-case currency.

/** One currency's figures in GET /api/reports/summary; money in integer minor units. */
export interface CurrencySummary {
  gross: number;
  refunded: number;
  disputed: number;
  net: number;
  payments: number;
  one_off: number;
  recurring: number;
  average_gift: number;
  mrr: number;
  active_members: number;
}

/** Money per lower-case currency code, in integer minor units. */
export type PerCurrency<T = number> = Record<string, T>;

export interface Funnel {
  impressions: number;
  clicks: number;
  checkouts: number;
  paid: number;
  click_rate: number | null;
  checkout_rate: number | null;
  payment_rate: number | null;
  conversion_rate: number | null;
}

/** "Remind me later" sign-ups made in the range, and what became of them. */
export interface ReminderFunnel {
  asked: number;
  confirmed: number;
  /** Reminders e-mailed on their due day. */
  sent: number;
  /** Reminded addresses that paid within 14 days of the reminder. */
  converted: number;
  unsubscribed: number;
  confirm_rate: number | null;
  /** converted / sent. */
  conversion_rate: number | null;
}

export interface Summary {
  publication: string;
  time_zone: string;
  from: string;
  to: string;
  currencies: Record<string, CurrencySummary>;
  gross: PerCurrency;
  refunded: PerCurrency;
  net: PerCurrency;
  mrr: PerCurrency;
  average_gift: PerCurrency;
  /** What readers added to cover the fees ("cover the fees"), within gross. */
  fees_covered: PerCurrency;
  one_off: number;
  recurring: number;
  new_supporters: number;
  active_members: number;
  churned_members: number;
  funnel: Funnel;
  reminders: ReminderFunnel;
}

export type Interval = 'day' | 'week' | 'month';

interface SeriesHead {
  publication: string;
  time_zone: string;
  from: string;
  to: string;
  interval: Interval;
}
export interface RevenueSeries extends SeriesHead {
  metric: 'revenue';
  points: { period: string; gross: PerCurrency; refunded: PerCurrency; net: PerCurrency; payments: number }[];
}
export interface SupportersSeries extends SeriesHead {
  metric: 'supporters';
  points: { period: string; new_supporters: number; total_supporters: number }[];
}
export interface MembersSeries extends SeriesHead {
  metric: 'members';
  points: { period: string; active_members: number; new_members: number; churned_members: number }[];
}
export interface MrrSeries extends SeriesHead {
  metric: 'mrr';
  points: { period: string; mrr: PerCurrency }[];
}

/** GET /api/reports/timeseries, by its metric. */
export type TimeSeries = RevenueSeries | SupportersSeries | MembersSeries | MrrSeries;

export interface BreakdownRow {
  impressions: number;
  clicks: number;
  checkouts: number;
  paid: number;
  payments: number;
  paid_gifts: number;
  /** The widget's "make it monthly" offer: shown after a one-off Donate, and taken. */
  upsell_shown: number;
  upsell_accepted: number;
  /** Payments whose reader ticked "cover the fees", and what they added. */
  fee_cover_payments: number;
  fees_covered: PerCurrency;
  gross: PerCurrency;
  net: PerCurrency;
  click_rate: number | null;
  /** upsell_accepted / upsell_shown. */
  upsell_rate: number | null;
  /** fee_cover_payments / payments. */
  fee_cover_rate: number | null;
  conversion_rate: number | null;
  revenue_per_1000_impressions: PerCurrency<number | null>;
}
export interface ArticlesReport {
  publication: string;
  from: string;
  to: string;
  total_articles: number;
  articles: (BreakdownRow & { article_url: string })[];
  variants: (BreakdownRow & { variant: string | null })[];
}

export interface Supporter {
  id: number;
  email: string;
  name: string | null;
  first_supported_at: string | null;
  last_supported_at: string | null;
  lifetime: Record<string, { payments: number; gross: number; refunded: number; net: number }>;
  membership: {
    subscription_id: string;
    status: string;
    amount: number;
    currency: string;
    interval: string;
    current_period_end: string | null;
    cancel_at_period_end: boolean;
    started_at: string | null;
  } | null;
}
export interface SupportersPage {
  publication: string;
  supporters: Supporter[];
  next_cursor: string | null;
}
