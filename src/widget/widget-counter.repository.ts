import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

/** What the widget's beacons count, per day, article and variant. */
export const BEACON_TYPES = ['impression', 'click', 'upsell_shown', 'upsell_accepted'] as const;
export type BeaconType = (typeof BEACON_TYPES)[number];

/** Beacons to add to one day's counters for an article and variant. */
export type WidgetCount = {
  publicationId: number;
  day: string;
  articleUrl: string;
  variant: string;
} & Record<BeaconType, number>;

/** Adds counts to the widget counters, the prompt counters and the funnel rollups in one statement, each row written once. */
export async function addWidgetCounts(db: DbExecutor, counts: WidgetCount[]): Promise<void> {
  if (counts.length === 0) return;
  const rows = counts.map((c) => ({
    publication_id: c.publicationId,
    day: c.day,
    article_url: c.articleUrl,
    variant: c.variant,
    impressions: c.impression,
    clicks: c.click,
    upsell_shown: c.upsell_shown,
    upsell_accepted: c.upsell_accepted,
  }));
  await sql`SELECT favour_add_widget_counts(${JSON.stringify(rows)}::jsonb)`.execute(db);
}
