import { type Kysely, sql } from 'kysely';

// An event Stripe rendered in another API version than the one favour is written against, or sent in the
// other mode (live vs test) than the secret key's, is stored but held, not applied: applied as if it were
// right, an older-shaped invoice would look like a stranger's and a renewal would be lost.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE stripe_events
    DROP CONSTRAINT stripe_events_status_check,
    ADD CONSTRAINT stripe_events_status_check CHECK (status IN ('pending', 'applied', 'failed', 'held')),
    ADD COLUMN hold_reason text CHECK (hold_reason IN ('api_version_mismatch', 'livemode_mismatch')),
    ADD CONSTRAINT stripe_events_held_with_reason CHECK ((status = 'held') = (hold_reason IS NOT NULL))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM stripe_events WHERE status = 'held'`.execute(db);
  await sql`ALTER TABLE stripe_events
    DROP CONSTRAINT stripe_events_held_with_reason,
    DROP COLUMN hold_reason,
    DROP CONSTRAINT stripe_events_status_check,
    ADD CONSTRAINT stripe_events_status_check CHECK (status IN ('pending', 'applied', 'failed'))`.execute(db);
}
