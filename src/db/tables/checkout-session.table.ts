import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { Interval } from './publication.table.js';

export type CheckoutSessionStatus = 'open' | 'complete' | 'expired';

export interface CheckoutSessionTable {
  id: string;
  publication_id: number;
  article_url: string;
  variant: string | null;
  amount: number;
  currency: string;
  interval: Interval;
  locale: string | null;
  status: CheckoutSessionStatus;
  payment_status: string | null;
  customer_id: string | null;
  payment_intent_id: string | null;
  subscription_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  completed_at: Date | null;
  expired_at: Date | null;
  /** sha256 (hex) of the billing-portal pass given to the browser that first opened the thank-you page. */
  portal_pass_hash: ColumnType<string | null, string | null | undefined, string | null>;
  portal_pass_issued_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type CheckoutSessionRow = Selectable<CheckoutSessionTable>;
export type NewCheckoutSessionRow = Insertable<CheckoutSessionTable>;
