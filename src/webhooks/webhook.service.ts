import type { Logger } from 'pino';
import Stripe from 'stripe';
import type { DbExecutor } from '../db/database.js';
import type { Metrics } from '../ops/metrics.js';
import { storeEvent } from './event-inbox.repository.js';
import type { WebhookApplier } from './webhook-applier.js';

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

export interface WebhookService {
  /** Verifies Stripe's signature over the raw body and returns the event, or throws SignatureError. */
  verify(rawBody: Buffer, signature: string | undefined): Stripe.Event;
  /** Stores a verified event in the inbox and wakes the applier; false for a redelivery. */
  receive(event: Stripe.Event, rawBody: string, log?: Logger): Promise<{ duplicate: boolean }>;
}

/**
 * Puts an event in the inbox, once: a redelivered event (same id) is not stored again. The applier applies
 * it afterwards. Webhooks, reconciliation and the demo seed all come through here.
 */
export async function storeStripeEvent(db: DbExecutor, event: Stripe.Event, payload: string = JSON.stringify(event)): Promise<boolean> {
  return storeEvent(db, {
    id: event.id,
    type: event.type,
    created: new Date(event.created * 1000),
    livemode: event.livemode,
    api_version: event.api_version ?? null,
    payload,
  });
}

export function createWebhookService(deps: {
  db: DbExecutor;
  logger: Logger;
  metrics: Metrics;
  applier: WebhookApplier;
  webhookSecret: string | undefined;
}): WebhookService {
  const { db, logger, metrics, applier, webhookSecret } = deps;

  function verify(rawBody: Buffer, signature: string | undefined): Stripe.Event {
    if (!webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is not set');
    if (!signature) throw new SignatureError('Missing Stripe-Signature header.');
    try {
      // Default tolerance: 300 s, Stripe's own recommendation against replays.
      return Stripe.webhooks.constructEvent(rawBody, signature, webhookSecret);
    } catch (err) {
      throw new SignatureError(err instanceof Error ? err.message : 'Invalid signature.');
    }
  }

  async function receive(event: Stripe.Event, rawBody: string, log: Logger = logger): Promise<{ duplicate: boolean }> {
    const stored = await storeStripeEvent(db, event, rawBody);
    metrics.webhookEvents.inc({ type: event.type, outcome: stored ? 'received' : 'duplicate' });
    log.info({ event_id: event.id, event_type: event.type, outcome: stored ? 'received' : 'duplicate' }, 'stripe event');
    if (stored) applier.wake();
    return { duplicate: !stored };
  }

  return { verify, receive };
}
