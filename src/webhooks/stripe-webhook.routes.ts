import express, { Router } from 'express';
import { HttpError } from '../http/http-error.js';
import { SignatureError, type WebhookService } from './webhook.service.js';

/** POST /webhooks/stripe: the raw body is parsed here only, because the signature covers its exact bytes. */
export function stripeWebhookRoutes(webhooks: WebhookService | undefined): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    if (!webhooks) {
      throw new HttpError(503, 'webhooks_not_configured', 'Set STRIPE_WEBHOOK_SECRET to the signing secret of your Stripe webhook endpoint.');
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let event;
    try {
      event = webhooks.verify(rawBody, req.get('stripe-signature'));
    } catch (err) {
      if (err instanceof SignatureError) throw new HttpError(400, 'invalid_signature', `Webhook signature verification failed: ${err.message}`);
      throw err;
    }
    const result = await webhooks.process(event, rawBody.toString('utf8'), req.log);
    res.status(200).json({ received: true, duplicate: result === 'duplicate', outcome: result });
  });
  return router;
}
