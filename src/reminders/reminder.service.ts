import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { isRateLimited, type RateLimit } from '../http/rate-limit.js';
import { findPublicationById } from '../publications/publication.repository.js';
import { confirmReminder, findReminderByToken, type ReminderRow, signUpForReminder, unsubscribeAddress } from './reminder.repository.js';

export interface ReminderServiceDeps {
  db: Db;
  logger: Logger;
  /** Sign-ups per e-mail address (RATE_LIMIT_MANAGE_EMAIL, shared with manage links): no flooding a stranger's inbox. */
  perAddress: RateLimit;
  now: () => Date;
}

export interface ReminderSignUp {
  email: string;
  articleUrl: string | null;
  locale: string;
  afterDays: number;
}

/** A token's reminder and its publication, or nothing for a token that no longer works. */
export type ReminderLookup = { reminder: ReminderRow; publication: PublicationRow } | undefined;

/** "Remind me later": sign-up with double opt-in, confirmation, one-click unsubscribe. */
export function createReminderService(deps: ReminderServiceDeps) {
  const { db, logger } = deps;

  async function lookup(token: string): Promise<ReminderLookup> {
    const reminder = await findReminderByToken(db, token);
    const publication = reminder && (await findPublicationById(db, reminder.publication_id));
    return reminder && publication ? { reminder, publication } : undefined;
  }

  return {
    lookup,

    /** Records a sign-up and queues its confirmation; the caller answers the same whatever happens here. */
    async signUp(publication: PublicationRow, signUp: ReminderSignUp): Promise<void> {
      try {
        await deps.perAddress.consume(`reminder:${publication.id}:${signUp.email}`);
      } catch (err) {
        if (isRateLimited(err)) return; // silently: the answer must not differ
        throw err;
      }
      const outcome = await db
        .transaction()
        .execute((trx) => signUpForReminder(trx, { publicationId: publication.id, ...signUp, now: deps.now() }));
      logger.info({ publication: publication.slug, outcome }, 'reminder sign-up');
    },

    /** Confirms the sign-up a token names (again is harmless); undefined when the link no longer works. */
    async confirm(token: string): Promise<ReminderLookup> {
      const found = await lookup(token);
      if (!found || found.reminder.unsubscribed_at) return found;
      await db.transaction().execute((trx) => confirmReminder(trx, found.reminder, token, deps.now()));
      return found;
    },

    /** No more reminders to the token's address from its publication. */
    async unsubscribe(token: string): Promise<ReminderLookup> {
      const found = await lookup(token);
      if (found?.reminder.email) await unsubscribeAddress(db, found.publication.id, found.reminder.email, deps.now());
      return found;
    },
  };
}

export type ReminderService = ReturnType<typeof createReminderService>;
