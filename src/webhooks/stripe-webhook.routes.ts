import express, { Router } from 'express';
import { HttpError } from '../http/http-error.js';
import { SignatureError, type WebhookService } from './webhook.service.js';

/** POST /webhooks/stripe: the raw body is parsed here only, because the signature covers its exact bytes. */
export function stripeWebhookRoutes(webhooks: WebhookService | undefined): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    if (!webhooks) {
      throw new HttpError(
        503,
        'webhooks_not_configured',
        'Set STRIPE_WEBHOOK_SECRET to the signing secret of your Stripe webhook endpoint.',
      );
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event;
    try {
      event = webhooks.verify(rawBody, req.get('stripe-signature'));
    } catch (err) {
      if (err instanceof SignatureError)
        throw new HttpError(400, 'invalid_signature', `Webhook signature verification failed: ${err.message}`);
      throw err;
    }
    // A correctly signed body that is not shaped like an event (no id, no created, no data.object)
    // cannot be stored or applied: a clear 400 rather than a 500 from deep inside the handlers.
    if (!isEventShaped(event)) {
      throw new HttpError(
        400,
        'invalid_request',
        'The signed payload is not a Stripe event: id, type, created, livemode and data.object are required.',
      );
    }
    // Stored, so acknowledged: the applier does the rest after the answer (Stripe's advice: 2xx at once).
    // A held event is acknowledged too: it is stored, and Stripe retrying it would not change its version.
    const { duplicate, held } = await webhooks.receive(event, rawBody.toString('utf8'), req.log);
    res.status(200).json(held ? { received: true, duplicate, held } : { received: true, duplicate });
  });
  return router;
}

/** The fields the inbox and the handlers rely on, with the types Stripe sends. */
function isEventShaped(event: unknown): boolean {
  const e = event as {
    id?: unknown;
    type?: unknown;
    created?: unknown;
    livemode?: unknown;
    api_version?: unknown;
    data?: { object?: unknown };
  } | null;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return false;
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 255) return false;
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 255) return false;
  // Unix seconds a Date (and Postgres) can hold.
  if (!Number.isSafeInteger(e.created) || (e.created as number) < 0 || (e.created as number) > 1e11) return false;
  if (typeof e.livemode !== 'boolean') return false;
  if (e.api_version !== undefined && e.api_version !== null && typeof e.api_version !== 'string') return false;
  const object = e.data && typeof e.data === 'object' ? e.data.object : undefined;
  return object !== null && typeof object === 'object' && !Array.isArray(object);
}
