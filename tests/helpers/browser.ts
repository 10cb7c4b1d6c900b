// Real-browser harness for the widget: the favour app (createTestApp, Stripe mocked with nock) listening
// on 127.0.0.1, a tiny "publisher" web server for article pages, and Debian's Chromium driven by
// playwright-core. Chromium maps fake host names onto the two local ports (--host-resolver-rules), so:
//   http://favour.test    = the service (its PUBLIC_URL, TEST_PUBLIC_URL, so the config's URLs work)
//   http://nostripe.test  = the same service and database without STRIPE_SECRET_KEY (503 payments_not_configured)
//   http://blog.test      = a publisher's site, cross-origin, added to the test publications' origins
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll } from 'vitest';
import nock from 'nock';
import { widgetCountersOf } from '../../src/app.js';
import { launchChromium } from './chromium.js';
import { resetData } from './reset-data.js';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { buildWidget } from '../../scripts/build-widget.mjs';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import { createPublication, widgetSettingsOf } from '../../src/publications/publication.service.js';
import { DEFAULT_COPY, WIDGET_STRINGS } from '../../src/widget/i18n.js';
import type { WidgetConfig } from '../../src/widget/widget-config.js';
import { createTestApp, STRIPE_TEST_HOST, TEST_PUBLIC_URL, type TestApp } from './test-app.js';

export const SERVICE = TEST_PUBLIC_URL; // http://favour.test
export const NO_STRIPE = 'http://nostripe.test';
export const BLOG = 'http://blog.test';
export const ARTIFACTS = path.resolve('test-artifacts/widget');

/** The strict CSP of the publisher's pages: no 'unsafe-inline' anywhere, scripts and fetches only from us and the service. */
export const BLOG_CSP = [
  "default-src 'none'",
  `script-src 'self' ${SERVICE} ${NO_STRIPE}`,
  `connect-src ${SERVICE} ${NO_STRIPE}`,
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** A calm article page: the widget in a 640 px column, text above and below it. */
const SITE_CSS = `body{margin:0;background:#fff;color:#222;font:18px/1.6 Georgia,serif}
main{max-width:640px;margin:0 auto;padding:24px 20px}h1{font-size:30px;line-height:1.2;margin:0 0 16px}p{margin:0 0 16px}
@media (prefers-color-scheme:dark){body{background:#121214;color:#ddd}}`;
/** The article page of a publisher that reserves the appeal's slot (the widget keeps that height: no shift at all). */
const RESERVED_CSS = `${SITE_CSS}\n[data-favour-publication]{display:block;min-height:460px}`;
/** No margins at all: the widget is exactly as wide as the viewport (compared with the hostile page). */
const BARE_CSS = 'html,body{margin:0;padding:0}h1,p{margin:0;font:16px/20px sans-serif}'; // whole-pixel positions, like the hostile page
/** A hostile site stylesheet: resets everything, hides every button, input and div, shouts. */
const HOSTILE_CSS = `* { all: unset !important; font-size: 31px !important; line-height: 3 !important; color: red !important;
  letter-spacing: .3em !important; text-transform: uppercase !important; font-family: monospace !important; box-sizing: content-box !important }
button, input, select, label, fieldset, legend { display: none !important; }
div { display: none !important; margin: 40px !important; padding: 30px !important; border: 9px solid lime !important; width: 10px !important; }
h2, p { display: none !important; } :root { color-scheme: dark !important; background: #000 !important; }`;

export interface ArticleOptions {
  /** The embed markup; default: the script tag for "demo" from the service. */
  embed?: string;
  lang?: string | null;
  css?: 'site' | 'bare' | 'hostile' | 'reserved';
  /** Paragraphs before the widget (each ~3 lines); default 2. */
  before?: number;
}

export const scriptTag = (attrs: Record<string, string> = {}, service = SERVICE) =>
  `<script async src="${service}/widget.js" ${Object.entries({ 'data-publication': 'demo', ...attrs })
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')}></script>`;

const PARAGRAPH = `<p>After three months of debate, the city council voted on Thursday to fund the new central library,
ending a dispute that had divided neighbourhoods and delayed the project by a year.</p>`;

export function articleHtml(options: ArticleOptions = {}): string {
  const lang = options.lang === undefined ? 'en' : options.lang;
  const css = options.css ?? 'site';
  return `<!doctype html><html${lang ? ` lang="${lang}"` : ''}><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>City council approves the library budget</title>
<link rel="stylesheet" href="/${css}.css"></head><body><main>
<h1>City council approves the new library budget</h1>
${PARAGRAPH.repeat(options.before ?? 2)}
${options.embed ?? scriptTag()}
<p id="below">Work is expected to begin in the spring. This paragraph sits right below the appeal, so any layout shift would move it.</p>
${PARAGRAPH.repeat(4)}
</main></body></html>`;
}

/** The publisher's web server: GET /<anything> answers an article page built from the query. */
function startBlogServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', BLOG);
    const css: Record<string, string> = {
      '/site.css': SITE_CSS,
      '/bare.css': BARE_CSS,
      '/hostile.css': HOSTILE_CSS,
      '/reserved.css': RESERVED_CSS,
    };
    if (css[url.pathname]) {
      res.writeHead(200, { 'content-type': 'text/css' }).end(css[url.pathname]);
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      const page = blogPages.get(url.pathname) ?? articleHtml();
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': BLOG_CSP, 'cache-control': 'no-store' })
        .end(page);
    }
  });
  return listen(server);
}

/** Pages of the publisher's site by path (default: articleHtml()). Tests set their own. */
export const blogPages = new Map<string, string>();

/**
 * The widget environment for one test file: started before its tests, closed after them, and after each test
 * (unless `emptyAfterEach` is false) Stripe mocks dropped and the data emptied, beacons held in memory written first.
 */
export function widgetEnvForFile(options: { upsell?: boolean; emptyAfterEach?: boolean } = {}): () => WidgetEnv {
  let env: WidgetEnv | undefined;
  beforeAll(async () => {
    env = await startWidgetEnv(options);
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(async () => {
    nock.cleanAll();
    if (!env || options.emptyAfterEach === false) return;
    await widgetCountersOf(env.t.app).flush();
    await resetData(env.t.database.db);
  });
  return () => env!;
}

/** Puts a page on the publisher's site (its query and fragment are the page's own) and returns its URL. */
export function blogPage(path: string, html = articleHtml()): string {
  blogPages.set(path.split('?')[0]!.split('#')[0]!, html);
  return BLOG + path;
}

async function listen(server: http.Server): Promise<http.Server> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
const portOf = (server: http.Server) => (server.address() as AddressInfo).port;

export interface WidgetEnv {
  t: TestApp;
  browser: Browser;
  /** A fresh context (own localStorage) and page; console errors and page errors are collected. */
  newPage(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * Builds the widget, starts the app, the no-Stripe twin and the publisher's server, and launches Chromium.
 * The demo publication also accepts http://favour.test (its /demo page) and http://blog.test.
 */
export async function startWidgetEnv(options: { upsell?: boolean } = {}): Promise<WidgetEnv> {
  await buildWidget();
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  const t = await createTestApp();
  for (const slug of ['demo', 'italia']) {
    const publication = (await findPublicationBySlug(t.database.db, slug))!;
    // "Make it monthly" is on by default; its own tests turn it on, the others test what comes before and after it.
    const widget = { ...widgetSettingsOf(publication), upsell: { enabled: options.upsell ?? false, fraction: 1 / 3 } };
    await t.changePublication(slug, { origins: [...new Set([...publication.origins, SERVICE, NO_STRIPE, BLOG])], widget });
  }
  await createPublication(t.database.db, {
    slug: 'ab',
    name: 'The A/B Herald',
    origins: [BLOG],
    currencies: { eur: { min: 100, max: 100_000, presets: { once: [500, 1000, 2500], month: [300, 500, 1000] } } },
    default_currency: 'eur',
    intervals: ['once', 'month'],
    default_locale: 'en',
    time_zone: 'Europe/Rome',
    widget: {
      upsell: options.upsell ?? false,
      accent: '#8a1538',
      variants: [
        { id: 'plea-a', weight: 1, copy: { en: { heading: 'Variant A: a small favour', body: 'Copy of variant A.' } } },
        { id: 'plea-b', weight: 1, copy: { en: { heading: 'Variant B: keep us independent', body: 'Copy of variant B.' } } },
      ],
    },
  });
  const noStripeApp = createApp({
    db: t.database.db,
    stripe: undefined,
    logger: createLogger('silent'),
    metrics: createMetrics(t.database.poolStats),
    config: { publicUrl: NO_STRIPE, stripeWebhookSecret: undefined },
  });
  const servers = await Promise.all([listen(http.createServer(t.app)), listen(http.createServer(noStripeApp)), startBlogServer()]);
  const [service, noStripe, blog] = servers.map(portOf);
  const rules = `MAP favour.test 127.0.0.1:${service},MAP nostripe.test 127.0.0.1:${noStripe},MAP blog.test 127.0.0.1:${blog}`;
  const browser = await launchChromium([`--host-resolver-rules=${rules}`]);
  mkdirSync(ARTIFACTS, { recursive: true });

  return {
    t,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: { width: 680, height: 1000 }, deviceScaleFactor: 1, ...options });
      // Stripe Checkout is out of reach: a stand-in page proves the widget navigated there.
      await context.route('https://checkout.stripe.com/**', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<title>Stripe Checkout</title>' }),
      );
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      return { context, page, errors };
    },
    async close() {
      await browser.close();
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      await t.close();
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** The widget's host element (the placeholder, or the one inserted before the script tag). */
export const widget = (page: Page, n = 0): Locator => page.locator('[data-favour-publication]').nth(n);

/** Waits until the appeal (or thank-you, collapsed line, fallback) replaced the placeholder. */
export async function rendered(host: Locator): Promise<void> {
  await host.locator('.c:not([aria-busy])').waitFor();
}

/** An article with the appeal, opened in a fresh page; `checkouts` collects what the widget posts to /api/checkout. */
export async function openArticle(env: WidgetEnv, path: string, options: BrowserContextOptions = {}) {
  const opened = await env.newPage(options);
  const checkouts: Record<string, unknown>[] = [];
  opened.page.on('request', (r) => {
    if (r.url().endsWith('/api/checkout') && r.method() === 'POST') checkouts.push(r.postDataJSON());
  });
  await opened.page.goto(blogPage(path));
  const host = widget(opened.page);
  await rendered(host);
  return { ...opened, host, checkouts };
}

/** Intercepts one Stripe Checkout Session create; `seen.body` is the form Stripe received. */
export function interceptSessionCreate(id = 'cs_test_widget') {
  const seen: { body?: Record<string, string>; idempotencyKey?: string } = {};
  const scope = nock(STRIPE_TEST_HOST)
    .post('/v1/checkout/sessions', (body) => {
      seen.body = Object.fromEntries(new URLSearchParams(body as unknown as string));
      return true;
    })
    .reply(function () {
      seen.idempotencyKey = String(this.req.headers['idempotency-key']);
      return [200, { id, object: 'checkout.session', url: `https://checkout.stripe.com/c/pay/${id}`, payment_status: 'unpaid' }];
    });
  return { scope, seen };
}

export interface CounterRow {
  publication: string;
  article_url: string;
  variant: string;
  impressions: number;
  clicks: number;
}

/** Today's widget_daily_counters per publication slug, article and variant. */
export async function counters(t: TestApp): Promise<CounterRow[]> {
  await widgetCountersOf(t.app).flush();
  const { rows } = await sql<CounterRow>`SELECT p.slug AS publication, c.article_url, c.variant,
      sum(c.impressions)::int AS impressions, sum(c.clicks)::int AS clicks
    FROM widget_daily_counters c JOIN publications p ON p.id = c.publication_id
    GROUP BY p.slug, c.article_url, c.variant ORDER BY p.slug, c.article_url, c.variant`.execute(t.database.db);
  return rows;
}

/** Sum of layout-shift values without recent input since the page started (buffered entries). */
export function cumulativeLayoutShift(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let total = 0;
        // Runs in the page: the root tsconfig has no DOM library, so the page's globals are reached untyped.
        const g = globalThis as unknown as {
          PerformanceObserver: new (cb: (list: { getEntries(): { value: number; hadRecentInput: boolean }[] }) => void) => {
            observe(o: object): void;
            disconnect(): void;
          };
          requestAnimationFrame(cb: () => void): void;
        };
        const observer = new g.PerformanceObserver((list) => {
          for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
        });
        observer.observe({ type: 'layout-shift', buffered: true });
        // Two frames later every buffered entry has been delivered.
        g.requestAnimationFrame(() =>
          g.requestAnimationFrame(() => {
            observer.disconnect();
            resolve(total);
          }),
        );
      }),
  );
}

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  /** Targets as JSON; a node inside a shadow root has a nested array: [["host selector", "inner selector"]]. */
  nodes: { target: string; inShadow: boolean }[];
}

/**
 * Runs axe-core over the page, open shadow roots included; needs a context with bypassCSP (axe is
 * injected inline). `shadowPasses` counts passed checks on nodes inside shadow roots, proving axe looked there.
 */
export async function axe(page: Page): Promise<{ violations: AxeFinding[]; shadowPasses: number }> {
  await page.addScriptTag({ path: path.resolve('node_modules/axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const g = globalThis as any;
    // Let colour transitions (0.15 s on the amount buttons) finish: axe measuring contrast halfway
    // through a fade reported a violation the settled widget does not have (seen once in CI).
    // The document's list leaves out shadow trees, where the widget lives: ask each open shadow root too.
    const roots = [g.document, ...[...g.document.querySelectorAll('*')].map((e: any) => e.shadowRoot).filter(Boolean)];
    await Promise.all(roots.flatMap((r: any) => r.getAnimations()).map((a: any) => a.finished.catch(() => undefined)));
    const result = await g.axe.run(g.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    const nodes = (list: any[]) => list.map((n: any) => ({ target: JSON.stringify(n.target), inShadow: Array.isArray(n.target[0]) }));
    return {
      violations: result.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: nodes(v.nodes) })),
      shadowPasses: result.passes.flatMap((p: any) => nodes(p.nodes)).filter((n: any) => n.inShadow).length,
    };
  });
}

/** The focused element, through shadow roots: what a keyboard user is on. */
export function activeElement(page: Page): Promise<{ tag: string; type: string; name: string; value: string; text: string } | null> {
  return page.evaluate(() => {
    let el = (globalThis as unknown as { document: { activeElement: any } }).document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el
      ? {
          tag: el.tagName.toLowerCase(),
          type: el.type ?? '',
          name: el.name ?? '',
          value: el.value ?? '',
          text: (el.textContent ?? '').trim(),
        }
      : null;
  });
}

/** Every element of the widget's shadow tree with its box relative to the host: two identical renders give equal lists. */
export function shadowLayout(host: Locator): Promise<string[]> {
  return host.evaluate((el: any) => {
    const origin = el.getBoundingClientRect();
    return [...el.shadowRoot.querySelectorAll('*')].map((e: any) => {
      const r = e.getBoundingClientRect();
      const s = (globalThis as any).getComputedStyle(e);
      const box = s.display === 'none' ? [] : [r.x - origin.x, r.y - origin.y, r.width, r.height]; // a hidden element has no box
      return [e.tagName, e.className, ...box, s.display, s.color, s.backgroundColor, s.fontSize, s.fontFamily].join('|');
    });
  });
}

/**
 * Holds GET /api/widget/* until `release()`: lets a test look at the placeholder, then measure what the
 * appeal's arrival does. `requests` lists the config URLs asked for.
 */
export async function gateConfig(target: Page | BrowserContext): Promise<{ release: () => void; requests: string[] }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const requests: string[] = [];
  await target.route(/\/api\/widget\//, async (route) => {
    requests.push(route.request().url());
    await gate;
    await route.continue();
  });
  return { release, requests };
}

/**
 * Layout-shift score from now until the widget has rendered (plus two frames): starts observing at
 * once and resolves after `whenRendered`. Call it while the config is held with gateConfig.
 */
export async function shiftsWhileRendering(page: Page, start: () => void): Promise<number> {
  await page.evaluate(
    () => new Promise<void>((r) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(() => r()))),
  );
  const measuring = page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const g = globalThis as any;
        let total = 0;
        const observer = new g.PerformanceObserver((list: any) => {
          for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
        });
        observer.observe({ type: 'layout-shift' });
        const done = () =>
          g.document.querySelectorAll('[data-favour-publication]').length > 0 &&
          [...g.document.querySelectorAll('[data-favour-publication]')].every((h: any) =>
            h.shadowRoot?.querySelector('.c:not([aria-busy])'),
          );
        const tick = () =>
          done()
            ? g.requestAnimationFrame(() =>
                g.requestAnimationFrame(() => {
                  observer.disconnect();
                  resolve(total);
                }),
              )
            : g.requestAnimationFrame(tick);
        tick();
      }),
  );
  start();
  return measuring;
}

/** A complete WidgetConfig for pages served with context.route (no server), as the service would answer for "demo" in English. */
export function configFixture(base: string, overrides: Partial<WidgetConfig> = {}): WidgetConfig {
  return {
    publication: 'demo',
    name: 'The Demo Daily',
    lang: 'en',
    locale: 'en',
    intervals: ['once', 'month', 'year'],
    currencies: {
      eur: {
        min: 100,
        max: 1_000_000,
        exponent: 2,
        presets: { once: [500, 1000, 2500], month: [300, 500, 1000], year: [3000, 5000, 10_000] },
      },
    },
    default_currency: 'eur',
    copy: DEFAULT_COPY.en,
    variants: [],
    frequency_cap: { views: 4, days: 30 },
    supporter_days: 90,
    accent: '#0b5cad',
    donate_url: `${base}/donate/demo?lang=en`,
    checkout_url: `${base}/api/checkout`,
    events_url: `${base}/api/events`,
    strings: WIDGET_STRINGS.en,
    upsell: { fraction: 1 / 3 },
    fee_cover: null,
    goal: null,
    reminder: null,
    ...overrides,
  };
}

/** Trimmed text of a locator (for expect.poll: playwright-core has no web-first assertions). */
export const text = async (l: Locator): Promise<string> => ((await l.textContent()) ?? '').trim();
/** True when the element has focus inside its own (shadow) root. */
export const focused = (l: Locator): Promise<boolean> => l.evaluate((e: any) => e.getRootNode().activeElement === e);

/** Pixels that differ (any channel by more than `threshold`) between two same-size PNGs, decoded by the browser. */
export async function pixelDiff(page: Page, a: Buffer, b: Buffer, threshold = 8): Promise<number> {
  const url = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;
  return page.evaluate(
    async ([srcA, srcB, limit]) => {
      const g = globalThis as any;
      const pixels = async (src: string) => {
        const img = new g.Image();
        img.src = src;
        await img.decode();
        const canvas = g.document.createElement('canvas');
        [canvas.width, canvas.height] = [img.width, img.height];
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return { w: img.width, h: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
      };
      const [x, y] = [await pixels(srcA as string), await pixels(srcB as string)];
      if (x.w !== y.w || x.h !== y.h) return Number.POSITIVE_INFINITY;
      let differing = 0;
      for (let i = 0; i < x.data.length; i += 4) {
        if ([0, 1, 2].some((c) => Math.abs(x.data[i + c] - y.data[i + c]) > (limit as number))) differing++;
      }
      return differing;
    },
    [url(a), url(b), threshold] as const,
  );
}
