import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import proxyAddr from 'proxy-addr';
import type { PublicationRow } from '../db/tables/publication.table.js';
import type { GoalProgress, GoalTracker } from '../goals/goal.service.js';
import { COMPRESS_MIN_BYTES, compress, type ContentEncoding, negotiateEncoding } from '../http/compression.js';
import { HttpError } from '../http/http-error.js';
import { type NodeHandler, nodeAnswer, readBody, sendJson } from '../http/node-handler.js';
import { registeredOrigins } from '../http/publication-cors.js';
import { type RateLimit, rateLimitKeyOf } from '../http/rate-limit.js';
import { parseInput } from '../http/validation.js';
import type { Metrics } from '../ops/metrics.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import type { WidgetCounterBuffer } from './widget-counter-buffer.js';
import { widgetEventSchema } from './widget-event.schema.js';
import { buildWidgetConfig, recordWidgetEvent, widgetLang } from './widget.service.js';

export interface PageViewDeps {
  publications: PublicationCache;
  goals: GoalTracker;
  counters: WidgetCounterBuffer;
  publicUrl: string;
  eventsRateLimit: RateLimit;
  now: () => Date;
  logger: Logger;
  metrics: Metrics;
  /** Which proxies' X-Forwarded-For to believe (Express's compiled TRUST_PROXY), for the beacon limit's client key. */
  trustProxy: (address: string, hop: number) => boolean;
}

const CONFIG_PREFIX = '/api/widget/';
const BEACON_LIMIT_BYTES = 2048;
const CONFIG_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=3600';
// With a goal meter: the server's figure is at most 20 s old, so a reader's is at most a minute.
const GOAL_CACHE_CONTROL = 'public, max-age=20, stale-while-revalidate=20';
const ACCEPTED = '{"accepted":true}';

/** A publication's configuration in one language, serialised once, and compressed once per encoding asked for. */
interface ConfigBody {
  /** The goal figure it was made with: a new figure (every 20 s at most) makes a new body. */
  goal: GoalProgress | null;
  body: Buffer;
  etag: string;
  encoded: Partial<Record<ContentEncoding, Buffer>>;
}

/**
 * The two requests every article view makes, answered on node:http without Express's router and middleware, which
 * cost nine tenths of their time (`npm run bench:page-views`): GET /api/widget/:publication, from a body serialised
 * once per publication version and language, and POST /api/events, counted in memory. They are logged, timed and
 * answered (errors included) as the rest of the API is. Anything else, including CORS preflights, goes on to Express.
 */
export function createPageViewHandler(deps: PageViewDeps): NodeHandler {
  const answer = nodeAnswer(deps);
  // Keyed by the cached publication object, so a changed publication (a new object) is serialised anew.
  const configs = new WeakMap<PublicationRow, Map<string, ConfigBody>>();
  const allowedOrigins = registeredOrigins(deps.publications);

  function configBody(publication: PublicationRow, requestedLang: string | undefined, goal: GoalProgress | null) {
    const lang = widgetLang(publication, requestedLang);
    let byLang = configs.get(publication);
    if (!byLang) configs.set(publication, (byLang = new Map()));
    let entry = byLang.get(lang);
    if (!entry || entry.goal !== goal) {
      const body = Buffer.from(JSON.stringify(buildWidgetConfig(publication, lang, deps.publicUrl, goal)));
      entry = { goal, body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"`, encoded: {} };
      byLang.set(lang, entry);
    }
    return entry;
  }

  async function widgetConfig(req: IncomingMessage, res: ServerResponse, slug: string, query: string | undefined) {
    // Any page may read the answer, errors included: the widget hides itself when the publication is unknown.
    res.setHeader('Access-Control-Allow-Origin', '*');
    const publication = await deps.publications.bySlug(slug);
    if (!publication) throw new HttpError(404, 'unknown_publication', `publication: no publication "${slug}".`, 'publication');
    const lang = query === undefined ? undefined : new URLSearchParams(query).get('lang')?.slice(0, 35);
    const goal = await deps.goals.progressOf(publication);
    const config = configBody(publication, lang, goal);
    res.setHeader('Cache-Control', goal ? GOAL_CACHE_CONTROL : CONFIG_CACHE_CONTROL);
    res.setHeader('ETag', config.etag);
    const compressible = config.body.length >= COMPRESS_MIN_BYTES;
    if (compressible) res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === config.etag) {
      res.writeHead(304).end();
      return;
    }
    const encoding = compressible ? negotiateEncoding(req.headers['accept-encoding']) : undefined;
    // Compressed once per body and encoding, like the body itself.
    const body = encoding ? (config.encoded[encoding] ??= compress(config.body, encoding)) : config.body;
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** CORS for a beacon: only origins registered on some publication may read the answer. */
  async function allowOrigin(res: ServerResponse, origin: string | undefined) {
    if (!origin || !(await allowedOrigins()).has(origin)) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  }

  async function beacon(req: IncomingMessage, res: ServerResponse) {
    const origin = req.headers.origin;
    await allowOrigin(res, origin);
    await deps.eventsRateLimit.consume(rateLimitKeyOf(proxyAddr(req, deps.trustProxy)));
    const text = await readText(req, res);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    }
    const event = parseInput(widgetEventSchema, body, { article_url: 'invalid_article_url' });
    await recordWidgetEvent(deps, event, origin);
    sendJson(res, 202, ACCEPTED);
  }

  return (req, res) => {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (req.method === 'POST' && path === '/api/events') {
      answer(req, res, '/api/events', () => beacon(req, res));
      return true;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && path.startsWith(CONFIG_PREFIX)) {
      const raw = path.slice(CONFIG_PREFIX.length);
      let slug: string;
      try {
        slug = decodeURIComponent(raw);
      } catch {
        return false;
      }
      if (raw === '' || raw.includes('/')) return false;
      answer(req, res, '/api/widget/:publication', () => widgetConfig(req, res, slug, queryAt === -1 ? undefined : url.slice(queryAt + 1)));
      return true;
    }
    return false;
  };
}

/**
 * A beacon's body as text: navigator.sendBeacon sends text/plain (no CORS preflight); JSON is taken too. Anything
 * else is not read, and fails as JSON would.
 */
async function readText(req: IncomingMessage, res: ServerResponse): Promise<string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'text/plain' && type !== 'application/json') {
    req.resume();
    return '';
  }
  return (await readBody(req, res, BEACON_LIMIT_BYTES)).toString('utf8');
}
