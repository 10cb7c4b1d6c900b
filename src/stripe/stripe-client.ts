import Stripe from 'stripe';
import type { Config } from '../config.js';

/** The API version this build is written and tested against; the webhook endpoint must use it too. */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

/** A Stripe client, or undefined when no secret key is configured (payments then answer 503). */
export function createStripeClient(config: Pick<Config, 'stripeSecretKey' | 'stripeApi'>): Stripe | undefined {
  if (!config.stripeSecretKey) return undefined;
  return new Stripe(config.stripeSecretKey, {
    // Retries reuse the request's idempotency key, so a retried create never makes two sessions.
    maxNetworkRetries: 2,
    timeout: 20_000,
    appInfo: { name: 'favour', url: 'https://github.com/favour' },
    ...(config.stripeApi ?? {}),
  });
}
