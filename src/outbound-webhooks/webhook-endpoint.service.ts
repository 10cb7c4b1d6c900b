import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { PublicationRow } from '../db/tables/publication.table.js';
import type { WebhookEndpointRow } from '../db/tables/webhook-endpoint.table.js';
import { parseDuration } from '../reconcile/duration.js';
import { checkTarget, type LookupAll, type TargetPolicy, UnsafeTargetError } from './safe-target.js';
import {
  type EndpointWithCounts,
  deleteEndpoint,
  enableEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  rotateSecret,
} from './webhook-endpoint.repository.js';
import { findDelivery, listDeliveries, replayDeliveries } from './webhook-delivery.repository.js';
import { newSecret } from './webhook-signature.js';
import {
  type AddedWebhookEndpoint,
  type RotatedWebhookSecret,
  WEBHOOK_EVENT_TYPES,
  type WebhookEndpoint,
  type WebhookReplay,
} from './webhook-api-types.js';

export { WEBHOOK_EVENT_TYPES };

/** How long a rotated-out secret keeps signing beside the new one. */
const OLD_SECRET_SECONDS = 24 * 3600;

/** Something a publisher asked that cannot be done, said plainly (the CLI prints it; the API answers 400/404). */
export class WebhookEndpointError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'unsafe_url' | 'unknown_event_type' | 'not_found' = 'invalid',
  ) {
    super(message);
    this.name = 'WebhookEndpointError';
  }
}

/** An endpoint as shown to its publisher: never its secret. */
export function endpointView(endpoint: EndpointWithCounts, publicationSlug: string): WebhookEndpoint<Date> {
  return {
    id: endpoint.id,
    publication: publicationSlug,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events ?? [...WEBHOOK_EVENT_TYPES],
    all_events: endpoint.events === null,
    status: endpoint.disabled_at ? 'disabled' : 'enabled',
    disabled_at: endpoint.disabled_at,
    disabled_reason: endpoint.disabled_reason,
    failing_since: endpoint.failing_since,
    pending: endpoint.pending,
    failed: endpoint.failed,
    last_delivered_at: endpoint.last_delivered_at,
    created_at: endpoint.created_at,
  };
}

function parseEvents(events: string[] | undefined): string[] | null {
  if (events === undefined || events.length === 0) return null;
  const unknown = events.filter((type) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type));
  if (unknown.length > 0)
    throw new WebhookEndpointError(
      `Unknown event type(s) ${unknown.join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}.`,
      'unknown_event_type',
    );
  return [...new Set(events)];
}

/** Endpoints of publications: added (checked as a safe target), listed, rotated, removed; their deliveries, replays. */
export function createWebhookEndpointService(deps: { db: Db; policy: TargetPolicy; now: () => Date; lookupAll?: LookupAll }) {
  const { db } = deps;

  async function endpointOf(id: string, publication?: PublicationRow): Promise<WebhookEndpointRow> {
    const endpoint = /^we_[0-9a-f]{24}$/.test(id) ? await findEndpoint(db, id) : undefined;
    if (!endpoint || (publication && endpoint.publication_id !== publication.id))
      throw new WebhookEndpointError(`No webhook endpoint "${id.slice(0, 40)}".`, 'not_found');
    return endpoint;
  }

  return {
    endpointOf,

    async add(
      publication: PublicationRow,
      input: { url: string; events?: string[]; description?: string },
    ): Promise<AddedWebhookEndpoint<Date>> {
      const events = parseEvents(input.events); // before the URL's DNS lookup: cheap mistakes first
      let url: URL;
      try {
        url = await checkTarget(input.url, deps.policy, deps.lookupAll);
      } catch (err) {
        if (err instanceof UnsafeTargetError) throw new WebhookEndpointError(err.message, 'unsafe_url');
        throw err;
      }
      const description = input.description?.trim().slice(0, 200) || null;
      const endpoint = await insertEndpoint(db, {
        id: `we_${randomBytes(12).toString('hex')}`,
        publicationId: publication.id,
        url: url.href,
        description,
        events,
        secret: newSecret(),
      });
      const view = endpointView({ ...endpoint, pending: 0, failed: 0, last_delivered_at: null }, publication.slug);
      return { ...view, secret: endpoint.secret };
    },

    async list(publication?: PublicationRow) {
      return listEndpoints(db, publication ? { publicationId: publication.id } : {});
    },

    /** One endpoint with its counts; not found unless it belongs to `publication` (when given). */
    async get(id: string, publication?: PublicationRow): Promise<EndpointWithCounts> {
      await endpointOf(id, publication);
      const [found] = await listEndpoints(db, { id });
      if (!found) throw new WebhookEndpointError(`No webhook endpoint "${id.slice(0, 40)}".`, 'not_found');
      return found;
    },

    async remove(id: string, publication?: PublicationRow): Promise<void> {
      await endpointOf(id, publication);
      await deleteEndpoint(db, id);
    },

    /** A new secret, returned once; the old one signs beside it for 24 hours. */
    async rotateSecret(id: string, publication?: PublicationRow): Promise<RotatedWebhookSecret<Date>> {
      await endpointOf(id, publication);
      const secret = newSecret();
      const until = new Date(deps.now().getTime() + OLD_SECRET_SECONDS * 1000);
      await rotateSecret(db, id, secret, until);
      return { id, secret, previous_secret_expires_at: until };
    },

    async enable(id: string, publication?: PublicationRow): Promise<void> {
      await endpointOf(id, publication);
      await enableEndpoint(db, id);
    },

    async deliveries(id: string, options: { failedOnly: boolean; limit: number }, publication?: PublicationRow) {
      await endpointOf(id, publication);
      return listDeliveries(db, id, { failedOnly: options.failedOnly, limit: Math.min(Math.max(options.limit, 1), 1000) });
    },

    /** Sends one delivery's message again, or every message an endpoint was sent since `since` ago ("24h"). */
    async replay(
      target: { deliveryId: number } | { endpointId: string; since: string },
      publication?: PublicationRow,
    ): Promise<WebhookReplay> {
      if ('deliveryId' in target) {
        const delivery = await findDelivery(db, target.deliveryId);
        if (!delivery || (publication && delivery.publication_id !== publication.id))
          throw new WebhookEndpointError(`No webhook delivery ${target.deliveryId}.`, 'not_found');
        const ids = await replayDeliveries(db, { deliveryId: target.deliveryId });
        return { replayed: ids.length, delivery_ids: ids };
      }
      await endpointOf(target.endpointId, publication);
      let seconds: number;
      try {
        seconds = parseDuration(target.since);
      } catch (err) {
        throw new WebhookEndpointError((err as Error).message);
      }
      const ids = await replayDeliveries(db, { endpointId: target.endpointId, since: new Date(deps.now().getTime() - seconds * 1000) });
      return { replayed: ids.length, delivery_ids: ids };
    },
  };
}

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;
