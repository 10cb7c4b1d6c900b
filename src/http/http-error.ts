/** Every error code a client can receive in `{ "error": { "code", "message" } }`. */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unknown_publication'
  | 'currency_not_accepted'
  | 'invalid_amount'
  | 'invalid_interval'
  | 'amount_out_of_range'
  | 'interval_not_available'
  | 'fee_cover_not_offered'
  | 'reminders_not_offered'
  | 'invalid_email'
  | 'unsafe_webhook_url'
  | 'unknown_event_type'
  | 'invalid_article_url'
  | 'payments_not_configured'
  | 'rate_limited'
  | 'unauthorized'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'widget_not_built'
  | 'portal_not_available'
  | 'webhooks_not_configured'
  | 'invalid_signature'
  | 'stripe_unavailable'
  | 'stripe_rate_limited'
  | 'stripe_error'
  | 'database_unavailable'
  | 'internal_error';

/** An error with an HTTP status and a stable code; the error middleware turns it into the JSON answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, when there is one. */
    readonly field?: string,
    /** Headers the answer carries (Retry-After on a 429). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
