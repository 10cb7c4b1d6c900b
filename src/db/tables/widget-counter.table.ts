import type { ColumnType } from 'kysely';

export interface WidgetDailyCounterTable {
  publication_id: number;
  /** The publication's local date (its time zone) when the beacon arrived, as YYYY-MM-DD. */
  day: ColumnType<string, string, string>;
  article_url: string;
  /** '' when the appeal had no variant. */
  variant: string;
  /** Reports sum over shards; see the migration. */
  shard: ColumnType<number, number | undefined, number>;
  impressions: ColumnType<number, number | undefined, number>;
  clicks: ColumnType<number, number | undefined, number>;
  /** Checkouts started from the article that day, and how many of those were paid (kept by a trigger). */
  checkouts: ColumnType<number, number | undefined, number>;
  paid: ColumnType<number, number | undefined, number>;
}
