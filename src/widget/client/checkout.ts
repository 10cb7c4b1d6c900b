// Donate: POST /api/checkout, then on to Stripe Checkout.
import type { WidgetConfig, WidgetInterval } from '../widget-config.js';

export interface CheckoutRequest {
  amount: number;
  currency: string;
  interval: WidgetInterval;
  article_url: string;
  variant: string | undefined;
  /** The reader took the "make it monthly" offer. */
  upsell?: 'accepted';
  /** The reader ticked "cover the fees": the checkout adds them. */
  cover_fees?: true | undefined;
}

/** Resolves with Stripe Checkout's URL, or with the message to show the reader instead. */
export async function startCheckout(config: WidgetConfig, request: CheckoutRequest): Promise<{ url: string } | { message: string }> {
  const strings = config.strings;
  // One key per press: a retried request (a flaky network) cannot open two sessions.
  const idempotencyKey = crypto.getRandomValues(new Uint32Array(4)).join('-');
  try {
    const response = await fetch(config.checkout_url, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify({ publication: config.publication, locale: config.locale, ...request }),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok && /^https?:\/\//.test(answer.url)) return { url: answer.url };
    const code = answer.error?.code;
    if (code == 'payments_not_configured') return { message: strings.not_configured };
    if (response.status == 429 || code == 'stripe_rate_limited') return { message: strings.rate_limited };
    return { message: strings.generic_error };
  } catch {
    return { message: strings.network_error };
  }
}
