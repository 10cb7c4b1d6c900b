import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

/** Impressions and clicks to add to one day's counter for an article and variant. */
export interface WidgetCount {
  publicationId: number;
  day: string;
  articleUrl: string;
  variant: string;
  impressions: number;
  clicks: number;
}

/** Adds counts to their rows in one statement; each (publication, day, article, variant) at most once. */
export async function addWidgetCounts(db: DbExecutor, counts: WidgetCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db
    .insertInto('widget_daily_counters')
    .values(
      counts.map((c) => ({
        publication_id: c.publicationId,
        day: c.day,
        article_url: c.articleUrl,
        variant: c.variant,
        shard: sql<number>`(pg_backend_pid() % 16)::smallint`,
        impressions: c.impressions,
        clicks: c.clicks,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['publication_id', 'day', 'article_url', 'variant', 'shard']).doUpdateSet({
        impressions: sql`widget_daily_counters.impressions + excluded.impressions`,
        clicks: sql`widget_daily_counters.clicks + excluded.clicks`,
      }),
    )
    .execute();
}
