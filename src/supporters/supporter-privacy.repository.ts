import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import { scrubSupporterFromMessages } from '../outbound-webhooks/webhook-delivery.repository.js';

export async function findSupporterByEmail(db: DbExecutor, publicationId: number, email: string) {
  return db.selectFrom('supporters').selectAll().where('publication_id', '=', publicationId).where('email', '=', email).executeTakeFirst();
}

/** Everything stored about one supporter, for a subject access request. */
export async function supporterRecords(db: DbExecutor, supporterId: number) {
  const [customers, payments, memberships, totals] = await Promise.all([
    db
      .selectFrom('stripe_customers')
      .select(['id', 'email', 'name', 'snapshot_at'])
      .where('supporter_id', '=', supporterId)
      .orderBy('id')
      .execute(),
    db.selectFrom('payments').selectAll().where('supporter_id', '=', supporterId).orderBy('id').execute(),
    db.selectFrom('memberships').selectAll().where('supporter_id', '=', supporterId).orderBy('started_at').execute(),
    db.selectFrom('supporter_totals').selectAll().where('supporter_id', '=', supporterId).orderBy('currency').execute(),
  ]);
  const customerIds = customers.map((c) => c.id);
  const sessions = customerIds.length
    ? await db.selectFrom('checkout_sessions').selectAll().where('customer_id', 'in', customerIds).orderBy('created_at').execute()
    : [];
  return { customers, payments, memberships, totals, checkout_sessions: sessions };
}

// Personal fields Stripe puts on the objects we store in event payloads.
const PERSONAL_PATHS = [
  '{data,object,customer_details}',
  '{data,object,customer_email}',
  '{data,object,customer_name}',
  '{data,object,customer_address}',
  '{data,object,customer_phone}',
  '{data,object,customer_shipping}',
  '{data,object,billing_details}',
  '{data,object,shipping}',
  '{data,object,shipping_details}',
  '{data,object,collected_information}',
  '{data,object,receipt_email}',
  '{data,object,email}',
  '{data,object,name}',
  '{data,object,phone}',
  '{data,object,address}',
  '{data,previous_attributes}',
];

/**
 * Erases a supporter's personal data: e-mail and name go, the links from payments, memberships and
 * sessions to Stripe customers go, personal fields are cut from stored event payloads. Amounts,
 * dates, statuses and attribution stay, so every total stays right.
 */
export async function eraseSupporter(db: DbExecutor, supporterId: number, now: Date): Promise<{ customers: number; events: number }> {
  const customers = await db.selectFrom('stripe_customers').select('id').where('supporter_id', '=', supporterId).execute();
  const customerIds = customers.map((c) => c.id);
  const supporter = await db
    .selectFrom('supporters')
    .select(['email', 'publication_id'])
    .where('id', '=', supporterId)
    .executeTakeFirstOrThrow();

  let events = 0;
  if (customerIds.length > 0) {
    const scrub = PERSONAL_PATHS.reduce((expr, path) => sql`(${expr} #- ${path}::text[])`, sql`payload`);
    const result = await sql`
      UPDATE stripe_events SET payload = ${scrub}
      WHERE payload->'data'->'object'->>'customer' IN (${sql.join(customerIds)})
         OR (payload->'data'->'object'->>'object' = 'customer' AND payload->'data'->'object'->>'id' IN (${sql.join(customerIds)}))
         OR lower(payload->'data'->'object'->'customer_details'->>'email') = ${supporter.email}
         OR lower(payload->'data'->'object'->>'customer_email') = ${supporter.email}`.execute(db);
    events = Number(result.numAffectedRows ?? 0);
    await db.updateTable('checkout_sessions').set({ customer_id: null }).where('customer_id', 'in', customerIds).execute();
  }
  await db.updateTable('payments').set({ customer_id: null, updated_at: now }).where('supporter_id', '=', supporterId).execute();
  await db.updateTable('memberships').set({ customer_id: null, updated_at: now }).where('supporter_id', '=', supporterId).execute();
  await db.deleteFrom('stripe_customers').where('supporter_id', '=', supporterId).execute();
  // Links to manage the membership name the Stripe customer: none may open the portal after an erasure.
  await db.deleteFrom('manage_links').where('supporter_id', '=', supporterId).execute();
  await scrubSupporterFromMessages(db, supporter.publication_id, supporterId);
  await db
    .updateTable('supporters')
    .set({ email: sql<string>`'erased-' || id::text`, name: null, erased_at: now, updated_at: now })
    .where('id', '=', supporterId)
    .execute();
  return { customers: customerIds.length, events };
}
