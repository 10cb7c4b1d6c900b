import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

/** Adds one impression or click to the day's counter for an article and variant. */
export async function incrementWidgetCounter(
  db: DbExecutor,
  c: { publicationId: number; day: string; articleUrl: string; variant: string; type: 'impression' | 'click' },
): Promise<void> {
  const impressions = c.type === 'impression' ? 1 : 0;
  const clicks = c.type === 'click' ? 1 : 0;
  await db
    .insertInto('widget_daily_counters')
    .values({
      publication_id: c.publicationId,
      day: c.day,
      article_url: c.articleUrl,
      variant: c.variant,
      shard: sql<number>`(pg_backend_pid() % 16)::smallint`,
      impressions,
      clicks,
    })
    .onConflict((oc) =>
      oc.columns(['publication_id', 'day', 'article_url', 'variant', 'shard']).doUpdateSet({
        impressions: sql`widget_daily_counters.impressions + excluded.impressions`,
        clicks: sql`widget_daily_counters.clicks + excluded.clicks`,
      }),
    )
    .execute();
}
