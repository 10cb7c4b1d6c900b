// The JSON the dashboard reads from /api/reports/* (see src/reports/report.service.ts and
// report-lists.service.ts). Money is always an integer of minor units, keyed by lower-case currency.

export type PerCurrency<T = number> = Record<string, T>;

import type { CurrencySummary } from '../../reports/report-types.js';

export type { CurrencySummary };

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

export interface Summary {
  publication: string;
  time_zone: string;
  from: string;
  to: string;
  currencies: Record<string, CurrencySummary>;
  one_off: number;
  recurring: number;
  new_supporters: number;
  active_members: number;
  churned_members: number;
  funnel: Funnel;
}

export type Interval = 'day' | 'week' | 'month';

interface SeriesHead {
  from: string;
  to: string;
  interval: Interval;
}
export interface RevenueSeries extends SeriesHead {
  metric: 'revenue';
  points: { period: string; gross: PerCurrency; refunded: PerCurrency; net: PerCurrency; payments: number }[];
}
export interface MembersSeries extends SeriesHead {
  metric: 'members';
  points: { period: string; active_members: number; new_members: number; churned_members: number }[];
}
export interface MrrSeries extends SeriesHead {
  metric: 'mrr';
  points: { period: string; mrr: PerCurrency }[];
}

export interface BreakdownRow {
  impressions: number;
  clicks: number;
  checkouts: number;
  paid: number;
  payments: number;
  paid_gifts: number;
  gross: PerCurrency;
  net: PerCurrency;
  click_rate: number | null;
  conversion_rate: number | null;
  revenue_per_1000_impressions: PerCurrency<number | null>;
}
export interface ArticlesReport {
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
