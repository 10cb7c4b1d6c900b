// The outbound webhooks API's JSON (/api/webhooks…), declared once: the endpoint service returns these and the
// dashboard's browser code reads them. No imports: the dashboard type-checks this file with the DOM library.
// `D` is how a timestamp travels: a Date on the server, an ISO string once it is JSON.

/** Every event an endpoint can take. */
export const WEBHOOK_EVENT_TYPES = [
  'supporter.created',
  'payment.succeeded',
  'payment.refunded',
  'payment.disputed',
  'membership.started',
  'membership.updated',
  'membership.ended',
  'reminder.confirmed',
] as const;

/** An endpoint as shown to its publisher: never its secret. */
export interface WebhookEndpoint<D = string> {
  id: string;
  publication: string;
  url: string;
  description: string | null;
  /** The event types it takes: every one there is when `all_events`. */
  events: string[];
  /** True when no types were chosen: it takes every event, including types added later. */
  all_events: boolean;
  status: 'enabled' | 'disabled';
  disabled_at: D | null;
  disabled_reason: string | null;
  failing_since: D | null;
  pending: number;
  failed: number;
  last_delivered_at: D | null;
  created_at: D;
}

/** POST /api/webhooks: the endpoint and its secret, shown this once. */
export interface AddedWebhookEndpoint<D = string> extends WebhookEndpoint<D> {
  secret: string;
}

/** POST /api/webhooks/:id/rotate-secret. */
export interface RotatedWebhookSecret<D = string> {
  id: string;
  secret: string;
  previous_secret_expires_at: D;
}

/** One delivery of a message to an endpoint, newest first in GET /api/webhooks/:id/deliveries. */
export interface WebhookDelivery<D = string> {
  id: number;
  webhook_id: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: D;
  last_attempt_at: D | null;
  next_attempt_at: D;
  delivered_at: D | null;
}

/** Both replays. */
export interface WebhookReplay {
  replayed: number;
  delivery_ids: number[];
}
