import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { normaliseEmail } from './supporter.service.js';
import { eraseSupporter, findSupporterByEmail, supporterRecords } from './supporter-privacy.repository.js';

/** All we hold about a person in one publication, or undefined when we hold nothing. */
export async function exportSupporter(db: Db, publication: PublicationRow, email: string) {
  const supporter = await findSupporterByEmail(db, publication.id, normaliseEmail(email) ?? '');
  if (!supporter) return undefined;
  return {
    publication: publication.slug,
    exported_at: new Date().toISOString(),
    supporter,
    ...(await supporterRecords(db, supporter.id)),
    note: 'Card details are held by Stripe only; favour never receives them.',
  };
}

/** Erases a person's personal data in one transaction; undefined when we hold nothing about them. */
export async function eraseSupporterByEmail(db: Db, publication: PublicationRow, email: string, now: Date) {
  return db.transaction().execute(async (trx) => {
    const supporter = await findSupporterByEmail(trx, publication.id, normaliseEmail(email) ?? '');
    if (!supporter) return undefined;
    const erased = await eraseSupporter(trx, supporter.id, now);
    return {
      publication: publication.slug,
      supporter_id: supporter.id,
      erased_at: now.toISOString(),
      stripe_customers_unlinked: erased.customers,
      events_scrubbed: erased.events,
    };
  });
}
