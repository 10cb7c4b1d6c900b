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

/** Adds counts to the widget counters and the funnel rollups in one statement, each row written once. */
export async function addWidgetCounts(db: DbExecutor, counts: WidgetCount[]): Promise<void> {
  if (counts.length === 0) return;
  const rows = counts.map((c) => ({
    publication_id: c.publicationId,
    day: c.day,
    article_url: c.articleUrl,
    variant: c.variant,
    impressions: c.impressions,
    clicks: c.clicks,
  }));
  await sql`SELECT favour_add_widget_counts(${JSON.stringify(rows)}::jsonb)`.execute(db);
}
