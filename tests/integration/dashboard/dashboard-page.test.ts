// GET /dashboard and its assets, without a browser: the strict CSP, no inline script or style, cache
// headers and ETags, a rebuilt bundle picked up without a restart, and 503 when the bundle is missing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardBundleDir } from '../../../src/dashboard/dashboard-paths.js';
import { dashboardRoutes } from '../../../src/dashboard/dashboard.routes.js';
import { packageRoot } from '../../../src/paths.js';

let dir: string;
const appFor = (bundleDir: string) => express().use(dashboardRoutes({ bundleDir }));

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'favour-dashboard-'));
  await writeFile(path.join(dir, 'dashboard.js'), '(()=>{console.log("dashboard")})();\n');
  await writeFile(path.join(dir, 'dashboard.css'), 'body{margin:0}\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
  "form-action 'none'",
];

describe('GET /dashboard', () => {
  it('serves the HTML shell under the strict CSP, with no inline script or style', async () => {
    const res = await request(appFor(dir)).get('/dashboard');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = res.headers['content-security-policy']!.split(';')
      .map((d: string) => d.trim())
      .filter(Boolean);
    expect(csp.sort()).toEqual([...CSP].sort());
    expect(csp.join(';')).not.toContain('unsafe');

    const html = res.text;
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![0]).toMatch(/^<script src="\/assets\/dashboard\.js\?v=[\w-]{12}" defer><\/script>$/);
    expect(scripts[0]![1]).toBe('');
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
    expect(html).not.toMatch(/javascript:/i);
    expect(html).toMatch(/<link rel="stylesheet" href="\/assets\/dashboard\.css\?v=[\w-]{12}">/);
    // The key field is a password field with a label; the forms post nowhere.
    expect(html).toMatch(/<label for="api-key">API key<\/label>\s*<input id="api-key" name="api-key" type="password"/);
    expect(html).not.toMatch(/<form[^>]*\saction=/i);
  });

  it('serves the assets with an ETag, for good under their versioned URL, and 304 when unchanged', async () => {
    const app = appFor(dir);
    const page = await request(app).get('/dashboard');
    const jsUrl = /src="(\/assets\/dashboard\.js\?v=[^"]+)"/.exec(page.text)![1]!;
    const js = await request(app).get(jsUrl);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.text).toContain('console.log("dashboard")');
    const plain = await request(app).get('/assets/dashboard.js');
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.headers.etag).toBe(js.headers.etag);
    const again = await request(app).get('/assets/dashboard.js').set('If-None-Match', js.headers.etag!);
    expect(again.status).toBe(304);
    const css = await request(app).get('/assets/dashboard.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.text).toBe('body{margin:0}\n');
  });

  it('picks up a rebuilt bundle without a restart', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'favour-dashboard-'));
    try {
      await writeFile(path.join(own, 'dashboard.js'), 'var a=1;');
      await writeFile(path.join(own, 'dashboard.css'), 'a{}');
      const app = appFor(own);
      const before = await request(app).get('/assets/dashboard.js');
      await writeFile(path.join(own, 'dashboard.js'), 'var a=22;');
      const after = await request(app).get('/assets/dashboard.js');
      expect(after.text).toBe('var a=22;');
      expect(after.headers.etag).not.toBe(before.headers.etag);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('says how to build it when the bundle is missing: a notice on the page, 503 for the assets', async () => {
    const app = appFor(path.join(dir, 'nowhere'));
    const page = await request(app).get('/dashboard');
    expect(page.status).toBe(200);
    expect(page.text).toContain('npm run build');
    expect(page.text).not.toMatch(/<script/i);
    for (const asset of ['/assets/dashboard.js', '/assets/dashboard.css']) {
      const res = await request(app).get(asset);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: 'dashboard_not_built', message: expect.stringContaining('npm run build') } });
    }
  });

  it('finds the production bundle under dist/dashboard of the package', () => {
    expect(dashboardBundleDir()).toBe(path.join(packageRoot(), 'dist', 'dashboard'));
  });
});
