import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export type PaymentKind = 'one_off' | 'membership';
export type PaymentBaseStatus = 'pending' | 'failed' | 'succeeded';
export type PaymentStatus = PaymentBaseStatus | 'refunded' | 'partially_refunded' | 'disputed';

export interface PaymentTable {
  id: Generated<number>;
  /** Checkout Session id for one-off gifts, invoice id for membership payments. */
  source_id: string;
  publication_id: number;
  supporter_id: number | null;
  customer_id: string | null;
  kind: PaymentKind;
  amount: number;
  currency: string;
  /** What the payment itself did; `status` adds refunds and disputes on top. */
  base_status: PaymentBaseStatus;
  status: PaymentStatus;
  refunded_amount: Generated<number>;
  /** The part of `amount` the reader added to cover the fees (minor units); 0 when none. */
  fee_cover_amount: Generated<number>;
  dispute_status: string | null;
  checkout_session_id: string | null;
  payment_intent_id: string | null;
  invoice_id: string | null;
  subscription_id: string | null;
  article_url: string | null;
  variant: string | null;
  billing_reason: string | null;
  created_at: Date;
  paid_at: Date | null;
  updated_at: ColumnType<Date, never, Date>;
}

export type PaymentRow = Selectable<PaymentTable>;
export type NewPaymentRow = Insertable<PaymentTable>;
