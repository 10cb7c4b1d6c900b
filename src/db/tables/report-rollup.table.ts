import type { ColumnType } from 'kysely';

// Rollup tables are written only by the SQL functions of migrations/…-rollups-without-shards.ts; the app reads them.
type Read<T> = ColumnType<T, never, never>;

export interface PaymentDailyTotalsTable {
  publication_id: Read<number>;
  day: Read<string>;
  currency: Read<string>;
  kind: Read<string>;
  payments: Read<number>;
  gross: Read<number>;
  refunded: Read<number>;
  disputed: Read<number>;
}

export interface ArticleDailyTotalsTable extends PaymentDailyTotalsTable {
  article_url: Read<string>;
  variant: Read<string>;
  one_off: Read<number>;
}

export interface SupporterTotalsTable {
  supporter_id: Read<number>;
  currency: Read<string>;
  payments: Read<number>;
  gross: Read<number>;
  refunded: Read<number>;
}

interface RevenueSums {
  payments: Read<number>;
  one_off: Read<number>;
  gross: Read<number>;
  refunded: Read<number>;
  disputed: Read<number>;
}

interface FunnelSums {
  impressions: Read<number>;
  clicks: Read<number>;
  checkouts: Read<number>;
  paid: Read<number>;
}

export interface WidgetDailyTotalsTable extends FunnelSums {
  publication_id: Read<number>;
  day: Read<string>;
}

export interface ArticleMonthlyTotalsTable extends RevenueSums {
  publication_id: Read<number>;
  month: Read<string>;
  article_url: Read<string>;
  currency: Read<string>;
}

export interface VariantDailyTotalsTable extends RevenueSums {
  publication_id: Read<number>;
  day: Read<string>;
  variant: Read<string>;
  currency: Read<string>;
}

export interface ArticleMonthlyFunnelTable extends FunnelSums {
  publication_id: Read<number>;
  month: Read<string>;
  article_url: Read<string>;
}

export interface VariantDailyFunnelTable extends FunnelSums {
  publication_id: Read<number>;
  day: Read<string>;
  variant: Read<string>;
}
