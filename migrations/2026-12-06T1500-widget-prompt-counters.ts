import { type Kysely, sql } from 'kysely';

// How often the widget's prompts were shown and taken ("make it monthly"), per local day, article and variant. The
// beacons' own record, like the impressions in widget_daily_counters, but outside the rollups: a rebuild
// recomputes rollups from their sources and leaves these alone. A flush still writes everything in one statement.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE widget_prompt_counters (
    publication_id  integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    day             date NOT NULL,
    article_url     text NOT NULL,
    variant         text NOT NULL DEFAULT '',
    upsell_shown    bigint NOT NULL DEFAULT 0,
    upsell_accepted bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, day, article_url, variant)
  )`.execute(db);
  await sql`CREATE OR REPLACE FUNCTION favour_add_widget_counts(counts jsonb) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO funnel_rollup_changes (publication_id, day, article_url, variant, impressions, clicks)
      SELECT publication_id, day, article_url, variant, coalesce(impressions, 0), coalesce(clicks, 0)
      FROM jsonb_to_recordset(counts) AS c(publication_id integer, day date, article_url text, variant text, impressions bigint, clicks bigint)
      WHERE coalesce(impressions, 0) <> 0 OR coalesce(clicks, 0) <> 0;
    INSERT INTO widget_prompt_counters AS t (publication_id, day, article_url, variant, upsell_shown, upsell_accepted)
      SELECT publication_id, day, article_url, variant, coalesce(upsell_shown, 0), coalesce(upsell_accepted, 0)
      FROM jsonb_to_recordset(counts)
        AS c(publication_id integer, day date, article_url text, variant text, upsell_shown bigint, upsell_accepted bigint)
      WHERE coalesce(upsell_shown, 0) <> 0 OR coalesce(upsell_accepted, 0) <> 0
      ORDER BY 1, 2, 3, 4
      ON CONFLICT (publication_id, day, article_url, variant) DO UPDATE
        SET upsell_shown = t.upsell_shown + excluded.upsell_shown, upsell_accepted = t.upsell_accepted + excluded.upsell_accepted;
    PERFORM favour_fold_rollup_changes();
  END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE OR REPLACE FUNCTION favour_add_widget_counts(counts jsonb) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO funnel_rollup_changes (publication_id, day, article_url, variant, impressions, clicks)
      SELECT * FROM jsonb_to_recordset(counts)
        AS c(publication_id integer, day date, article_url text, variant text, impressions bigint, clicks bigint);
    PERFORM favour_fold_rollup_changes();
  END $$`.execute(db);
  await sql`DROP TABLE widget_prompt_counters`.execute(db);
}
