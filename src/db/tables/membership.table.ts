import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface MembershipTable {
  subscription_id: string;
  publication_id: number;
  supporter_id: number | null;
  /** Null once the supporter has been erased. */
  customer_id: string | null;
  /** Stripe's subscription status: active, trialing, past_due, canceled, … */
  status: string;
  amount: number;
  currency: string;
  interval: string;
  interval_count: number;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  ended_at: Date | null;
  started_at: Date;
  article_url: string | null;
  variant: string | null;
  /** When the stored state was current at Stripe (event.created); older states never overwrite it. */
  snapshot_at: Date;
  snapshot_rank: number;
  snapshot_event_id: string;
  updated_at: ColumnType<Date, never, Date>;
}

export interface MembershipStatusChangeTable {
  event_id: string;
  subscription_id: string;
  publication_id: number;
  status: string;
  previous_status: string | null;
  occurred_at: Date;
}

export type MembershipRow = Selectable<MembershipTable>;
export type NewMembershipRow = Insertable<MembershipTable>;
