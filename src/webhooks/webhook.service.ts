import type { Logger } from 'pino';
import Stripe from 'stripe';
import type { DbExecutor } from '../db/database.js';
import type { Metrics } from '../ops/metrics.js';
import { STRIPE_API_VERSION } from '../stripe/stripe-client.js';
import { type HoldReason, holdReasonOf } from './event-hold.js';
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
  /** Stores a verified event in the inbox and wakes the applier; `held` says why it will not be applied. */
  receive(event: Stripe.Event, rawBody: string, log?: Logger): Promise<{ duplicate: boolean; held: HoldReason | null }>;
}

/**
 * Puts an event in the inbox, once: a redelivered event (same id) is not stored again. The applier applies
 * it afterwards, unless it is held (another API version; the other mode than `expectedLivemode`). Webhooks,
 * reconciliation and the demo seed all come through here. `stored` is false for a redelivery; `held` says why
 * the event will not be applied (null: it will).
 */
export async function storeStripeEvent(
  db: DbExecutor,
  event: Stripe.Event,
  options: { payload?: string; expectedLivemode?: boolean | undefined } = {},
): Promise<{ stored: boolean; held: HoldReason | null }> {
  const held = holdReasonOf(event, options.expectedLivemode);
  const stored = await storeEvent(db, {
    id: event.id,
    type: event.type,
    created: new Date(event.created * 1000),
    livemode: event.livemode,
    api_version: event.api_version ?? null,
    payload: options.payload ?? JSON.stringify(event),
    hold_reason: held,
  });
  return { stored, held };
}

export function createWebhookService(deps: {
  db: DbExecutor;
  logger: Logger;
  metrics: Metrics;
  applier: WebhookApplier;
  webhookSecret: string | undefined;
  /** The mode of STRIPE_SECRET_KEY (undefined: no key, events of either mode are applied). */
  expectedLivemode: boolean | undefined;
}): WebhookService {
  const { db, logger, metrics, applier, webhookSecret, expectedLivemode } = deps;
  /** Held events are logged once per API version (or mode) per process, with what to do: not once per event. */
  const warnedAbout = new Set<string>();

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

  async function receive(event: Stripe.Event, rawBody: string, log: Logger = logger) {
    const { stored, held } = await storeStripeEvent(db, event, { payload: rawBody, expectedLivemode });
    const outcome = !stored ? 'duplicate' : held ? 'held' : 'received';
    metrics.webhookEvents.inc({ type: event.type, outcome });
    log.info({ event_id: event.id, event_type: event.type, outcome, ...(held ? { hold_reason: held } : {}) }, 'stripe event');
    if (stored && held) warnOnce(event, held);
    if (stored && !held) applier.wake();
    return { duplicate: !stored, held };
  }

  function warnOnce(event: Stripe.Event, reason: HoldReason): void {
    const key = reason === 'livemode_mismatch' ? `livemode:${event.livemode}` : `version:${event.api_version}`;
    if (warnedAbout.has(key)) return;
    warnedAbout.add(key);
    if (reason === 'api_version_mismatch') {
      logger.warn(
        { event_id: event.id, api_version: event.api_version, pinned_api_version: STRIPE_API_VERSION },
        `Stripe sent events in API version ${event.api_version}, but favour reads ${STRIPE_API_VERSION}: they are stored and held, ` +
          'not applied. Fix the endpoint with `npx favour stripe setup --url <this webhook URL>` (then set the new ' +
          'STRIPE_WEBHOOK_SECRET), and apply the held events with `npx favour events retry --held`.',
      );
    } else {
      logger.warn(
        { event_id: event.id, livemode: event.livemode },
        `Stripe sent a ${event.livemode ? 'live' : 'test'}-mode event, but STRIPE_SECRET_KEY is a ${event.livemode ? 'test' : 'live'}-mode ` +
          'key: such events are stored and held, not applied. Check that STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET belong ' +
          'to the same mode; `npx favour events retry --held` applies held events once they match.',
      );
    }
  }

  return { verify, receive };
}
