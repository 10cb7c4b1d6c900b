import { type Kysely, sql } from 'kysely';

// "Remind me later": a reader leaves an address, confirms it from an e-mail (double opt-in), and hears once on the due
// day. Only the token's SHA-256 is kept. A sign-up left unconfirmed, or erased on request, loses its address and token
// but keeps its row, so the funnel's counts stay true. The outbox's messages about a reminder name it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE reminders (
    id bigserial PRIMARY KEY,
    publication_id integer NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    email text,
    article_url text,
    locale text NOT NULL,
    after_days integer NOT NULL,
    token_hash text UNIQUE,
    due_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    unsubscribed_at timestamptz,
    converted_at timestamptz,
    erased_at timestamptz
  )`.execute(db);
  await sql`CREATE INDEX reminders_address_idx ON reminders (publication_id, email) WHERE email IS NOT NULL`.execute(db);
  await sql`CREATE INDEX reminders_created_idx ON reminders (publication_id, created_at)`.execute(db);
  await sql`CREATE INDEX reminders_unconfirmed_idx ON reminders (created_at) WHERE confirmed_at IS NULL AND email IS NOT NULL`.execute(db);
  await sql`ALTER TABLE outbound_emails ADD COLUMN reminder_id bigint REFERENCES reminders (id) ON DELETE CASCADE`.execute(db);
  await sql`CREATE INDEX outbound_emails_reminder_idx ON outbound_emails (reminder_id) WHERE reminder_id IS NOT NULL`.execute(db);
  await sql`ALTER TABLE outbound_emails DROP CONSTRAINT outbound_emails_kind_check,
    ADD CONSTRAINT outbound_emails_kind_check CHECK (kind IN ('thank_you', 'manage_link', 'payment_failed', 'payment_failed_reminder',
      'reminder_confirm', 'reminder'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM outbound_emails WHERE kind IN ('reminder_confirm', 'reminder')`.execute(db);
  await sql`ALTER TABLE outbound_emails DROP CONSTRAINT outbound_emails_kind_check,
    ADD CONSTRAINT outbound_emails_kind_check CHECK (kind IN ('thank_you', 'manage_link', 'payment_failed', 'payment_failed_reminder'))`.execute(
    db,
  );
  await sql`ALTER TABLE outbound_emails DROP COLUMN reminder_id`.execute(db);
  await sql`DROP TABLE reminders`.execute(db);
}
