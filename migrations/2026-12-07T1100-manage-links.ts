import { type Kysely, sql } from 'kysely';

// Sign-in-free links to manage a membership: a random token e-mailed to the member, stored only as its SHA-256, valid
// for a while and used once. The e-mail that carries it holds the token until it is sent, then forgets it.
// Failed-payment e-mails and their reminder join the outbox's kinds.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE manage_links (
    id bigserial PRIMARY KEY,
    publication_id integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    supporter_id integer NOT NULL REFERENCES supporters (id) ON DELETE CASCADE,
    customer_id text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`CREATE INDEX manage_links_supporter_idx ON manage_links (supporter_id)`.execute(db);
  await sql`ALTER TABLE outbound_emails DROP CONSTRAINT outbound_emails_kind_check,
    ADD CONSTRAINT outbound_emails_kind_check CHECK (kind IN ('thank_you', 'manage_link', 'payment_failed', 'payment_failed_reminder'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM outbound_emails WHERE kind <> 'thank_you'`.execute(db);
  await sql`ALTER TABLE outbound_emails DROP CONSTRAINT outbound_emails_kind_check,
    ADD CONSTRAINT outbound_emails_kind_check CHECK (kind IN ('thank_you'))`.execute(db);
  await sql`DROP TABLE manage_links`.execute(db);
}
