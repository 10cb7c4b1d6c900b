import express, { type Response, Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { requireApiKey } from '../http/api-key-auth.js';
import { HttpError } from '../http/http-error.js';
import { parseInput } from '../http/validation.js';
import { reportContextFor } from '../reports/report.service.js';
import { endpointView, type WebhookEndpointService, WebhookEndpointError } from './webhook-endpoint.service.js';

const addSchema = z
  .object({
    url: z.string().min(1).max(2000),
    events: z.array(z.string().max(60)).max(20).optional(),
    description: z.string().max(200).optional(),
  })
  .strict();
const deliveriesQuery = z
  .object({ failed: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(50) })
  .strict();
const replaySchema = z.object({ since: z.string().min(1).max(20) }).strict();
const json = express.json({ limit: '8kb' });

const CODES = {
  invalid: 'invalid_request',
  unsafe_url: 'unsafe_webhook_url',
  unknown_event_type: 'unknown_event_type',
  not_found: 'not_found',
} as const;

/** The publisher's own outbound webhooks, on the reports API and its key: what `favour webhook …` does. */
export function webhookRoutes(deps: { db: Db; now: () => Date; endpoints: WebhookEndpointService }): Router {
  const router = Router();
  const auth = requireApiKey(deps.db, deps.now);
  const { endpoints } = deps;

  async function publicationOf(res: Response) {
    res.set('Cache-Control', 'private, no-store');
    return (await reportContextFor(deps.db, res.locals.apiKey!.publicationId, deps.now())).publication;
  }
  /** The service's refusals as 4xx answers. */
  async function answer<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WebhookEndpointError) throw new HttpError(err.kind === 'not_found' ? 404 : 400, CODES[err.kind], err.message);
      throw err;
    }
  }
  const viewOf = async (id: string, publication: Awaited<ReturnType<typeof publicationOf>>) =>
    endpointView(await answer(() => endpoints.get(id, publication)), publication.slug);

  router.get('/api/webhooks', auth, async (_req, res) => {
    const publication = await publicationOf(res);
    res.json({ data: (await endpoints.list(publication)).map((e) => endpointView(e, publication.slug)) });
  });

  router.post('/api/webhooks', auth, json, async (req, res) => {
    const input = parseInput(addSchema, req.body);
    const publication = await publicationOf(res);
    const added = await answer(() =>
      endpoints.add(publication, {
        url: input.url,
        ...(input.events ? { events: input.events } : {}),
        ...(input.description ? { description: input.description } : {}),
      }),
    );
    // An endpoint receives supporters' e-mails and names: who added it, and where it points, is worth a line of its own.
    req.log?.info({ endpoint: added.id, host: new URL(added.url).host, publication: publication.slug }, 'webhook endpoint added');
    res.status(201).json(added);
  });

  router.get('/api/webhooks/:id', auth, async (req, res) => {
    const publication = await publicationOf(res);
    res.json(await viewOf(String(req.params.id), publication));
  });

  router.delete('/api/webhooks/:id', auth, async (req, res) => {
    const publication = await publicationOf(res);
    await answer(() => endpoints.remove(String(req.params.id), publication));
    req.log?.info({ endpoint: String(req.params.id), publication: publication.slug }, 'webhook endpoint removed');
    res.status(204).end();
  });

  router.post('/api/webhooks/:id/rotate-secret', auth, async (req, res) => {
    const publication = await publicationOf(res);
    const rotated = await answer(() => endpoints.rotateSecret(String(req.params.id), publication));
    req.log?.info({ endpoint: rotated.id, publication: publication.slug }, 'webhook endpoint secret rotated');
    res.json(rotated);
  });

  router.post('/api/webhooks/:id/enable', auth, async (req, res) => {
    const publication = await publicationOf(res);
    await answer(() => endpoints.enable(String(req.params.id), publication));
    req.log?.info({ endpoint: String(req.params.id), publication: publication.slug }, 'webhook endpoint enabled');
    res.json(await viewOf(String(req.params.id), publication));
  });

  router.get('/api/webhooks/:id/deliveries', auth, async (req, res) => {
    const query = parseInput(deliveriesQuery, req.query, {}, 'query');
    const publication = await publicationOf(res);
    const list = await answer(() =>
      endpoints.deliveries(String(req.params.id), { failedOnly: query.failed === 'true', limit: query.limit }, publication),
    );
    res.json({ data: list });
  });

  router.post('/api/webhooks/:id/replay', auth, json, async (req, res) => {
    const { since } = parseInput(replaySchema, req.body);
    const publication = await publicationOf(res);
    res.status(202).json(await answer(() => endpoints.replay({ endpointId: String(req.params.id), since }, publication)));
  });

  router.post('/api/webhooks/deliveries/:delivery/replay', auth, async (req, res) => {
    const id = String(req.params.delivery);
    if (!/^\d{1,15}$/.test(id)) throw new HttpError(404, 'not_found', 'No such webhook delivery.');
    const publication = await publicationOf(res);
    res.status(202).json(await answer(() => endpoints.replay({ deliveryId: Number(id) }, publication)));
  });

  return router;
}
