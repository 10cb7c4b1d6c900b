import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import express, { Router } from 'express';
import type { PublicationCache } from '../publications/publication-cache.js';
import { HttpError } from '../http/http-error.js';
import { openCors, publicationCors } from '../http/publication-cors.js';
import { clientKey, type RateLimit } from '../http/rate-limit.js';
import { parseInput } from '../http/validation.js';
import type { WidgetCounterBuffer } from './widget-counter-buffer.js';
import { widgetEventSchema } from './widget-event.schema.js';
import { buildWidgetConfig, recordWidgetEvent } from './widget.service.js';

export interface WidgetRouteDeps {
  /** Publications from memory: an article view reads no table. */
  publications: PublicationCache;
  /** Beacon counts, written to the database once a second. */
  counters: WidgetCounterBuffer;
  publicUrl: string;
  bundlePath: string;
  eventsRateLimit: RateLimit;
  now: () => Date;
}

/** GET /widget.js, GET /api/widget/:publication, POST /api/events. */
export function widgetRoutes(deps: WidgetRouteDeps): Router {
  const router = Router();
  let bundle: { body: Buffer; etag: string; mtimeMs: number } | undefined;

  router.get('/widget.js', openCors, async (req, res) => {
    // Re-read only when the file changed (a rebuild while the server runs).
    const info = await stat(deps.bundlePath).catch(() => undefined);
    if (!info) throw new HttpError(503, 'widget_not_built', 'The widget is not built: run "npm run build".');
    if (!bundle || bundle.mtimeMs !== info.mtimeMs) {
      const body = await readFile(deps.bundlePath);
      bundle = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, mtimeMs: info.mtimeMs };
    }
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
      ETag: bundle.etag,
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (req.fresh) res.status(304).end();
    else res.send(bundle.body);
  });

  router.get('/api/widget/:publication', openCors, async (req, res) => {
    const slug = String(req.params.publication);
    const publication = await deps.publications.bySlug(slug);
    if (!publication) throw new HttpError(404, 'unknown_publication', `publication: no publication "${slug}".`, 'publication');
    const lang = typeof req.query.lang === 'string' ? req.query.lang.slice(0, 35) : undefined;
    res.set('Cache-Control', 'public, max-age=300, stale-while-revalidate=3600');
    res.json(buildWidgetConfig(publication, lang, deps.publicUrl));
  });

  router.options('/api/events', publicationCors(deps.publications));
  router.post(
    '/api/events',
    publicationCors(deps.publications),
    // sendBeacon posts a string as text/plain, which needs no CORS preflight.
    express.text({ type: ['text/plain', 'application/json'], limit: '2kb' }),
    async (req, res) => {
      await deps.eventsRateLimit.consume(clientKey(req));
      let body: unknown;
      try {
        body = JSON.parse(typeof req.body === 'string' ? req.body : '');
      } catch {
        throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
      }
      const event = parseInput(widgetEventSchema, body, { article_url: 'invalid_article_url' });
      await recordWidgetEvent(deps, event, req.get('origin'));
      res.status(202).json({ accepted: true });
    },
  );
  return router;
}
