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
}

export type CheckoutSessionRow = Selectable<CheckoutSessionTable>;
export type NewCheckoutSessionRow = Insertable<CheckoutSessionTable>;
