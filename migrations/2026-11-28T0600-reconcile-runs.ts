import { type Kysely, sql } from 'kysely';

// Every reconciliation run with Stripe's Events API: when, how far back, what it found.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE reconcile_runs (
      id            serial PRIMARY KEY,
      started_at    timestamptz NOT NULL,
      finished_at   timestamptz,
      since         timestamptz NOT NULL,
      fetched       integer NOT NULL DEFAULT 0,
      already_had   integer NOT NULL DEFAULT 0,
      applied       integer NOT NULL DEFAULT 0,
      ignored       integer NOT NULL DEFAULT 0,
      error         text
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE reconcile_runs`.execute(db);
}
