import { type Kysely, sql } from 'kysely';

// Rate-limit counters shared by every instance (rate-limiter-flexible's Postgres store layout).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(db);
  await sql`CREATE INDEX rate_limits_expire ON rate_limits (expire)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE rate_limits`.execute(db);
}
