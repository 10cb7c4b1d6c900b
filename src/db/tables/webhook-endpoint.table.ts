import type { ColumnType, Generated, Selectable } from 'kysely';

/** Where a publication's tools want to hear about supporters (outbound webhooks). */
export interface WebhookEndpointTable {
  /** "we_" and 24 random characters. */
  id: string;
  publication_id: number;
  url: string;
  description: string | null;
  /** The event types it takes; null for every type. */
  events: string[] | null;
  /** "whsec_" and the base64 of 32 random bytes: the HMAC key of Standard Webhooks signatures. */
  secret: string;
  /** The secret before the last rotation, still signing alongside until it expires. */
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  /** The first failed attempt since the last success; five days of failures disable the endpoint. */
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  created_at: ColumnType<Date, never, never>;
}

/** One event, as every endpoint receives it: its Standard Webhooks body, kept for replays. */
export interface WebhookMessageTable {
  /** Also the `version` in the body: later changes of one object have larger ids. */
  id: Generated<number>;
  /** The `webhook-id` header: the same on every attempt and replay. */
  webhook_id: string;
  publication_id: number;
  type: string;
  /** "payment:12", "membership:sub_…": messages about one object go to an endpoint in order. */
  object_key: string;
  body: ColumnType<Record<string, unknown>, string, string>;
  created_at: ColumnType<Date, never, never>;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A message on its way to one endpoint. */
export interface WebhookDeliveryTable {
  id: Generated<number>;
  endpoint_id: string;
  message_id: number;
  object_key: string;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_attempt_at: Date | null;
  /** The HTTP status of the last attempt, or null when there was no answer. */
  last_status: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  delivered_at: Date | null;
  created_at: ColumnType<Date, never, never>;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;
