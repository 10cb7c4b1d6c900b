import type Stripe from 'stripe';
import { recordMembershipStatusChange, upsertMembershipSnapshot } from '../../memberships/membership.repository.js';
import { recordCustomer } from '../../supporters/supporter.service.js';
import {
  applied,
  attribution,
  fromUnix,
  type HandlerContext,
  type HandlerResult,
  IGNORED,
  idOf,
  publicationOf,
} from './handler-context.js';

// How far along its lifecycle a subscription status is; breaks ties between events of the same second.
const STATUS_RANK: Record<string, number> = {
  incomplete: 0,
  trialing: 1,
  active: 2,
  past_due: 3,
  unpaid: 4,
  paused: 4,
  incomplete_expired: 5,
  canceled: 6,
};

/** customer.subscription.created / updated / deleted: the membership's current state and its status history. */
export async function handleSubscription(ctx: HandlerContext): Promise<HandlerResult> {
  const subscription = ctx.event.data.object as Stripe.Subscription;
  const publication = await publicationOf(ctx.trx, subscription.metadata);
  const customerId = idOf(subscription.customer);
  const items = subscription.items?.data ?? [];
  const firstPrice = items[0]?.price;
  if (!publication || !customerId || !firstPrice?.recurring) return IGNORED;

  const supporterId = await recordCustomer(ctx.trx, {
    id: customerId,
    publicationId: publication.id,
    email: null,
    name: null,
    observedAt: ctx.occurredAt,
  });
  const amount = items.reduce((sum, item) => sum + (item.price.unit_amount ?? 0) * (item.quantity ?? 1), 0);
  const periodEnds = items.map((item) => item.current_period_end).filter((end): end is number => typeof end === 'number');

  await upsertMembershipSnapshot(ctx.trx, {
    subscription_id: subscription.id,
    publication_id: publication.id,
    supporter_id: supporterId,
    customer_id: customerId,
    status: subscription.status,
    amount,
    currency: subscription.currency,
    interval: firstPrice.recurring.interval,
    interval_count: firstPrice.recurring.interval_count ?? 1,
    current_period_end: periodEnds.length > 0 ? fromUnix(Math.max(...periodEnds)) : null,
    cancel_at_period_end: subscription.cancel_at_period_end,
    canceled_at: subscription.canceled_at ? fromUnix(subscription.canceled_at) : null,
    ended_at: subscription.ended_at ? fromUnix(subscription.ended_at) : null,
    started_at: fromUnix(subscription.start_date ?? subscription.created),
    ...attribution(subscription.metadata),
    snapshot_at: ctx.occurredAt,
    snapshot_rank: STATUS_RANK[subscription.status] ?? 0,
    snapshot_event_id: ctx.event.id,
  });

  const previous = (ctx.event.data.previous_attributes as Partial<Stripe.Subscription> | undefined)?.status ?? null;
  if (ctx.event.type !== 'customer.subscription.updated' || previous !== null) {
    await recordMembershipStatusChange(ctx.trx, {
      eventId: ctx.event.id,
      subscriptionId: subscription.id,
      publicationId: publication.id,
      status: subscription.status,
      previousStatus: previous,
      occurredAt: ctx.occurredAt,
    });
  }
  return applied(publication.id);
}
