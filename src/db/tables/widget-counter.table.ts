import type { ColumnType } from 'kysely';

export interface WidgetDailyCounterTable {
  publication_id: number;
  /** The publication's local date (its time zone) when the beacon arrived, as YYYY-MM-DD. */
  day: ColumnType<string, string, string>;
  article_url: string;
  /** '' when the appeal had no variant. */
  variant: string;
  impressions: ColumnType<number, number | undefined, number>;
  clicks: ColumnType<number, number | undefined, number>;
}
