import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { WebhookDelivery } from './webhook-api-types.js';

export interface DueDelivery {
  id: number;
  endpoint_id: string;
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  webhook_id: string;
  type: string;
  body: Record<string, unknown>;
}

/**
 * Claims up to `limit` due deliveries for `leaseSeconds` (SKIP LOCKED keeps instances apart while claiming; the lease
 * while sending): of enabled endpoints, at most `perEndpoint` of each and none of those in `busy` (enough in flight
 * here already), so a slow endpoint cannot take every slot; and never a message while an older one about the same
 * object waits for the same endpoint, so each endpoint hears of an object in order.
 */
export async function claimDueDeliveries(
  db: DbExecutor,
  now: Date,
  limit: number,
  leaseSeconds: number,
  busy: string[],
  perEndpoint: number,
): Promise<DueDelivery[]> {
  const result = await sql<DueDelivery>`
    WITH claimed AS (
      UPDATE webhook_deliveries SET attempts = attempts + 1,
        next_attempt_at = ${now}::timestamptz + make_interval(secs => ${leaseSeconds}), last_attempt_at = ${now}
      WHERE id IN (
        SELECT id FROM webhook_deliveries WHERE id IN (
          SELECT ranked.id FROM (
            SELECT d.id, d.next_attempt_at, row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id) AS nth
            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= ${now} AND e.disabled_at IS NULL
              ${busy.length > 0 ? sql`AND d.endpoint_id NOT IN (${sql.join(busy)})` : sql``}
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries older WHERE older.endpoint_id = d.endpoint_id
                AND older.object_key = d.object_key AND older.status = 'pending' AND older.message_id < d.message_id)
          ) ranked
          WHERE ranked.nth <= ${perEndpoint} ORDER BY ranked.next_attempt_at, ranked.id LIMIT ${limit})
        FOR UPDATE SKIP LOCKED)
      RETURNING id, endpoint_id, message_id, attempts)
    SELECT c.id, c.endpoint_id, c.attempts, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at,
      m.webhook_id, m.type, m.body
    FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id JOIN webhook_messages m ON m.id = c.message_id
    ORDER BY c.id`.execute(db);
  return result.rows;
}

export interface AttemptOutcome {
  status: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * Delivered: the endpoint is healthy again. Like a failure, recorded only for the claim it belongs to (status and
 * attempts as claimed), so an attempt that outlived its lease cannot overwrite what the instance that took over found.
 */
export async function markDelivered(db: DbExecutor, delivery: DueDelivery, outcome: AttemptOutcome, now: Date): Promise<void> {
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'delivered', delivered_at: now, last_status: outcome.status, last_error: null, last_duration_ms: outcome.durationMs })
    .where('id', '=', delivery.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', delivery.attempts)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return;
  await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', delivery.endpoint_id).execute();
}

/**
 * A failed attempt: tried again at `nextAttemptAt`, or given up. An endpoint failing without a success for
 * `disableAfter` is disabled; its waiting deliveries stay, for when it is enabled again.
 */
export async function markAttemptFailed(
  db: DbExecutor,
  delivery: DueDelivery,
  outcome: AttemptOutcome,
  next: { nextAttemptAt: Date | undefined; now: Date; disableAfterSeconds: number },
): Promise<{ disabled: boolean }> {
  const updated = await db
    .updateTable('webhook_deliveries')
    .set({
      last_status: outcome.status,
      last_error: outcome.error,
      last_duration_ms: outcome.durationMs,
      ...(next.nextAttemptAt ? { next_attempt_at: next.nextAttemptAt } : { status: 'failed' }),
    })
    .where('id', '=', delivery.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', delivery.attempts)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) return { disabled: false };
  const result = await sql<{ disabled: boolean }>`
    UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ${next.now}),
      disabled_at = CASE WHEN coalesce(failing_since, ${next.now}) <= ${next.now}::timestamptz - make_interval(secs => ${next.disableAfterSeconds})
        THEN ${next.now}::timestamptz END,
      disabled_reason = CASE WHEN coalesce(failing_since, ${next.now}) <= ${next.now}::timestamptz - make_interval(secs => ${next.disableAfterSeconds})
        THEN 'failing for 5 days' END
    WHERE id = ${delivery.endpoint_id} AND disabled_at IS NULL
    RETURNING disabled_at IS NOT NULL AS disabled`.execute(db);
  return { disabled: result.rows[0]?.disabled ?? false };
}

export type DeliveryListItem = WebhookDelivery<Date>;

/** An endpoint's deliveries, newest first. */
export async function listDeliveries(
  db: DbExecutor,
  endpointId: string,
  options: { failedOnly: boolean; limit: number },
): Promise<DeliveryListItem[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_messages as m', 'm.id', 'd.message_id')
    .select([
      'd.id',
      'm.webhook_id',
      'm.type',
      'd.status',
      'd.attempts',
      'd.last_status',
      'd.last_error',
      'd.created_at',
      'd.last_attempt_at',
      'd.next_attempt_at',
      'd.delivered_at',
    ])
    .where('d.endpoint_id', '=', endpointId);
  if (options.failedOnly) query = query.where('d.status', '=', 'failed');
  return query.orderBy('d.id', 'desc').limit(options.limit).execute();
}

export async function findDelivery(db: DbExecutor, id: number) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select(['d.id', 'd.endpoint_id', 'd.message_id', 'e.publication_id'])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

/** Sends the messages again as new deliveries (same `webhook-id`): one delivery, or an endpoint's since a time. */
export async function replayDeliveries(
  db: DbExecutor,
  target: { deliveryId: number } | { endpointId: string; since: Date },
): Promise<number[]> {
  const result =
    'deliveryId' in target
      ? await sql<{ id: number }>`
          INSERT INTO webhook_deliveries (endpoint_id, message_id, object_key)
          SELECT endpoint_id, message_id, object_key FROM webhook_deliveries WHERE id = ${target.deliveryId}
          RETURNING id`.execute(db)
      : await sql<{ id: number }>`
          INSERT INTO webhook_deliveries (endpoint_id, message_id, object_key)
          SELECT DISTINCT ON (d.message_id) d.endpoint_id, d.message_id, d.object_key FROM webhook_deliveries d
          WHERE d.endpoint_id = ${target.endpointId} AND d.created_at >= ${target.since}
          ORDER BY d.message_id
          RETURNING id`.execute(db);
  return result.rows.map((r) => r.id);
}

/** Deliveries by status, and endpoints disabled, for /metrics and /readyz. */
export async function countDeliveries(db: DbExecutor): Promise<{ pending: number; failed: number; disabled_endpoints: number }> {
  const result = await sql<{ pending: number; failed: number; disabled_endpoints: number }>`
    SELECT (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'pending') AS pending,
      (SELECT count(*)::int FROM webhook_deliveries WHERE status = 'failed') AS failed,
      (SELECT count(*)::int FROM webhook_endpoints WHERE disabled_at IS NOT NULL) AS disabled_endpoints`.execute(db);
  return result.rows[0] ?? { pending: 0, failed: 0, disabled_endpoints: 0 };
}

/** How long messages are kept for replay once every delivery of them has ended. */
export const MESSAGE_RETENTION_DAYS = 30;

/** Forgets messages older than MESSAGE_RETENTION_DAYS that nothing waits to deliver (their deliveries go with them). */
export async function deleteOldMessages(db: DbExecutor, now: Date): Promise<number> {
  const result = await sql`
    DELETE FROM webhook_messages m
    WHERE m.created_at < ${now}::timestamptz - make_interval(days => ${MESSAGE_RETENTION_DAYS})
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.message_id = m.id AND d.status = 'pending')`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** An erasure reaches the messages kept for replay: the supporter's e-mail and name go from every body naming them. */
export async function scrubSupporterFromMessages(db: DbExecutor, publicationId: number, supporterId: number): Promise<void> {
  await sql`
    UPDATE webhook_messages SET body = jsonb_set(body, '{data,supporter}', 'null')
    WHERE publication_id = ${publicationId} AND body->'data'->'supporter'->>'id' = ${String(supporterId)}`.execute(db);
  await sql`
    UPDATE webhook_messages SET body = body #- '{data,email}' #- '{data,name}'
    WHERE publication_id = ${publicationId} AND type = 'supporter.created' AND body->'data'->>'id' = ${String(supporterId)}`.execute(db);
}

/** The same for erased reminders: their address and article go from the messages that told of them. */
export async function scrubRemindersFromMessages(db: DbExecutor, publicationId: number, reminderIds: number[]): Promise<void> {
  if (reminderIds.length === 0) return;
  await sql`
    UPDATE webhook_messages SET body = body #- '{data,email}' #- '{data,article_url}'
    WHERE publication_id = ${publicationId} AND type = 'reminder.confirmed'
      AND body->'data'->>'id' IN (${sql.join(reminderIds.map(String))})`.execute(db);
}

/** Endpoints disabled after failing for 5 days: all /readyz needs, without counting every delivery on each probe. */
export async function countDisabledEndpoints(db: DbExecutor): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('disabled_at', 'is not', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
