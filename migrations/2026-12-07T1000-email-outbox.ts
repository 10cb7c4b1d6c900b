import { type Kysely, sql } from 'kysely';

// E-mails to supporters leave from this table: written in the transaction that decided them (so a redelivered or
// reordered webhook finds the dedupe key taken and adds nothing), sent by a worker that claims due rows with
// SKIP LOCKED and a lease (so two instances never take the same one), retried with back-off, kept after sending.
// The address is read from the supporter when sending: an erased supporter gets nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE outbound_emails (
    id bigserial PRIMARY KEY,
    publication_id integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    supporter_id integer REFERENCES supporters (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('thank_you')),
    dedupe_key text NOT NULL UNIQUE,
    data jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    message_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX outbound_emails_due_idx ON outbound_emails (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX outbound_emails_supporter_idx ON outbound_emails (supporter_id)`.execute(db);
  await sql`CREATE INDEX outbound_emails_failed_idx ON outbound_emails (id) WHERE status = 'failed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE outbound_emails`.execute(db);
}
