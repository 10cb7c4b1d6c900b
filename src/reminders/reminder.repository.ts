import { createHash, randomBytes } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import { queueEmail } from '../email/email-outbox.repository.js';
import { scrubRemindersFromMessages } from '../outbound-webhooks/webhook-delivery.repository.js';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

/** How long a sign-up may wait for its confirmation before its address is deleted. */
export const UNCONFIRMED_KEPT_DAYS = 7;
/** A payment this soon after the reminder went counts as the reminder's. */
export const CONVERSION_DAYS = 14;

export interface ReminderRow {
  id: number;
  publication_id: number;
  email: string | null;
  article_url: string | null;
  locale: string;
  after_days: number;
  due_at: Date;
  created_at: Date;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
}

const REMINDER_COLUMNS = [
  'id',
  'publication_id',
  'email',
  'article_url',
  'locale',
  'after_days',
  'due_at',
  'created_at',
  'confirmed_at',
  'unsubscribed_at',
] as const;

/**
 * A sign-up, and its confirmation e-mail queued in the same transaction. An address already waiting for its
 * confirmation gets a fresh one (the old link stops working); an address already confirmed and not yet reminded gets
 * nothing new. Returns what happened, for the log only: the reader is answered the same either way.
 */
export async function signUpForReminder(
  db: DbExecutor,
  signUp: { publicationId: number; email: string; articleUrl: string | null; locale: string; afterDays: number; now: Date },
): Promise<'created' | 'confirmation_resent' | 'already_confirmed'> {
  const open = await db
    .selectFrom('reminders')
    .select(['id', 'confirmed_at'])
    .where('publication_id', '=', signUp.publicationId)
    .where('email', '=', signUp.email)
    .where('unsubscribed_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('outbound_emails')
            .select('outbound_emails.id')
            .whereRef('outbound_emails.reminder_id', '=', 'reminders.id')
            .where('outbound_emails.kind', '=', 'reminder')
            .where('outbound_emails.status', '<>', 'pending'),
        ),
      ),
    )
    .orderBy('id', 'desc')
    .forUpdate()
    .executeTakeFirst();
  if (open?.confirmed_at) return 'already_confirmed';

  const token = newToken();
  const dueAt = new Date(signUp.now.getTime() + signUp.afterDays * 86_400_000);
  const values = {
    article_url: signUp.articleUrl,
    locale: signUp.locale,
    after_days: signUp.afterDays,
    token_hash: hashOf(token),
    due_at: dueAt,
  };
  const reminderId = open
    ? (await db.updateTable('reminders').set(values).where('id', '=', open.id).returning('id').executeTakeFirstOrThrow()).id
    : (
        await db
          .insertInto('reminders')
          .values({ publication_id: signUp.publicationId, email: signUp.email, ...values })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
  await queueEmail(db, {
    publicationId: signUp.publicationId,
    reminderId,
    kind: 'reminder_confirm',
    dedupeKey: `reminder_confirm:${reminderId}:${signUp.now.getTime()}`,
    data: { token },
  });
  return open ? 'confirmation_resent' : 'created';
}

/** The reminder a token names, while it still has an address (not erased, not expired unconfirmed). */
export async function findReminderByToken(db: DbExecutor, token: string): Promise<ReminderRow | undefined> {
  return db
    .selectFrom('reminders')
    .select(REMINDER_COLUMNS)
    .where('token_hash', '=', hashOf(token))
    .where('email', 'is not', null)
    .executeTakeFirst();
}

export async function findReminder(db: DbExecutor, id: number): Promise<ReminderRow | undefined> {
  return db.selectFrom('reminders').select(REMINDER_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/**
 * Confirms a sign-up (again is harmless) and queues its reminder for the due day, carrying the token the reader
 * confirmed with, for its unsubscribe link. Nothing once unsubscribed.
 */
export async function confirmReminder(db: DbExecutor, reminder: ReminderRow, token: string, now: Date): Promise<void> {
  if (reminder.unsubscribed_at) return;
  if (!reminder.confirmed_at) await db.updateTable('reminders').set({ confirmed_at: now }).where('id', '=', reminder.id).execute();
  await queueEmail(db, {
    publicationId: reminder.publication_id,
    reminderId: reminder.id,
    kind: 'reminder',
    dedupeKey: `reminder:${reminder.id}`,
    data: { token },
    dueAt: reminder.due_at > now ? reminder.due_at : now,
  });
}

/** No more reminders for this address at this publication: each open one is marked, its pending e-mails are skipped. */
export async function unsubscribeAddress(db: DbExecutor, publicationId: number, email: string, now: Date): Promise<void> {
  await db
    .updateTable('reminders')
    .set({ unsubscribed_at: now })
    .where('publication_id', '=', publicationId)
    .where('email', '=', email)
    .where('unsubscribed_at', 'is', null)
    .execute();
}

/**
 * A payment within CONVERSION_DAYS of the reminder e-mail `sent` (an outbound_emails row) by the reminded address
 * `r` (a reminders row): the one rule of a conversion, used by the report and when an erasure freezes it.
 */
export function paidAfterReminder(r: string, sent: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (
    SELECT 1 FROM supporters s JOIN payments p ON p.supporter_id = s.id
    WHERE s.publication_id = ${sql.ref(`${r}.publication_id`)} AND s.email = ${sql.ref(`${r}.email`)}
      AND p.base_status = 'succeeded' AND p.paid_at >= ${sql.ref(`${sent}.sent_at`)}
      AND p.paid_at < ${sql.ref(`${sent}.sent_at`)} + make_interval(days => ${CONVERSION_DAYS}))`;
}

/** Whether the address gave after signing up: its reminder would be pointless. */
export async function gaveSince(db: DbExecutor, reminder: ReminderRow): Promise<boolean> {
  const row = await sql<{ gave: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM supporters s JOIN payments p ON p.supporter_id = s.id
      WHERE s.publication_id = ${reminder.publication_id} AND s.email = ${reminder.email}
        AND p.base_status = 'succeeded' AND p.paid_at >= ${reminder.created_at}) AS gave`.execute(db);
  return row.rows[0]?.gave ?? false;
}

/**
 * Forgets an address's reminders (an erasure): a conversion they brought is kept as a date, then address, article
 * and token go and pending e-mails are dropped. The rows stay, without anything personal, for the funnel's counts.
 */
export async function eraseReminders(db: DbExecutor, publicationId: number, email: string, now: Date): Promise<number> {
  await sql`
    UPDATE reminders r SET converted_at = ${now}
    FROM outbound_emails sent
    WHERE r.publication_id = ${publicationId} AND r.email = ${email} AND r.converted_at IS NULL
      AND sent.reminder_id = r.id AND sent.kind = 'reminder' AND sent.status = 'sent' AND ${paidAfterReminder('r', 'sent')}`.execute(db);
  const erased = await db
    .updateTable('reminders')
    .set({ email: null, article_url: null, token_hash: null, erased_at: now })
    .where('publication_id', '=', publicationId)
    .where('email', '=', email)
    .returning('id')
    .execute();
  await scrubRemindersFromMessages(
    db,
    publicationId,
    erased.map((r) => r.id),
  );
  await dropPendingEmails(
    db,
    erased.map((r) => r.id),
  );
  return erased.length;
}

/** Reminders whose address is gone take their unsent e-mails with them. */
async function dropPendingEmails(db: DbExecutor, reminderIds: number[]): Promise<void> {
  if (reminderIds.length === 0) return;
  await db.deleteFrom('outbound_emails').where('reminder_id', 'in', reminderIds).where('status', '=', 'pending').execute();
}

/** Sign-ups never confirmed within UNCONFIRMED_KEPT_DAYS lose their address (and their pending e-mails). */
export async function expireUnconfirmedReminders(db: DbExecutor, now: Date): Promise<number> {
  const expired = await sql<{ id: number }>`
    UPDATE reminders SET email = NULL, article_url = NULL, token_hash = NULL
    WHERE confirmed_at IS NULL AND email IS NOT NULL AND created_at < ${now}::timestamptz - make_interval(days => ${UNCONFIRMED_KEPT_DAYS})
    RETURNING id`.execute(db);
  await dropPendingEmails(
    db,
    expired.rows.map((r) => r.id),
  );
  return expired.rows.length;
}

/** An address's reminders, for a subject access request (without token hashes). */
export async function remindersOf(db: DbExecutor, publicationId: number, email: string) {
  return db
    .selectFrom('reminders')
    .select(['id', 'email', 'article_url', 'locale', 'after_days', 'created_at', 'confirmed_at', 'due_at', 'unsubscribed_at'])
    .where('publication_id', '=', publicationId)
    .where('email', '=', email)
    .orderBy('id')
    .execute();
}
