import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type Stripe from 'stripe';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import { HttpError } from '../http/http-error.js';
import { redactEmails } from '../http/redact.js';
import { formatMoney } from '../money/currency.js';
import type { Metrics } from '../ops/metrics.js';
import { articleUrlFor } from '../publications/article-url.js';
import { findPublicationBySlug } from '../publications/publication.repository.js';
import { feeCoverOf } from '../publications/publication.service.js';
import { feeCoverAmount } from '../widget/fee-cover.js';
import type { CheckoutAdmission } from './checkout-admission.js';
import { insertCheckoutSession } from './checkout-session.repository.js';
import type { CheckoutRequest } from './checkout.schema.js';

// Locales Stripe Checkout can display; others fall back to the reader's browser language ('auto').
const CHECKOUT_LOCALES = new Set([
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-GB',
  'es',
  'es-419',
  'et',
  'fi',
  'fil',
  'fr',
  'fr-CA',
  'hr',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'lt',
  'lv',
  'ms',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sv',
  'th',
  'tr',
  'vi',
  'zh',
  'zh-HK',
  'zh-TW',
]);

export interface CheckoutResult {
  id: string;
  url: string;
}

export interface CreateSessionOptions {
  /** Makes a client's retry return the same session. */
  idempotencyKey?: string | undefined;
  /** Who asks (a rate-limit key for the client's address): counted against the publication's ceiling. */
  client: string;
}

export interface CheckoutService {
  createSession(request: CheckoutRequest, options: CreateSessionOptions): Promise<CheckoutResult>;
}

export interface CheckoutServiceDeps {
  db: Db;
  stripe: Stripe | undefined;
  publicUrl: string;
  logger: Logger;
  metrics: Metrics;
  /** Counted once the request is valid for a real publication, just before Stripe is called. */
  admission: CheckoutAdmission;
}

export function createCheckoutService(deps: CheckoutServiceDeps): CheckoutService {
  const { db, stripe, publicUrl, logger, metrics, admission } = deps;

  async function createSession(request: CheckoutRequest, options: CreateSessionOptions): Promise<CheckoutResult> {
    const publication = await findPublicationBySlug(db, request.publication);
    if (!publication)
      throw new HttpError(404, 'unknown_publication', `publication: no publication "${request.publication}".`, 'publication');
    const articleUrl = articleUrlFor(publication, request.article_url);
    checkAmount(publication, request);
    const feeCover = feeCoverFor(publication, request);
    await admission.admit(publication.slug, options.client);
    if (!stripe) {
      throw new HttpError(
        503,
        'payments_not_configured',
        'Payments are not configured: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET) and restart.',
      );
    }

    const metadata = {
      publication: publication.slug,
      article_url: articleUrl.href,
      variant: request.variant ?? '',
      interval: request.interval,
      ...(request.upsell ? { upsell: request.upsell } : {}),
      // Read back when the payment is recorded: the part of each payment that covers the fees.
      ...(feeCover > 0 ? { fee_cover: String(feeCover) } : {}),
    };
    const cancelUrl = new URL(articleUrl);
    cancelUrl.searchParams.set('favour', 'cancelled');
    const locale = pickLocale(request.locale ?? publication.default_locale);
    const once = request.interval === 'once';
    // A membership's fee cover recurs with it: a second item of the subscription, billed on the same invoices.
    const lineItem = (amount: number, name: string): Stripe.Checkout.SessionCreateParams.LineItem => ({
      quantity: 1,
      price_data: {
        currency: request.currency,
        unit_amount: amount,
        product_data: { name },
        ...(once ? {} : { recurring: { interval: request.interval as 'month' | 'year' } }),
      },
    });
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: once ? 'payment' : 'subscription',
      line_items: [
        lineItem(request.amount, productName(publication, request.interval)),
        ...(feeCover > 0 ? [lineItem(feeCover, `Covering the fees, so all of the gift reaches ${publication.name}`)] : []),
      ],
      success_url: `${publicUrl}/thanks?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: cancelUrl.href,
      locale,
      metadata,
      ...(request.email ? { customer_email: request.email } : {}),
      ...(once
        ? {
            submit_type: 'donate' as const,
            customer_creation: 'always' as const,
            payment_intent_data: { metadata, description: productName(publication, 'once') },
          }
        : { subscription_data: { metadata, description: productName(publication, request.interval) } }),
    };

    let session: Stripe.Checkout.Session;
    try {
      session = await stripe.checkout.sessions.create(params, {
        idempotencyKey: options.idempotencyKey ? `favour-checkout-${publication.slug}-${options.idempotencyKey}` : randomUUID(),
      });
    } catch (err) {
      throw toStripeHttpError(err, logger);
    }
    if (!session.url) throw new HttpError(502, 'stripe_error', 'Stripe returned a session without a checkout URL.');

    await insertCheckoutSession(db, {
      id: session.id,
      publication_id: publication.id,
      article_url: articleUrl.href,
      variant: request.variant ?? null,
      amount: request.amount + feeCover,
      currency: request.currency,
      interval: request.interval,
      locale: request.locale ?? null,
      status: 'open',
      payment_status: session.payment_status ?? null,
      customer_id: null,
      payment_intent_id: null,
      subscription_id: null,
      completed_at: null,
      expired_at: null,
    });
    metrics.checkoutSessions.inc({ publication: publication.slug, interval: request.interval });
    return { id: session.id, url: session.url };
  }

  return { createSession };
}

function checkAmount(publication: PublicationRow, request: CheckoutRequest): void {
  const settings = publication.currencies[request.currency];
  if (!settings) {
    const accepted = Object.keys(publication.currencies).join(', ');
    throw new HttpError(
      400,
      'currency_not_accepted',
      `currency: ${publication.name} accepts ${accepted}, not ${request.currency}.`,
      'currency',
    );
  }
  if (!publication.intervals.includes(request.interval)) {
    throw new HttpError(
      400,
      'interval_not_available',
      `interval: ${publication.name} offers ${publication.intervals.join(', ')}, not ${request.interval}.`,
      'interval',
    );
  }
  if (!Number.isSafeInteger(request.amount)) {
    throw new HttpError(400, 'invalid_amount', 'amount: must be an integer number of minor units (e.g. 500 for 5.00).', 'amount');
  }
  if (request.amount < settings.min || request.amount > settings.max) {
    const [min, max] = [formatMoney(settings.min, request.currency), formatMoney(settings.max, request.currency)];
    throw new HttpError(
      400,
      'amount_out_of_range',
      `amount: must be between ${settings.min} and ${settings.max} (${min} to ${max}).`,
      'amount',
    );
  }
}

/** What the reader adds to cover the fees: 0 unless asked; a 400 when the publication does not offer it. */
function feeCoverFor(publication: PublicationRow, request: CheckoutRequest): number {
  if (!request.cover_fees) return 0;
  const rate = feeCoverOf(publication);
  if (!rate)
    throw new HttpError(400, 'fee_cover_not_offered', `cover_fees: ${publication.name} does not offer to cover the fees.`, 'cover_fees');
  return feeCoverAmount(request.amount, request.currency, rate);
}

function pickLocale(locale: string): Stripe.Checkout.SessionCreateParams.Locale {
  if (CHECKOUT_LOCALES.has(locale)) return locale as Stripe.Checkout.SessionCreateParams.Locale;
  const language = locale.split('-')[0]!;
  return (CHECKOUT_LOCALES.has(language) ? language : 'auto') as Stripe.Checkout.SessionCreateParams.Locale;
}

function productName(publication: PublicationRow, interval: string): string {
  if (interval === 'month') return `Monthly membership · ${publication.name}`;
  if (interval === 'year') return `Yearly membership · ${publication.name}`;
  return `Gift to ${publication.name}`;
}

function toStripeHttpError(err: unknown, logger: Logger): HttpError {
  const type = (err as { type?: string }).type;
  // Stripe's messages can quote the request (e.g. "Invalid email address: …"): no addresses in the log.
  const { code, param } = err as { code?: string; param?: string };
  logger.error(
    { stripe_error_type: type, stripe_code: code, stripe_param: param, stripe_message: redactEmails(String((err as Error).message)) },
    'stripe checkout session create failed',
  );
  switch (type) {
    case 'StripeConnectionError':
    case 'StripeAPIError':
      return new HttpError(502, 'stripe_unavailable', 'Stripe could not be reached; please try again in a moment.');
    case 'StripeRateLimitError':
      return new HttpError(503, 'stripe_rate_limited', 'Stripe is busy; please try again in a moment.');
    default:
      return new HttpError(502, 'stripe_error', 'Stripe could not start the checkout; please try again later.');
  }
}
