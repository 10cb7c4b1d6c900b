// The widget's budget: at most 6 KB gzipped, and one global (window.favour). Needs no server: the
// page, the bundle and the config are served by Playwright routes on a made-up origin.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWidget, GZIP_BUDGET, type WidgetBuild } from '../../scripts/build-widget.mjs';
import { configFixture } from '../helpers/browser.js';
import { launchChromium } from '../helpers/chromium.js';

const ORIGIN = 'http://size.test';
let build: WidgetBuild;
let browser: Browser;

beforeAll(async () => {
  build = await buildWidget();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('widget.js budget', () => {
  it(`is at most ${GZIP_BUDGET} bytes gzipped (level 9)`, () => {
    console.info(`widget.js: ${build.raw} bytes raw, ${build.gzip} bytes gzip -9`);
    expect(build.gzip).toBeLessThanOrEqual(GZIP_BUDGET);
    expect(build.code.toString('utf8')).not.toMatch(/sourceMappingURL|console\.log|debugger/);
  });

  it('defines no global but window.favour, and renders', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const body = (withWidget: boolean) =>
      `<!doctype html><html lang="en"><body><p>Article</p><div data-favour-publication="demo"></div>${withWidget ? `<script async src="${ORIGIN}/widget.js" data-publication="demo"></script>` : ''}</body></html>`;
    await context.route(`${ORIGIN}/**`, (route) => {
      const { pathname } = new URL(route.request().url());
      if (pathname === '/widget.js') return route.fulfill({ contentType: 'text/javascript', body: build.code });
      if (pathname === '/api/widget/demo')
        return route.fulfill({
          contentType: 'application/json',
          headers: { 'access-control-allow-origin': '*' },
          json: configFixture(ORIGIN),
        });
      if (pathname === '/api/events') return route.fulfill({ status: 202, json: { accepted: true } });
      return route.fulfill({ contentType: 'text/html', body: body(pathname === '/with') });
    });
    const globals = () => page.evaluate(() => Object.getOwnPropertyNames(globalThis).sort());

    await page.goto(`${ORIGIN}/without`);
    const before = await globals();
    await page.goto(`${ORIGIN}/with`);
    // Both embeds rendered (the placeholder and the script tag), the full appeal with its Donate button.
    await expect.poll(() => page.locator('[data-favour-publication] button[type=submit]').count()).toBe(2);
    const after = await globals();
    expect(after.filter((name) => !before.includes(name))).toEqual(['favour']);
    expect(await page.evaluate(() => Object.keys((globalThis as any).favour).sort())).toEqual(['render', 'version']);
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe('');
    expect(errors).toEqual([]);
    await context.close();
  });
});
