import type { ColumnType } from 'kysely';

type Read<T> = ColumnType<T, never, never>;

/** Written by favour_fold_rollup_changes only (beacons and checkouts record entries); the app reads it. */
export interface WidgetDailyCounterTable {
  publication_id: Read<number>;
  /** The publication's local date (its time zone) when the beacon arrived, as YYYY-MM-DD. */
  day: Read<string>;
  article_url: Read<string>;
  /** '' when the appeal had no variant. */
  variant: Read<string>;
  impressions: Read<number>;
  clicks: Read<number>;
  /** Checkouts started from the article that day, and how many of those were paid. */
  checkouts: Read<number>;
  paid: Read<number>;
}

/** The widget's prompts: shown and taken, per local day, article and variant (written by favour_add_widget_counts). */
export interface WidgetPromptCounterTable {
  publication_id: Read<number>;
  day: Read<string>;
  article_url: Read<string>;
  variant: Read<string>;
  upsell_shown: Read<number>;
  upsell_accepted: Read<number>;
}
