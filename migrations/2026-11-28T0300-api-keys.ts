import { type Kysely, sql } from 'kysely';

// Report API keys: only a SHA-256 of each key is stored; the key itself is shown once at creation.
// Also the mark of supporters erased on request.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE api_keys (
      id              serial PRIMARY KEY,
      publication_id  integer NOT NULL REFERENCES publications(id),
      label           text NOT NULL,
      prefix          text NOT NULL,
      key_hash        text NOT NULL UNIQUE,
      created_at      timestamptz NOT NULL DEFAULT now(),
      last_used_at    timestamptz,
      revoked_at      timestamptz
    )`.execute(db);
  // Set when a supporter's personal data was erased on request; amounts and dates stay for the totals.
  await sql`ALTER TABLE supporters ADD COLUMN erased_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE supporters DROP COLUMN erased_at`.execute(db);
  await sql`DROP TABLE api_keys`.execute(db);
}
