import express, { Router } from 'express';
import { HttpError } from '../http/http-error.js';
import { parseInput } from '../http/validation.js';
import { checkoutRequestSchema } from './checkout.schema.js';
import type { CheckoutService } from './checkout.service.js';

/** POST /api/checkout: JSON answers 201 { id, url }; a plain HTML form post is redirected (303) to Stripe. */
export function checkoutRoutes(checkout: CheckoutService): Router {
  const router = Router();
  router.post(
    '/api/checkout',
    express.json({ limit: '16kb' }),
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    async (req, res) => {
      const isForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
      if (!isForm && !req.is('application/json')) {
        throw new HttpError(415, 'unsupported_media_type', 'Send application/json or an HTML form (application/x-www-form-urlencoded).');
      }
      const request = parseInput(checkoutRequestSchema, req.body, {
        amount: 'invalid_amount',
        currency: 'currency_not_accepted',
        interval: 'invalid_interval',
        article_url: 'invalid_article_url',
      });
      const idempotencyKey = req.get('idempotency-key');
      if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
        throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1-200 printable characters.', 'Idempotency-Key');
      }
      const session = await checkout.createSession(request, { idempotencyKey });
      if (isForm) res.redirect(303, session.url);
      else res.status(201).json(session);
    },
  );
  return router;
}
