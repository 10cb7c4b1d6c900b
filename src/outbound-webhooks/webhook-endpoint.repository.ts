import { sql } from 'kysely';
import type { DbExecutor } from '../db/database.js';
import type { WebhookEndpointRow } from '../db/tables/webhook-endpoint.table.js';

export async function insertEndpoint(
  db: DbExecutor,
  endpoint: { id: string; publicationId: number; url: string; description: string | null; events: string[] | null; secret: string },
): Promise<WebhookEndpointRow> {
  return db
    .insertInto('webhook_endpoints')
    .values({
      id: endpoint.id,
      publication_id: endpoint.publicationId,
      url: endpoint.url,
      description: endpoint.description,
      events: endpoint.events,
      secret: endpoint.secret,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findEndpoint(db: DbExecutor, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface EndpointWithCounts extends WebhookEndpointRow {
  pending: number;
  failed: number;
  last_delivered_at: Date | null;
}

/** Endpoints (of one publication, or all; or the one with `id`), oldest first, with their pending and failed deliveries. */
export async function listEndpoints(db: DbExecutor, where: { publicationId?: number; id?: string } = {}): Promise<EndpointWithCounts[]> {
  const conditions = [
    ...(where.publicationId === undefined ? [] : [sql`e.publication_id = ${where.publicationId}`]),
    ...(where.id === undefined ? [] : [sql`e.id = ${where.id}`]),
  ];
  const result = await sql<EndpointWithCounts>`
    SELECT e.*,
      (SELECT count(*)::int FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending') AS pending,
      (SELECT count(*)::int FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed') AS failed,
      (SELECT max(d.delivered_at) FROM webhook_deliveries d WHERE d.endpoint_id = e.id) AS last_delivered_at
    FROM webhook_endpoints e
    ${conditions.length === 0 ? sql`` : sql`WHERE ${sql.join(conditions, sql` AND `)}`}
    ORDER BY e.created_at, e.id`.execute(db);
  return result.rows;
}

export async function deleteEndpoint(db: DbExecutor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A new secret; the old one keeps signing beside it until `keepOldUntil`. */
export async function rotateSecret(db: DbExecutor, id: string, secret: string, keepOldUntil: Date): Promise<void> {
  await sql`UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ${keepOldUntil}, secret = ${secret}
    WHERE id = ${id}`.execute(db);
}

/** Back on after being disabled: its failures start counting afresh, and what waited is delivered. */
export async function enableEndpoint(db: DbExecutor, id: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ disabled_at: null, disabled_reason: null, failing_since: null })
    .where('id', '=', id)
    .execute();
}
