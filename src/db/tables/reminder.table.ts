import type { ColumnType, Generated } from 'kysely';

/** "Remind me later": one sign-up, confirmed from an e-mail, reminded once on `due_at`. */
export interface ReminderTable {
  id: Generated<number>;
  publication_id: number;
  /** Normalised; null once erased on request or left unconfirmed past the confirmation window. */
  email: string | null;
  article_url: string | null;
  locale: string;
  after_days: number;
  /** SHA-256 of the token its e-mails carry (confirm, unsubscribe); null once erased. */
  token_hash: string | null;
  due_at: Date;
  created_at: ColumnType<Date, never, never>;
  confirmed_at: Date | null;
  unsubscribed_at: Date | null;
  /** Set when the address is erased after a payment that the reminder brought, so the funnel keeps it. */
  converted_at: Date | null;
  erased_at: Date | null;
}
