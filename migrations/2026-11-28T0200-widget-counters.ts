import { type Kysely, sql } from 'kysely';

// Daily widget counters: no IP, no cookie, no reader id; just how often an appeal was seen and clicked.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE widget_daily_counters (
      publication_id  integer NOT NULL REFERENCES publications(id),
      day             date NOT NULL,
      article_url     text NOT NULL,
      variant         text NOT NULL DEFAULT '',
      impressions     bigint NOT NULL DEFAULT 0,
      clicks          bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (publication_id, day, article_url, variant)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE widget_daily_counters`.execute(db);
}
