import type { ColumnType, Selectable } from 'kysely';

/**
 * applied: changed supporters, payments, memberships or sessions; stored: kept in the Stripe mirror
 * until what it refers to arrives; ignored: not this service's, or a type it does not act on.
 */
export type EventOutcome = 'applied' | 'stored' | 'ignored';

export interface StripeEventTable {
  id: string;
  type: string;
  created: Date;
  livemode: boolean;
  api_version: string | null;
  payload: ColumnType<unknown, string, string>;
  /** What applying it did; null while it waits in the inbox. */
  outcome: ColumnType<EventOutcome | null, EventOutcome | null | undefined, EventOutcome | null>;
  publication_id: ColumnType<number | null, number | null | undefined, number | null>;
  received_at: ColumnType<Date, never, never>;
  /**
   * pending: stored, to apply; applied; failed: its handler threw, tried again at next_attempt_at; held: not
   * applied because of hold_reason until an operator releases it (`favour events retry --held`).
   */
  status: ColumnType<EventStatus, EventStatus | undefined, EventStatus>;
  hold_reason: ColumnType<HoldReason | null, HoldReason | null | undefined, HoldReason | null>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  next_attempt_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  applied_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type EventStatus = 'pending' | 'applied' | 'failed' | 'held';

/**
 * Why an event is held instead of applied. api_version_mismatch: Stripe rendered it in another API version than
 * the one the handlers read (an endpoint left on the account's default sends older shapes, and a membership
 * renewal would look like a stranger's invoice). livemode_mismatch: a live event reaching a test-mode key, or the
 * reverse.
 */
export type HoldReason = 'api_version_mismatch' | 'livemode_mismatch';

export interface StripeCustomerTable {
  id: string;
  publication_id: number | null;
  supporter_id: number | null;
  email: string | null;
  name: string | null;
  /** When the stored e-mail was current at Stripe. */
  snapshot_at: Date;
  /** When the stored name was current at Stripe. */
  name_at: Date | null;
}

export interface StripeChargeTable {
  id: string;
  payment_intent_id: string | null;
  amount: number;
  amount_refunded: number;
  currency: string;
  created: Date;
}

export interface StripeDisputeTable {
  id: string;
  charge_id: string;
  payment_intent_id: string | null;
  amount: number;
  currency: string;
  status: string;
  snapshot_at: Date;
  snapshot_rank: number;
}

export interface StripeInvoicePaymentTable {
  invoice_id: string;
  payment_intent_id: string;
}

export type StripeEventRow = Selectable<StripeEventTable>;
