import type { ColumnType, Generated } from 'kysely';

export type OutboundEmailKind =
  'thank_you' | 'manage_link' | 'payment_failed' | 'payment_failed_reminder' | 'reminder_confirm' | 'reminder';
export type OutboundEmailStatus = 'pending' | 'sent' | 'failed' | 'skipped';

/** An e-mail to a supporter, queued in the transaction that decided it and sent by the e-mail sender. */
export interface OutboundEmailTable {
  id: Generated<number>;
  publication_id: number;
  supporter_id: number | null;
  /** The "remind me later" sign-up a confirmation or reminder is about. */
  reminder_id: number | null;
  kind: OutboundEmailKind;
  /** One message per reason and object ("thank_you:<supporter id>"): a second queueing adds nothing. */
  dedupe_key: string;
  /** What the message is about (the payment), read when it is composed. */
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<OutboundEmailStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  message_id: string | null;
  created_at: ColumnType<Date, never, never>;
  sent_at: Date | null;
}
