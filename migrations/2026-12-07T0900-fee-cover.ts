import { type Kysely, sql } from 'kysely';

// "Cover the fees": the part of a payment the reader added so the newsroom nets the whole gift (in the payment's
// currency, minor units; 0 when none). The partial index serves the reports, which read only payments that have one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payments ADD COLUMN fee_cover_amount bigint NOT NULL DEFAULT 0
    CONSTRAINT payments_fee_cover_amount_check CHECK (fee_cover_amount >= 0)`.execute(db);
  await sql`CREATE INDEX payments_fee_cover_idx ON payments (publication_id, paid_at) WHERE fee_cover_amount > 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payments DROP COLUMN fee_cover_amount`.execute(db);
}
