import express, { type RequestHandler, Router } from 'express';
import { HttpError } from '../http/http-error.js';
import { clientKey, type RateLimit } from '../http/rate-limit.js';
import { parseInput } from '../http/validation.js';
import { type CheckoutInput, type CheckoutRequest, checkoutRequestSchema } from './checkout.schema.js';
import { parseMajorAmount } from '../money/parse-amount.js';
import type { CheckoutService } from './checkout.service.js';

/** POST /api/checkout: JSON answers 201 { id, url }; a plain HTML form post is redirected (303) to Stripe. */
export function checkoutRoutes(checkout: CheckoutService, cors: RequestHandler, perIpLimit: RateLimit): Router {
  const router = Router();
  router.options('/api/checkout', cors);
  router.post(
    '/api/checkout',
    cors,
    express.json({ limit: '16kb' }),
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    async (req, res) => {
      const client = clientKey(req);
      await perIpLimit.consume(client);
      const isForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
      if (!isForm && !req.is('application/json')) {
        throw new HttpError(415, 'unsupported_media_type', 'Send application/json or an HTML form (application/x-www-form-urlencoded).');
      }
      const input = parseInput(checkoutRequestSchema, req.body, {
        amount: 'invalid_amount',
        currency: 'currency_not_accepted',
        interval: 'invalid_interval',
        article_url: 'invalid_article_url',
      });
      const idempotencyKey = req.get('idempotency-key');
      if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
        throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1-200 printable characters.', 'Idempotency-Key');
      }
      const session = await checkout.createSession(withAmount(input), { idempotencyKey, client });
      if (isForm) res.redirect(303, session.url);
      else res.status(201).json(session);
    },
  );
  return router;
}

/** The amount in minor units: a typed "other amount" wins over a chosen preset. */
function withAmount(input: CheckoutInput): CheckoutRequest {
  const { other_amount, amount, ...rest } = input;
  if (other_amount) {
    const parsed = parseMajorAmount(other_amount, input.currency);
    if (parsed === undefined)
      throw new HttpError(400, 'invalid_amount', 'other_amount: enter an amount such as 12 or 12.50.', 'other_amount');
    return { ...rest, amount: parsed };
  }
  if (amount === undefined) throw new HttpError(400, 'invalid_amount', 'amount: choose or enter an amount.', 'amount');
  return { ...rest, amount };
}
