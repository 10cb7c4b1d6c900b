import { type Kysely, sql } from 'kysely';

// Daily widget counters: no IP, no cookie, no reader id; just how often an appeal was seen and clicked.
// A popular article's counter is split into a few shards (by database backend) so concurrent beacons
// do not queue on one row; reports sum the shards.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE widget_daily_counters (
      publication_id  integer NOT NULL REFERENCES publications(id),
      day             date NOT NULL,
      article_url     text NOT NULL,
      variant         text NOT NULL DEFAULT '',
      shard           smallint NOT NULL DEFAULT 0,
      impressions     bigint NOT NULL DEFAULT 0,
      clicks          bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (publication_id, day, article_url, variant, shard)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE widget_daily_counters`.execute(db);
}
