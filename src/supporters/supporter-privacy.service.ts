import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { eraseReminders, remindersOf } from '../reminders/reminder.repository.js';
import { normaliseEmail } from './supporter.service.js';
import { eraseSupporter, findSupporterByEmail, supporterRecords } from './supporter-privacy.repository.js';

const NO_RECORDS = { customers: [], payments: [], memberships: [], totals: [], checkout_sessions: [] };

/** All we hold about a person in one publication (as a supporter, and their reminders), or undefined when nothing. */
export async function exportSupporter(db: Db, publication: PublicationRow, email: string) {
  const address = normaliseEmail(email) ?? '';
  const [supporter, reminders] = await Promise.all([
    findSupporterByEmail(db, publication.id, address),
    remindersOf(db, publication.id, address),
  ]);
  if (!supporter && reminders.length === 0) return undefined;
  return {
    publication: publication.slug,
    exported_at: new Date().toISOString(),
    supporter: supporter ?? null,
    ...(supporter ? await supporterRecords(db, supporter.id) : NO_RECORDS),
    reminders,
    note: 'Card details are held by Stripe only; favour never receives them.',
  };
}

/** Erases a person's personal data in one transaction; undefined when we hold nothing about them. */
export async function eraseSupporterByEmail(db: Db, publication: PublicationRow, email: string, now: Date) {
  const address = normaliseEmail(email) ?? '';
  return db.transaction().execute(async (trx) => {
    const supporter = await findSupporterByEmail(trx, publication.id, address);
    // Reminders first: whether one brought a payment is read from the address before it goes.
    const reminders = await eraseReminders(trx, publication.id, address, now);
    if (!supporter && reminders === 0) return undefined;
    const erased = supporter ? await eraseSupporter(trx, supporter.id, now) : { customers: 0, events: 0 };
    return {
      publication: publication.slug,
      supporter_id: supporter?.id ?? null,
      erased_at: now.toISOString(),
      stripe_customers_unlinked: erased.customers,
      events_scrubbed: erased.events,
      reminders_erased: reminders,
    };
  });
}
