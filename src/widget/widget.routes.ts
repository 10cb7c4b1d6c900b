import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Router } from 'express';
import { type ContentEncoding, negotiateEncoding } from '../http/compression.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import { HttpError } from '../http/http-error.js';
import { openCors, publicationCors } from '../http/publication-cors.js';

export interface WidgetRouteDeps {
  publications: PublicationCache;
  bundlePath: string;
}

interface Bundle {
  body: Buffer;
  /** The build's widget.js.br and widget.js.gz, those that are there and match the bundle. */
  encoded: Partial<Record<ContentEncoding, Buffer>>;
  hash: string;
  mtimeMs: number;
}

async function readBundle(bundlePath: string, mtimeMs: number): Promise<Bundle> {
  const body = await readFile(bundlePath);
  const encoded: Bundle['encoded'] = {};
  const br = await readFile(`${bundlePath}.br`).catch(() => undefined);
  const gz = await readFile(`${bundlePath}.gz`).catch(() => undefined);
  // A copy left from another build is not served: it must decompress to these very bytes.
  if (br && brotliDecompressSync(br).equals(body)) encoded.br = br;
  if (gz && gunzipSync(gz).equals(body)) encoded.gzip = gz;
  return { body, encoded, hash: createHash('sha256').update(body).digest('base64url').slice(0, 27), mtimeMs };
}

/** GET /widget.js and the CORS preflight of POST /api/events. */
export function widgetRoutes(deps: WidgetRouteDeps): Router {
  const router = Router();
  let bundle: Bundle | undefined;

  router.get('/widget.js', openCors, async (req, res) => {
    // Re-read only when the file changed (a rebuild while the server runs).
    const info = await stat(deps.bundlePath).catch(() => undefined);
    if (!info) throw new HttpError(503, 'widget_not_built', 'The widget is not built: run "npm run build".');
    if (!bundle || bundle.mtimeMs !== info.mtimeMs) bundle = await readBundle(deps.bundlePath, info.mtimeMs);
    // The build compressed the bundle once (brotli 11, gzip 9): served by what the browser accepts.
    const encoding = negotiateEncoding(req.headers['accept-encoding'], Object.keys(bundle.encoded) as ContentEncoding[]);
    const tag = `"${bundle.hash}${encoding ? `-${encoding}` : ''}"`;
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300, stale-while-revalidate=86400',
      ETag: tag,
      Vary: 'Accept-Encoding',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
    if (encoding) res.set('Content-Encoding', encoding);
    if (req.fresh) res.status(304).end();
    else res.send(encoding ? bundle.encoded[encoding] : bundle.body);
  });

  // GET /api/widget/:publication and POST /api/events: page-view.handler.ts, ahead of the router.
  router.options('/api/events', publicationCors(deps.publications));
  return router;
}
