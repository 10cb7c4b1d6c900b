import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';

export interface CustomerSnapshot {
  id: string;
  publicationId: number | null;
  email: string | null;
  name: string | null;
  /** When this state was current at Stripe (the event's created time). */
  observedAt: Date;
}

export interface StoredCustomer {
  id: string;
  publication_id: number | null;
  supporter_id: number | null;
  email: string | null;
  /** True when this observation created the row: nothing can refer to the customer yet. */
  inserted: boolean;
}

/**
 * Records what an event says about a Stripe customer. The row lock taken here also serialises
 * concurrent events about the same customer.
 */
export async function upsertCustomerSnapshot(db: DbExecutor, c: CustomerSnapshot): Promise<StoredCustomer> {
  // E-mail and name each follow their newest observation (ties broken by value, so every delivery
  // order ends the same). An observation without one (a subscription, an invoice of a nameless
  // customer) neither erases nor dates it; the publication, once known, stays.
  const newerEmail = sql`excluded.email IS NOT NULL AND (stripe_customers.email IS NULL OR
    (excluded.snapshot_at, excluded.email) > (stripe_customers.snapshot_at, stripe_customers.email))`;
  const newerName = sql`excluded.name IS NOT NULL AND (stripe_customers.name IS NULL OR
    (excluded.name_at, excluded.name) > (stripe_customers.name_at, stripe_customers.name))`;
  const result = await sql<StoredCustomer>`
    INSERT INTO stripe_customers (id, publication_id, email, name, snapshot_at, name_at)
    VALUES (${c.id}, ${c.publicationId}, ${c.email}, ${c.name}, ${c.observedAt}, ${c.name === null ? null : c.observedAt})
    ON CONFLICT (id) DO UPDATE SET
      publication_id = coalesce(stripe_customers.publication_id, excluded.publication_id),
      email = CASE WHEN ${newerEmail} THEN excluded.email ELSE stripe_customers.email END,
      snapshot_at = CASE WHEN ${newerEmail} THEN excluded.snapshot_at ELSE stripe_customers.snapshot_at END,
      name = CASE WHEN ${newerName} THEN excluded.name ELSE stripe_customers.name END,
      name_at = CASE WHEN ${newerName} THEN excluded.name_at ELSE stripe_customers.name_at END
    RETURNING id, publication_id, supporter_id, email, (xmax = 0) AS inserted`.execute(db);
  return result.rows[0]!;
}

/** Finds or creates the supporter for an e-mail in a publication; returns its id. */
export async function upsertSupporterByEmail(db: DbExecutor, publicationId: number, email: string): Promise<number> {
  const row = await db
    .insertInto('supporters')
    .values({ publication_id: publicationId, email })
    .onConflict((oc) => oc.columns(['publication_id', 'email']).doUpdateSet({ email: (eb) => eb.ref('excluded.email') }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Points a customer, and every payment and membership made through it, at a supporter. A customer
 * seen for the first time has no payments or memberships yet (handlers record the customer first).
 */
export async function moveCustomerToSupporter(db: DbExecutor, customerId: string, supporterId: number, isNew = false): Promise<void> {
  await db.updateTable('stripe_customers').set({ supporter_id: supporterId }).where('id', '=', customerId).execute();
  if (isNew) return;
  await db
    .updateTable('payments')
    .set({ supporter_id: supporterId, updated_at: new Date() })
    .where('customer_id', '=', customerId)
    .where((eb) => eb.or([eb('supporter_id', 'is', null), eb('supporter_id', '!=', supporterId)]))
    .execute();
  await db
    .updateTable('memberships')
    .set({ supporter_id: supporterId, updated_at: new Date() })
    .where('customer_id', '=', customerId)
    .where((eb) => eb.or([eb('supporter_id', 'is', null), eb('supporter_id', '!=', supporterId)]))
    .execute();
}

/**
 * Removes a supporter nothing refers to any more (its customers moved to another e-mail). The row
 * lock comes first, so when two transactions move a supporter's last two customers away at once,
 * the second one checks after the first has committed (a statement of its own, with a fresh
 * snapshot) and sees the supporter empty, instead of each seeing the other's customer still there.
 */
export async function deleteSupporterIfOrphaned(db: DbExecutor, supporterId: number): Promise<void> {
  await sql`SELECT id FROM supporters WHERE id = ${supporterId} FOR UPDATE`.execute(db);
  await sql`
    DELETE FROM supporters s WHERE s.id = ${supporterId}
      AND NOT EXISTS (SELECT 1 FROM stripe_customers c WHERE c.supporter_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.supporter_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.supporter_id = s.id)`.execute(db);
}

/** A supporter's name is the newest name any of its customers gave. */
export async function refreshSupporterName(db: DbExecutor, supporterId: number): Promise<void> {
  await sql`
    UPDATE supporters s SET updated_at = now(), name = (
      SELECT c.name FROM stripe_customers c
      WHERE c.supporter_id = s.id AND c.name IS NOT NULL
      ORDER BY c.name_at DESC, c.name DESC LIMIT 1)
    WHERE s.id = ${supporterId}`.execute(db);
}
