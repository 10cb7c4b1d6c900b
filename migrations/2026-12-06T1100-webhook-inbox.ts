import { type Kysely, sql } from 'kysely';

// The webhook inbox: a Stripe event is stored and acknowledged first, and applied afterwards by an
// applier on every instance. An event's state: pending (stored, not yet applied), applied, or failed
// (its handler threw; tried again at next_attempt_at). Events stored before this migration were applied
// in the request that stored them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE stripe_events
    ALTER COLUMN outcome DROP NOT NULL,
    ADD COLUMN status text NOT NULL DEFAULT 'applied' CHECK (status IN ('pending', 'applied', 'failed')),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN applied_at timestamptz`.execute(db);
  await sql`UPDATE stripe_events SET applied_at = received_at`.execute(db);
  await sql`ALTER TABLE stripe_events ALTER COLUMN status SET DEFAULT 'pending'`.execute(db);
  // Only events still to apply are indexed: the applier's claim reads this, oldest first.
  await sql`CREATE INDEX stripe_events_to_apply ON stripe_events (created, id) WHERE status <> 'applied'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX stripe_events_to_apply`.execute(db);
  await sql`UPDATE stripe_events SET outcome = 'ignored' WHERE outcome IS NULL`.execute(db);
  await sql`ALTER TABLE stripe_events
    ALTER COLUMN outcome SET NOT NULL,
    DROP COLUMN status, DROP COLUMN attempts, DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN applied_at`.execute(db);
}
