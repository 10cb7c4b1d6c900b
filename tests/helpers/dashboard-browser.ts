// Real-browser harness for the publisher dashboard: the favour app (createTestApp with a fixed clock,
// the known report history delivered) behind a wrapper that mounts dashboardRoutes, listening on
// 127.0.0.1, and Debian's Chromium driven by playwright-core.
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import request from 'supertest';
import { widgetCountersOf } from '../../src/app.js';
import { launchChromium } from './chromium.js';
import { buildDashboard, DASHBOARD_DIR } from '../../scripts/build-dashboard.mjs';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { dashboardRoutes } from '../../src/dashboard/dashboard.routes.js';
import { errorHandler } from '../../src/http/error-middleware.js';
import { ARTICLE_1, deliverAll, knownHistory } from './report-history.js';
import { checkoutSession, stripeEvent } from './stripe-objects.js';
import { createTestApp, type TestApp } from './test-app.js';

export const NOW = new Date('2026-03-31T12:00:00Z');
export const ARTIFACTS = path.resolve('test-artifacts/dashboard');

/** Supporters who gave before the reports' range (so the known figures hold), enough to need a second page of 25. */
export const EXTRA_SUPPORTERS = [
  'Ana Petrović',
  'Giulia Rossi',
  'Marco Bianchi',
  'Jelena Jovanović',
  'Luca Ferrari',
  'Sara Colombo',
  'Nikola Ilić',
  'Chiara Ricci',
  'Milan Đorđević',
  'Elena Romano',
  'Francesca Greco',
  'Stefan Marković',
  'Paolo Conti',
  'Ivana Nikolić',
  'Matteo Gallo',
  'Marija Stojanović',
  'Alessandro Costa',
  'Dragana Pavlović',
  'Valentina Fontana',
  'Davide Moretti',
];

export interface DashboardEnv {
  t: TestApp;
  /** http://127.0.0.1:PORT, the app's public URL. */
  base: string;
  /** A live API key of the demo publication. */
  key: string;
  browser: Browser;
  /** GET on the API with the key, as the dashboard calls it. */
  api<T = any>(path: string): Promise<T>;
  /** A fresh context (own sessionStorage) and page; console errors, page errors and CSP violations are collected. */
  newPage(
    options?: BrowserContextOptions,
  ): Promise<{ context: BrowserContext; page: Page; errors: string[]; cspViolations(): Promise<string[]> }>;
  close(): Promise<void>;
}

async function seed(t: TestApp): Promise<void> {
  await deliverAll(t.app, knownHistory());
  await deliverAll(
    t.app,
    EXTRA_SUPPORTERS.map((name, i) => {
      const at = Date.parse('2025-10-01T10:00:00Z') / 1000 + i * 86_400;
      const email = `${name
        .split(' ')[0]!
        .normalize('NFD')
        .replace(/[^a-z]/gi, '')
        .toLowerCase()}.${i}@example.org`;
      return stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: `cs_extra_${i}`,
          amount: 500 + i * 100,
          currency: 'eur',
          email,
          name,
          customer: `cus_extra_${i}`,
          publication: 'demo',
          article_url: ARTICLE_1,
          variant: 'a',
          created: at,
        }),
        { id: `evt_extra_${i}`, created: at },
      );
    }),
  );
  // The widget's funnel on the first article (counted on the app's today, 2026-03-31): 10 impressions, 4 clicks.
  for (let i = 0; i < 14; i++) {
    const res = await request(t.app)
      .post('/api/events')
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ publication: 'demo', type: i < 10 ? 'impression' : 'click', article_url: ARTICLE_1, variant: 'a' }));
    if (res.status !== 202) throw new Error(`widget event: ${res.status}`);
  }
  await widgetCountersOf(t.app).flush();
}

export async function startDashboardEnv(): Promise<DashboardEnv> {
  await buildDashboard();
  // The app's public URL must be known before it is created: listen first, hand the requests over after.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Webhook endpoints on 127.0.0.1 may be added (the webhooks panel's test).
  const t = await createTestApp({ now: () => NOW, publicUrl: base, webhooksAllowPrivate: true });
  // createApp already ends with its 404 handler: mount the dashboard in front of it.
  const outer = express();
  outer.use(dashboardRoutes({ bundleDir: DASHBOARD_DIR }));
  outer.use(t.app);
  outer.use(errorHandler);
  handler = outer;
  await seed(t);
  const demo = await t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
  const { key } = await createApiKey(t.database.db, demo.id, 'dashboard test');
  const browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });

  return {
    t,
    base,
    key,
    browser,
    async api(p) {
      const res = await fetch(base + p, { headers: { Authorization: `Bearer ${key}` } });
      if (!res.ok) throw new Error(`${p}: ${res.status}`);
      return (await res.json()) as never;
    },
    async newPage(options = {}) {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        deviceScaleFactor: 1,
        locale: 'en-US',
        timezoneId: 'America/New_York',
        ...options,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(String(error)));
      // Runs before the page's own script, outside the CSP: records every violation report.
      await page.addInitScript(() => {
        const g = globalThis as any;
        g.__cspViolations = [];
        g.document.addEventListener('securitypolicyviolation', (e: any) =>
          g.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      return { context, page, errors, cspViolations: () => page.evaluate(() => (globalThis as any).__cspViolations as string[]) };
    },
    async close() {
      await browser.close();
      server.closeAllConnections();
      server.close();
      await t.close();
    },
  };
}

/** Signs in with the key (typed into the form, Enter) and waits for every panel to finish loading. */
export async function signIn(page: Page, base: string, key: string, options: { remember?: boolean } = {}): Promise<void> {
  await page.goto(`${base}/dashboard`);
  await page.locator('#api-key').fill(key);
  if (options.remember === false) await page.locator('#remember').uncheck();
  await page.locator('#signin-submit').click();
  await page.locator('#dashboard').waitFor();
  await settled(page);
}

/** Waits until no panel is loading (every request of the last action answered and rendered). */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const d = (globalThis as any).document;
    return !d.querySelector('[aria-busy="true"]') && d.querySelectorAll('#currency-cards [data-metric]').length > 0;
  });
}

/** Types a range into the date inputs and applies it. */
export async function chooseRange(page: Page, from: string, to: string): Promise<void> {
  await page.locator('#range-from').fill(from);
  await page.locator('#range-to').fill(to);
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(
    ([f, t]) => {
      const d = (globalThis as any).document;
      return (
        d.querySelector('#range-from').value === f && d.querySelector('#range-to').value === t && !d.querySelector('[aria-busy="true"]')
      );
    },
    [from, to] as const,
  );
}

/** Every tagged number inside `selector`: "metric.currency" (or "metric") → data-value. */
export function taggedValues(page: Page, selector: string): Promise<Record<string, string>> {
  return page.locator(selector).evaluate((root: any) => {
    const out: Record<string, string> = {};
    for (const e of root.querySelectorAll('[data-metric]')) {
      const name = e.dataset.currency ? `${e.dataset.metric}.${e.dataset.currency}` : e.dataset.metric;
      if (name in out) throw new Error(`two elements for ${name}`);
      out[name] = e.dataset.value;
    }
    return out;
  });
}

/** For each row of a table (by a data attribute naming the row): its tagged numbers. */
export function tableRows(page: Page, selector: string, rowKey: string): Promise<[string, Record<string, string>][]> {
  return page.locator(selector).evaluate((root: any, attr: string) => {
    return [...root.querySelectorAll(`tbody tr[${attr}]`)].map((tr: any) => {
      const out: Record<string, string> = {};
      for (const e of tr.querySelectorAll('[data-metric]'))
        out[e.dataset.currency ? `${e.dataset.metric}.${e.dataset.currency}` : e.dataset.metric] = e.dataset.value;
      return [tr.getAttribute(attr), out] as [string, Record<string, string>];
    });
  }, rowKey);
}

/** The API's value as the page's data-value holds it. */
export const raw = (v: number | string | null): string => (v === null ? '' : String(v));

/** Flattens an object of numbers and per-currency objects into "metric.currency" → data-value. */
export function flatten(values: Record<string, unknown>, metrics: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const metric of metrics) {
    const v = values[metric];
    if (v !== null && typeof v === 'object') for (const [c, x] of Object.entries(v)) out[`${metric}.${c}`] = raw(x as number | null);
    else out[metric] = raw(v as number | null);
  }
  return out;
}

/** Runs axe-core (injected inline: the context needs bypassCSP) and returns serious and critical violations. */
export async function axeSerious(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const g = globalThis as any;
    const result = await g.axe.run(g.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    });
    return result.violations
      .filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n: any) => JSON.stringify(n.target)) }));
  });
}
