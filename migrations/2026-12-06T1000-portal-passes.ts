import { type Kysely, sql } from 'kysely';

// The billing portal opens only for the browser that paid: the first thank-you view stores the hash of a
// secret it gives that browser in a cookie, and the portal asks for it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE checkout_sessions
    ADD COLUMN portal_pass_hash text,
    ADD COLUMN portal_pass_issued_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE checkout_sessions DROP COLUMN portal_pass_hash, DROP COLUMN portal_pass_issued_at`.execute(db);
}
