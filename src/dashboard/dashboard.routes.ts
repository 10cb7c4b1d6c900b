import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Router, type Response } from 'express';
import helmet from 'helmet';
import { renderDashboardPage } from './dashboard.page.js';

export interface DashboardRouteDeps {
  /** The folder with dashboard.js and dashboard.css (dashboardBundleDir() in production). */
  bundleDir: string;
}

/**
 * The dashboard's CSP: scripts, styles and fetches from this origin only (the API is same-origin),
 * no forms posted anywhere (the key form is handled by the script; without it nothing leaks into a URL).
 */
export const dashboardSecurityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      formAction: ["'none'"],
    },
  },
  crossOriginEmbedderPolicy: false,
  referrerPolicy: { policy: 'no-referrer' },
});

const ASSETS = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;

interface Asset {
  body: Buffer;
  etag: string;
  /** Short content hash, used as ?v= in the page so browsers may cache a version for good. */
  version: string;
  mtimeMs: number;
  size: number;
}

/** GET /dashboard (the HTML shell), GET /assets/dashboard.js and /assets/dashboard.css. */
export function dashboardRoutes(deps: DashboardRouteDeps): Router {
  const router = Router();
  const cache = new Map<AssetName, Asset>();

  /** The built file, re-read only when it changed on disk (a rebuild needs no restart); undefined when missing. */
  async function load(name: AssetName): Promise<Asset | undefined> {
    const file = path.join(deps.bundleDir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      cache.delete(name);
      return undefined;
    }
    const cached = cache.get(name);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(file).catch(() => undefined);
    if (!body) return undefined;
    const hash = createHash('sha256').update(body).digest('base64url');
    const asset = { body, etag: `"${hash.slice(0, 27)}"`, version: hash.slice(0, 12), mtimeMs: info.mtimeMs, size: info.size };
    cache.set(name, asset);
    return asset;
  }

  router.get('/dashboard', dashboardSecurityHeaders, async (_req, res) => {
    const [js, css] = await Promise.all([load('dashboard.js'), load('dashboard.css')]);
    const assets = js && css ? { js: `/assets/dashboard.js?v=${js.version}`, css: `/assets/dashboard.css?v=${css.version}` } : undefined;
    res.set('Cache-Control', 'no-store').type('html').send(renderDashboardPage(assets));
  });

  for (const name of Object.keys(ASSETS) as AssetName[]) {
    router.get(`/assets/${name}`, async (req, res) => {
      const asset = await load(name);
      if (!asset) return notBuilt(res);
      res.set({
        'Content-Type': ASSETS[name],
        // The page asks for ?v=<hash of this content>: that URL never changes meaning. Any other URL revalidates.
        'Cache-Control': req.query.v === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache',
        ETag: asset.etag,
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.fresh) res.status(304).end();
      else res.send(asset.body);
    });
  }
  return router;
}

function notBuilt(res: Response): void {
  res
    .status(503)
    .set('Cache-Control', 'no-store')
    .json({ error: { code: 'dashboard_not_built', message: 'The dashboard is not built: run "npm run build".' } });
}
