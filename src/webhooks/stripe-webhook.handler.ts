import type { Logger } from 'pino';
import { HttpError } from '../http/http-error.js';
import { type NodeHandler, nodeAnswer, readBody, sendJson } from '../http/node-handler.js';
import type { Metrics } from '../ops/metrics.js';
import { SignatureError, type WebhookService } from './webhook.service.js';

const WEBHOOK_LIMIT_BYTES = 1024 * 1024;

/**
 * POST /webhooks/stripe, on node:http ahead of Express like the article views: Stripe's retries and a backlog's
 * burst arrive here, and the answer is one INSERT. The raw body is read here only, because the signature covers its
 * exact bytes; once the event is stored it is acknowledged, and the applier does the rest (Stripe's advice).
 */
export function createStripeWebhookHandler(deps: { webhooks: WebhookService | undefined; logger: Logger; metrics: Metrics }): NodeHandler {
  const answer = nodeAnswer(deps);
  const { webhooks } = deps;

  async function receive(req: Parameters<NodeHandler>[0], res: Parameters<NodeHandler>[1], requestId: string) {
    if (!webhooks) {
      req.resume();
      throw new HttpError(
        503,
        'webhooks_not_configured',
        'Set STRIPE_WEBHOOK_SECRET to the signing secret of your Stripe webhook endpoint.',
      );
    }
    const rawBody = await readBody(req, res, WEBHOOK_LIMIT_BYTES);
    const signature = req.headers['stripe-signature'];
    let event;
    try {
      event = webhooks.verify(rawBody, typeof signature === 'string' ? signature : undefined);
    } catch (err) {
      if (err instanceof SignatureError)
        throw new HttpError(400, 'invalid_signature', `Webhook signature verification failed: ${err.message}`);
      throw err;
    }
    // A correctly signed body that is not shaped like an event (no id, no created, no data.object) cannot be stored
    // or applied: a clear 400 rather than a 500 from deep inside the handlers.
    if (!isEventShaped(event)) {
      throw new HttpError(
        400,
        'invalid_request',
        'The signed payload is not a Stripe event: id, type, created, livemode and data.object are required.',
      );
    }
    // A held event is acknowledged too: it is stored, and Stripe retrying it would not change its version.
    const { duplicate, held } = await webhooks.receive(event, rawBody.toString('utf8'), deps.logger.child({ req: { id: requestId } }));
    sendJson(res, 200, JSON.stringify(held ? { received: true, duplicate, held } : { received: true, duplicate }));
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (url !== '/webhooks/stripe' && !url.startsWith('/webhooks/stripe?')) return false;
    answer(req, res, '/webhooks/stripe', (requestId) => receive(req, res, requestId));
    return true;
  };
}

/** The fields the inbox and the handlers rely on, with the types Stripe sends. */
function isEventShaped(event: unknown): boolean {
  const e = event as {
    id?: unknown;
    type?: unknown;
    created?: unknown;
    livemode?: unknown;
    api_version?: unknown;
    data?: { object?: unknown };
  } | null;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return false;
  if (typeof e.id !== 'string' || e.id.length === 0 || e.id.length > 255) return false;
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 255) return false;
  // Unix seconds a Date (and Postgres) can hold.
  if (!Number.isSafeInteger(e.created) || (e.created as number) < 0 || (e.created as number) > 1e11) return false;
  if (typeof e.livemode !== 'boolean') return false;
  if (e.api_version !== undefined && e.api_version !== null && typeof e.api_version !== 'string') return false;
  const object = e.data && typeof e.data === 'object' ? e.data.object : undefined;
  return object !== null && typeof object === 'object' && !Array.isArray(object);
}
