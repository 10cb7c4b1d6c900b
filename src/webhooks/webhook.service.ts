import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import type { Db } from '../db/database.js';
import { isRetryableTransactionError } from '../db/database-errors.js';
import type { EventOutcome } from '../db/tables/stripe-mirror.table.js';
import type { Metrics } from '../ops/metrics.js';
import { applyEvent } from './apply-event.js';
import { insertEvent, setEventOutcome } from './stripe-mirror.repository.js';

export type ProcessResult = EventOutcome | 'duplicate';

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

// Under a burst of events about the same supporters, deadlocks between commit-time rollup triggers
// can hit one event several times in a row: 5 quick retries were not enough (found by the
// hardening two-server test: about one delivery in 1,500 answered 500 after 5 deadlocks).
const MAX_ATTEMPTS = 8;

export interface WebhookService {
  /** Verifies Stripe's signature over the raw body and returns the event, or throws SignatureError. */
  verify(rawBody: Buffer, signature: string | undefined): Stripe.Event;
  /** Stores and applies an event exactly once; a redelivered event returns 'duplicate' and changes nothing. */
  process(event: Stripe.Event, rawBody?: string, log?: Logger): Promise<ProcessResult>;
}

/**
 * Stores an event and applies it, exactly once: the event row, the changes it causes and its outcome
 * commit together or not at all, and a concurrent delivery of the same event waits on the primary key
 * and then sees a duplicate. Webhooks, reconciliation and the demo seed all come through here.
 */
export async function recordStripeEvent(db: Db, event: Stripe.Event, payload: string = JSON.stringify(event)): Promise<ProcessResult> {
  return db.transaction().execute(async (trx) => {
    const fresh = await insertEvent(trx, {
      id: event.id,
      type: event.type,
      created: new Date(event.created * 1000),
      livemode: event.livemode,
      api_version: event.api_version ?? null,
      payload,
    });
    if (!fresh) return 'duplicate';
    const result = await applyEvent(trx, event);
    await setEventOutcome(trx, event.id, result.outcome, result.publicationId);
    return result.outcome;
  });
}

export function createWebhookService(deps: { db: Db; logger: Logger; metrics: Metrics; webhookSecret: string | undefined }): WebhookService {
  const { db, logger, metrics, webhookSecret } = deps;

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

  async function process(event: Stripe.Event, rawBody?: string, log: Logger = logger): Promise<ProcessResult> {
    const payload = rawBody ?? JSON.stringify(event);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await recordStripeEvent(db, event, payload);
        metrics.webhookEvents.inc({ type: event.type, outcome: result });
        log.info({ event_id: event.id, event_type: event.type, outcome: result }, 'stripe event');
        return result;
      } catch (err) {
        if (attempt < MAX_ATTEMPTS && isRetryableTransactionError(err)) {
          // Lost a race with a concurrent event about the same supporter: run the transaction again.
          // Exponential back-off with full jitter, so the losers do not collide again at once.
          await sleep(Math.random() * Math.min(500, 20 * 2 ** attempt));
          continue;
        }
        metrics.webhookEvents.inc({ type: event.type, outcome: 'error' });
        throw err;
      }
    }
  }

  return { verify, process };
}
