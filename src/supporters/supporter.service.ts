import type { DbExecutor } from '../db/database.js';
import {
  type CustomerSnapshot,
  deleteSupporterIfOrphaned,
  moveCustomerToSupporter,
  refreshSupporterName,
  upsertCustomerSnapshot,
  upsertSupporterByEmail,
} from './supporter.repository.js';

/** Supporters are keyed by e-mail; compare addresses the way people mean them. */
export function normaliseEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

/**
 * Records a customer observation and links the customer to the supporter its newest e-mail names.
 * A supporter is everyone's payments under one e-mail in one publication; when a customer's e-mail
 * changes, its payments and memberships move with it and an emptied supporter is removed, so the
 * result is the same whichever order Stripe delivered the events in.
 * Returns the supporter id, or null while the customer's publication or e-mail is still unknown.
 */
export async function recordCustomer(db: DbExecutor, snapshot: CustomerSnapshot): Promise<number | null> {
  const customer = await upsertCustomerSnapshot(db, { ...snapshot, email: normaliseEmail(snapshot.email) });
  if (customer.publication_id === null || customer.email === null) return customer.supporter_id;
  const supporterId = await upsertSupporterByEmail(db, customer.publication_id, customer.email);
  if (customer.supporter_id !== supporterId) {
    await moveCustomerToSupporter(db, customer.id, supporterId, customer.inserted);
    if (customer.supporter_id !== null) {
      await deleteSupporterIfOrphaned(db, customer.supporter_id);
      // A supporter the customer left but others still use must not keep the name it gave: its name
      // is recomputed from the customers it has left, as if this customer had never been there.
      await refreshSupporterName(db, customer.supporter_id);
    }
  }
  await refreshSupporterName(db, supporterId);
  return supporterId;
}

/** The supporter for a payment made without a Stripe customer (rare): found by e-mail alone. */
export async function supporterForEmail(db: DbExecutor, publicationId: number, email: string | null): Promise<number | null> {
  const normalised = normaliseEmail(email);
  return normalised ? upsertSupporterByEmail(db, publicationId, normalised) : null;
}
