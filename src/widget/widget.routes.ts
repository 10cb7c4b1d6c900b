import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Router } from 'express';
import type { PublicationCache } from '../publications/publication-cache.js';
import { HttpError } from '../http/http-error.js';
import { openCors, publicationCors } from '../http/publication-cors.js';

export interface WidgetRouteDeps {
  publications: PublicationCache;
  bundlePath: string;
}

/** GET /widget.js and the CORS preflight of POST /api/events. */
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

  // GET /api/widget/:publication and POST /api/events: page-view.handler.ts, ahead of the router.
  router.options('/api/events', publicationCors(deps.publications));
  return router;
}
