import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { OutboundEmailKind } from '../db/tables/outbound-email.table.js';

/** A thank-you or failed-payment notice more than this late (an old event replayed by reconciliation, say) is not sent. */
const TOO_LATE_AFTER = '7 days';

/**
 * Queues the thank-you for a payment that went through, when it is its supporter's first: one per supporter (and so
 * per publication) whatever the order or repetition of webhooks, as the dedupe key is taken by the first to commit.
 */
export async function queueThankYou(db: DbExecutor, paymentId: number): Promise<void> {
  await sql`
    INSERT INTO outbound_emails (publication_id, supporter_id, kind, dedupe_key, data)
    SELECT p.publication_id, p.supporter_id, 'thank_you', 'thank_you:' || p.supporter_id, jsonb_build_object('payment_id', p.id)
    FROM payments p
    WHERE p.id = ${paymentId} AND p.base_status = 'succeeded' AND p.supporter_id IS NOT NULL
      AND p.paid_at > now() - ${TOO_LATE_AFTER}::interval
      AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.supporter_id = p.supporter_id AND q.base_status = 'succeeded' AND q.paid_at < p.paid_at)
    ON CONFLICT (dedupe_key) DO NOTHING`.execute(db);
}

/** A message for a reason and object the dedupe key names; nothing when that key is taken. */
export async function queueEmail(
  db: DbExecutor,
  email: {
    publicationId: number;
    /** Whom it is for: a supporter, or a "remind me later" sign-up. */
    supporterId?: number;
    reminderId?: number;
    kind: OutboundEmailKind;
    dedupeKey: string;
    data: Record<string, unknown>;
    dueAt?: Date;
  },
): Promise<void> {
  await db
    .insertInto('outbound_emails')
    .values({
      publication_id: email.publicationId,
      supporter_id: email.supporterId ?? null,
      reminder_id: email.reminderId ?? null,
      kind: email.kind,
      dedupe_key: email.dedupeKey,
      data: JSON.stringify(email.data),
      ...(email.dueAt ? { next_attempt_at: email.dueAt } : {}),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}

/** How long after a failed membership payment the reminder goes, if the invoice is still unpaid then. */
const PAYMENT_FAILED_REMINDER_AFTER = '3 days';

/**
 * A membership payment failed: the e-mail with a link to update the card now, and its reminder in three days (each
 * checks when it is due whether the invoice has been paid meanwhile). One pair per invoice however often Stripe retries.
 */
export async function queuePaymentFailed(db: DbExecutor, paymentId: number): Promise<void> {
  await sql`
    INSERT INTO outbound_emails (publication_id, supporter_id, kind, dedupe_key, data, next_attempt_at)
    SELECT p.publication_id, p.supporter_id, k.kind, k.kind || ':' || p.invoice_id, jsonb_build_object('payment_id', p.id), k.due
    FROM payments p,
      (VALUES ('payment_failed', now()), ('payment_failed_reminder', now() + ${PAYMENT_FAILED_REMINDER_AFTER}::interval)) AS k (kind, due)
    WHERE p.id = ${paymentId} AND p.kind = 'membership' AND p.base_status = 'failed' AND p.supporter_id IS NOT NULL
      AND p.invoice_id IS NOT NULL AND p.created_at > now() - ${TOO_LATE_AFTER}::interval
    ON CONFLICT (dedupe_key) DO NOTHING`.execute(db);
}

export interface DueEmail {
  id: number;
  kind: OutboundEmailKind;
  attempts: number;
  data: Record<string, unknown>;
  publication_id: number;
  supporter_id: number | null;
  reminder_id: number | null;
}

/**
 * Claims up to `limit` due messages for `leaseSeconds`: SKIP LOCKED keeps instances apart while claiming, the lease
 * (the next attempt moved on) while sending. A sender that dies mid-send leaves its messages due again after the lease.
 */
export async function claimDueEmails(db: DbExecutor, now: Date, limit: number, leaseSeconds: number): Promise<DueEmail[]> {
  const result = await sql<DueEmail>`
    UPDATE outbound_emails SET attempts = attempts + 1, next_attempt_at = ${now}::timestamptz + make_interval(secs => ${leaseSeconds})
    WHERE id IN (
      SELECT id FROM outbound_emails WHERE status = 'pending' AND next_attempt_at <= ${now}
      ORDER BY next_attempt_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, attempts, data, publication_id, supporter_id, reminder_id`.execute(db);
  return result.rows;
}

/**
 * Each outcome is recorded only for the claim it belongs to: a sender that outlived its lease cannot overwrite what the
 * sender that took the message over recorded.
 */
type Claim = Pick<DueEmail, 'id' | 'attempts'>;

/** Sent: the token a message carried (a reminder's) is forgotten with it. */
export async function markEmailSent(db: DbExecutor, claim: Claim, messageId: string, now: Date): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set({ status: 'sent', sent_at: now, message_id: messageId, last_error: null, data: sql<string>`data - 'token'` })
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempts)
    .execute();
}

/** Not sent and never will be (the supporter was erased, the payment is gone): kept with the reason. */
export async function markEmailSkipped(db: DbExecutor, claim: Claim, reason: string): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set({ status: 'skipped', last_error: reason, data: sql<string>`data - 'token'` })
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempts)
    .execute();
}

export async function markEmailAttemptFailed(
  db: DbExecutor,
  claim: Claim,
  failure: { error: string; nextAttemptAt: Date; givenUp: boolean },
): Promise<void> {
  await db
    .updateTable('outbound_emails')
    .set({ last_error: failure.error, next_attempt_at: failure.nextAttemptAt, ...(failure.givenUp ? { status: 'failed' } : {}) })
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempts)
    .execute();
}

export interface PaymentFactsRow {
  supporter_id: number;
  email: string;
  name: string | null;
  erased_at: Date | null;
  customer_id: string | null;
  base_status: string;
  membership_status: string | null;
  amount: number;
  currency: string;
  kind: 'one_off' | 'membership';
  interval: string | null;
  locale: string | null;
}

/** What an e-mail about one payment says: the supporter now, the payment and its membership, the checkout's language. */
export async function paymentFacts(db: DbExecutor, paymentId: number): Promise<PaymentFactsRow | undefined> {
  const result = await sql<PaymentFactsRow>`
    SELECT p.supporter_id, s.email, s.name, s.erased_at, coalesce(p.customer_id, m.customer_id) AS customer_id, p.base_status,
      m.status AS membership_status, p.amount, p.currency, p.kind, m.interval,
      coalesce(cs.locale, (SELECT c2.locale FROM checkout_sessions c2 WHERE c2.subscription_id = p.subscription_id LIMIT 1)) AS locale
    FROM payments p
    JOIN supporters s ON s.id = p.supporter_id
    LEFT JOIN memberships m ON m.subscription_id = p.subscription_id
    LEFT JOIN checkout_sessions cs ON cs.id = p.checkout_session_id
    WHERE p.id = ${paymentId}`.execute(db);
  return result.rows[0];
}

export async function supporterFacts(db: DbExecutor, supporterId: number) {
  return db.selectFrom('supporters').select(['email', 'name', 'erased_at']).where('id', '=', supporterId).executeTakeFirst();
}

/** Messages by status, for /metrics. */
export async function countEmails(db: DbExecutor): Promise<{ pending: number; failed: number }> {
  const result = await sql<{ pending: number; failed: number }>`
    SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM outbound_emails`.execute(db);
  return result.rows[0] ?? { pending: 0, failed: 0 };
}
