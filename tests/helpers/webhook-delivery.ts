import type { Express } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { webhookApplierOf } from '../../src/app.js';
import { TEST_WEBHOOK_SECRET } from './test-app.js';

/** Signs a payload the way Stripe does (t=…,v1=…) with the test endpoint secret. */
export function signPayload(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? TEST_WEBHOOK_SECRET,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
}

/** Delivers an event to POST /webhooks/stripe as Stripe would, and waits until the app's applier has applied it. */
export async function deliver(app: Express, event: Stripe.Event) {
  const res = await post(app, event);
  if (res.status === 200) await webhookApplierOf(app).drain();
  return res;
}

/** Only the delivery: answers once the event is stored, before it is applied. */
export function post(app: Express, event: Stripe.Event) {
  const payload = JSON.stringify(event);
  return request(app)
    .post('/webhooks/stripe')
    .set('content-type', 'application/json')
    .set('stripe-signature', signPayload(payload))
    .send(payload);
}
