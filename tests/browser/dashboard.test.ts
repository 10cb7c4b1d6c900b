// The publisher dashboard (GET /dashboard) in Chromium against the running app with a known history:
// the numbers on the page equal the API's, charts draw, tables match, search, paging and CSV exports
// work, a wrong key is refused, nothing breaks the strict CSP, axe finds no serious problem, and a
// phone-sized screen does not scroll sideways. Screenshots for people go to test-artifacts/dashboard/.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api-keys/api-key.repository.js';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { ARTICLE_1, ARTICLE_2, ARTICLE_3 } from '../helpers/report-history.js';
import {
  ARTIFACTS,
  axeSerious,
  chooseRange,
  EXTRA_SUPPORTERS,
  flatten,
  NOW,
  raw,
  settled,
  signIn,
  startDashboardEnv,
  tableRows,
  taggedValues,
  type DashboardEnv,
} from '../helpers/dashboard-browser.js';

const FROM = '2026-01-01';
const TO = '2026-03-31';
const RANGE = `from=${FROM}&to=${TO}`;
const BOM = '\uFEFF';

let env: DashboardEnv;
beforeAll(async () => {
  env = await startDashboardEnv();
});
afterAll(async () => {
  await env?.close();
});

const SUMMARY_FIELDS = [
  'gross',
  'refunded',
  'disputed',
  'net',
  'payments',
  'one_off',
  'recurring',
  'average_gift',
  'mrr',
  'active_members',
] as const;
const BREAKDOWN_METRICS = [
  'impressions',
  'clicks',
  'checkouts',
  'paid',
  'upsell_shown',
  'upsell_accepted',
  'upsell_rate',
  'fees_covered',
  'fee_cover_rate',
  'net',
  'conversion_rate',
  'revenue_per_1000_impressions',
];

/** Only the browser's own report of a refused request may show up in the console (401 answers, aborted fetches). */
const unexpected = (errors: string[], allowed: RegExp[] = []) => errors.filter((e) => !allowed.some((re) => re.test(e)));

describe('the dashboard with a valid key', () => {
  it('shows exactly the API numbers for 2026-01-01..2026-03-31, draws the charts, lists articles and variants', async () => {
    const { page, context, errors, cspViolations } = await env.newPage();
    await signIn(page, env.base, env.key);
    expect(await page.locator('#publication-label').textContent()).toBe('demo');
    await chooseRange(page, FROM, TO);
    // 1 Jan – 31 Mar is the last 90 days of the app's clock: the preset shows as chosen.
    expect(await page.locator('[data-preset="90d"]').getAttribute('aria-pressed')).toBe('true');

    // Headline numbers: every number of every currency, and the totals, equal /summary's.
    const summary = await env.api(`/api/reports/summary?${RANGE}`);
    const expected: Record<string, string> = {};
    for (const [currency, c] of Object.entries(summary.currencies as Record<string, Record<string, number>>)) {
      for (const field of SUMMARY_FIELDS) expected[`${field}.${currency}`] = raw(c[field]!);
      expected[`fees_covered.${currency}`] = raw(summary.fees_covered[currency]);
    }
    for (const field of ['new_supporters', 'active_members', 'churned_members', 'one_off', 'recurring'])
      expected[field] = raw(summary[field]);
    expect(await taggedValues(page, '#overview')).toEqual(expected);
    expect(Object.keys(summary.currencies).sort()).toEqual(['eur', 'jpy', 'usd']);
    // …which are the figures worked out by hand for this history (tests/integration/reports).
    expect(expected).toMatchObject({
      'net.eur': '10700',
      'net.usd': '600',
      'net.jpy': '0',
      'gross.jpy': '3000',
      'disputed.jpy': '3000',
      'mrr.eur': '1000',
      new_supporters: '6',
      churned_members: '1',
    });
    // Displayed with each currency's own exponent (JPY has none).
    const shown = (metric: string, currency: string) =>
      page.locator(`#overview [data-metric="${metric}"][data-currency="${currency}"]`).textContent();
    expect(await shown('net', 'eur')).toBe('€107.00');
    expect(await shown('gross', 'usd')).toBe('$56.00');
    expect(await shown('gross', 'jpy')).toBe('¥3,000');
    expect(await shown('average_gift', 'eur')).toBe('€18.33');

    // The funnel.
    expect(await taggedValues(page, '#funnel')).toEqual(
      flatten(summary.funnel, [
        'impressions',
        'clicks',
        'checkouts',
        'paid',
        'click_rate',
        'checkout_rate',
        'payment_rate',
        'conversion_rate',
      ]),
    );
    expect(await page.locator('#funnel [data-metric="click_rate"]').textContent()).toBe('40%');

    // Charts: three canvases with a size; 90 days are drawn by week. Their data tables equal /timeseries.
    const canvases = await page.locator('.chart canvas').evaluateAll((list: any[]) => list.map((c) => [c.clientWidth, c.clientHeight]));
    expect(canvases).toHaveLength(3);
    for (const [w, h] of canvases) expect(w * h).toBeGreaterThan(0);
    const revenue = await env.api(`/api/reports/timeseries?metric=revenue&interval=week&${RANGE}`);
    const revenueRows = await tableRows(page, '[data-chart-table="chart-revenue"]', 'data-period');
    expect(revenueRows.map(([period]) => period)).toEqual(revenue.points.map((p: { period: string }) => p.period));
    revenueRows.forEach(([, values], i) => {
      const net = revenue.points[i].net as Record<string, number>;
      for (const [c, v] of Object.entries(net)) expect(values[`net.${c}`]).toBe(raw(v));
    });
    const members = await env.api(`/api/reports/timeseries?metric=members&interval=week&${RANGE}`);
    expect((await tableRows(page, '[data-chart-table="chart-members"]', 'data-period')).map(([, v]) => v)).toEqual(
      members.points.map((p: Record<string, number>) => flatten(p, ['active_members', 'new_members', 'churned_members'])),
    );
    const mrr = await env.api(`/api/reports/timeseries?metric=mrr&interval=week&${RANGE}`);
    expect((await tableRows(page, '[data-chart-table="chart-mrr"]', 'data-period')).map(([, v]) => v)).toEqual(
      mrr.points.map((p: Record<string, unknown>) => flatten(p, ['mrr'])),
    );

    // Top articles and variants: the same rows, in the same order, with the same numbers.
    const articles = await env.api(`/api/reports/articles?${RANGE}&sort=paid&limit=20`);
    expect(articles.articles.map((a: { article_url: string }) => a.article_url).sort()).toEqual([ARTICLE_1, ARTICLE_2, ARTICLE_3]);
    expect(await tableRows(page, '#articles-table', 'data-article-url')).toEqual(
      articles.articles.map((a: Record<string, unknown>) => [a.article_url, flatten(a, BREAKDOWN_METRICS)]),
    );
    expect(await tableRows(page, '#variants-table', 'data-variant')).toEqual(
      articles.variants.map((v: Record<string, unknown>) => [
        v.variant ?? '',
        flatten(v, ['impressions', 'clicks', 'click_rate', ...BREAKDOWN_METRICS.slice(2)]),
      ]),
    );
    // Another order is another request, still equal to the API's.
    await page.locator('#articles-sort').selectOption('revenue');
    await settled(page);
    const byRevenue = await env.api(`/api/reports/articles?${RANGE}&sort=revenue&limit=20`);
    expect((await tableRows(page, '#articles-table', 'data-article-url')).map(([url]) => url)).toEqual(
      byRevenue.articles.map((a: { article_url: string }) => a.article_url),
    );

    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-light.png'), fullPage: true });
    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    // The key never leaves memory and sessionStorage: no cookie, nothing in localStorage, nothing in the URL.
    expect(await page.evaluate(() => (globalThis as any).localStorage.length)).toBe(0);
    expect(await context.cookies()).toEqual([]);
    expect(page.url()).toBe(`${env.base}/dashboard`);
    await context.close();
  });

  it('searches, filters and pages through supporters as the API does', async () => {
    const { page, context, errors, cspViolations } = await env.newPage();
    await signIn(page, env.base, env.key);
    const emails = () =>
      page.locator('#supporters-table tbody tr[data-email]').evaluateAll((rows: any[]) => rows.map((r) => r.dataset.email));
    const apiEmails = async (query: string) =>
      ((await env.api(`/api/reports/supporters?${query}`)).supporters as { email: string }[]).map((s) => s.email);

    // 8 supporters of the known history + 20 earlier ones: two pages of 25, newest first.
    const first = await env.api('/api/reports/supporters?limit=25');
    expect(await emails()).toEqual(first.supporters.map((s: { email: string }) => s.email));
    expect(await emails()).toHaveLength(25);
    // Every row's numbers, dates and membership status equal the API's.
    type ApiSupporter = {
      email: string;
      first_supported_at: string | null;
      last_supported_at: string | null;
      lifetime: Record<string, { net: number; payments: number }>;
      membership: { status: string } | null;
    };
    const expectedRow = (s: ApiSupporter): [string, Record<string, string>] => {
      const values: Record<string, string> = {
        first_supported_at: raw(s.first_supported_at),
        last_supported_at: raw(s.last_supported_at),
        membership_status: s.membership?.status ?? '',
      };
      for (const [c, t] of Object.entries(s.lifetime))
        Object.assign(values, { [`lifetime_net.${c}`]: raw(t.net), [`lifetime_payments.${c}`]: raw(t.payments) });
      return [s.email, values];
    };
    expect(await tableRows(page, '#supporters-table', 'data-email')).toEqual((first.supporters as ApiSupporter[]).map(expectedRow));
    expect(
      await page.locator('#supporters-table tr[data-email="e@example.com"] [data-metric="membership_status"]').getAttribute('data-value'),
    ).toBe('active');
    expect(await page.locator('#supporters-prev').isDisabled()).toBe(true);

    await page.locator('#supporters-next').click();
    await settled(page);
    const second = await env.api(`/api/reports/supporters?limit=25&cursor=${first.next_cursor}`);
    expect(await tableRows(page, '#supporters-table', 'data-email')).toEqual((second.supporters as ApiSupporter[]).map(expectedRow));
    expect(await emails()).toContain('a@example.com');
    expect(
      await page
        .locator('#supporters-table tr[data-email="a@example.com"] [data-metric="lifetime_net"][data-currency="eur"]')
        .getAttribute('data-value'),
    ).toBe('4000');
    expect(await emails()).toHaveLength(8 + EXTRA_SUPPORTERS.length - 25);
    expect(await page.locator('#supporters-next').isDisabled()).toBe(true);
    expect(await page.locator('#supporters-page').textContent()).toContain('Page 2');
    await page.locator('#supporters-prev').click();
    await settled(page);
    expect(await emails()).toEqual(first.supporters.map((s: { email: string }) => s.email));

    // A smaller page size pages further.
    await page.locator('#supporters-size').selectOption('10');
    await settled(page);
    expect(await emails()).toEqual(await apiEmails('limit=10'));

    // Search (the API matches e-mail or name, any case).
    await page.locator('#supporters-q').fill('B@EXAMPLE.COM');
    await page.locator('#supporters-q').press('Enter');
    await settled(page);
    expect(await emails()).toEqual(['b@example.com']);
    await page.locator('#supporters-q').fill('petrović');
    await page.getByRole('button', { name: 'Search' }).click();
    await settled(page);
    expect(await emails()).toEqual(await apiEmails('q=petrovi%C4%87'));
    expect(await emails()).toHaveLength(1);

    // Filters.
    await page.locator('#supporters-q').fill('');
    for (const [option, query] of [
      ['lapsed', 'lapsed=true'],
      ['status:active', 'status=active'],
      ['one_off', 'one_off_only=true&limit=10'],
    ] as const) {
      await page.locator('#supporters-filter').selectOption(option);
      await settled(page);
      expect(await emails(), option).toEqual(await apiEmails(query.includes('limit') ? query : `${query}&limit=10`));
    }
    expect(await emails()).not.toContain('a@example.com');
    await page.locator('#supporters-filter').selectOption('lapsed');
    await settled(page);
    expect(await emails()).toEqual(['f@example.com']);

    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });

  it('downloads the supporters and donations CSV with the filters and range shown, BOM and header first', async () => {
    const { page, context, errors, cspViolations } = await env.newPage();
    await signIn(page, env.base, env.key);
    await chooseRange(page, FROM, TO);
    await page.locator('#supporters-q').fill('b@example.com');
    await page.locator('#supporters-q').press('Enter');
    await settled(page);

    const take = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(button).click()]);
      return { name: download.suggestedFilename(), text: (await readFile((await download.path())!)).toString('utf8') };
    };
    const supporters = await take('#export-supporters');
    expect(supporters.name).toBe('demo-supporters.csv');
    expect(
      supporters.text.startsWith(
        `${BOM}id,email,name,first_supported_at,last_supported_at,membership_status,currency,payments,lifetime_gross,lifetime_refunded,lifetime_net\r\n`,
      ),
    ).toBe(true);
    const lines = supporters.text.trim().split('\r\n');
    expect(lines).toHaveLength(2); // the header and b@example.com: the search applies to the export
    expect(lines[1]).toContain('b@example.com');

    const donations = await take('#export-donations');
    expect(donations.name).toBe(`demo-donations-${FROM}-${TO}.csv`);
    expect(donations.text.startsWith(`${BOM}id,paid_at,created_at,kind,status,currency,amount,refunded,net,`)).toBe(true);
    // Byte for byte what the API sends for the same range.
    const res = await fetch(`${env.base}/api/reports/donations.csv?${RANGE}`, { headers: { Authorization: `Bearer ${env.key}` } });
    expect(Buffer.from(donations.text, 'utf8').equals(Buffer.from(await res.arrayBuffer()))).toBe(true);

    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });
});

describe('keys', () => {
  it('refuses a wrong key with a clear message and stays on the key form', async () => {
    const { page, context, errors, cspViolations } = await env.newPage();
    await page.goto(`${env.base}/dashboard`);
    await page.locator('#api-key').fill('fav_thisIsNotAKeyOfAnyPublication000000');
    await page.locator('#api-key').press('Enter');
    await page.locator('#signin-error').waitFor();
    expect(await page.locator('#signin-error').textContent()).toContain('This key is not valid');
    expect(await page.locator('#api-key').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-wrong-key.png') });
    expect(unexpected(errors, [/status of 401/])).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });

  it('remembers the key for the tab only when asked, and forgets it on sign-out', async () => {
    const { page, context } = await env.newPage();
    await signIn(page, env.base, env.key);
    await page.reload();
    await page.locator('#dashboard').waitFor();
    await settled(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.locator('#signin').isVisible()).toBe(true);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    expect(await page.locator('#currency-cards [data-metric]').count()).toBe(0); // nothing of the publication stays

    await signIn(page, env.base, env.key, { remember: false });
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    await page.reload();
    await page.locator('#signin').waitFor();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    await context.close();
  });

  it('goes back to the key form when the key is revoked while the dashboard is open', async () => {
    const demo = await env.t.database.db.selectFrom('publications').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow();
    const temporary = await createApiKey(env.t.database.db, demo.id, 'soon revoked');
    const { page, context, errors } = await env.newPage();
    await signIn(page, env.base, temporary.key);
    await revokeApiKey(env.t.database.db, temporary.prefix);
    await page.locator('[data-preset="12m"]').click();
    await page.locator('#signin-error').waitFor();
    expect(await page.locator('#signin-error').textContent()).toContain('This key is not valid');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    expect(unexpected(errors, [/status of 401/])).toEqual([]);
    await context.close();
  });

  it('shows a network failure inline, in the panel, with a retry', async () => {
    const { page, context, errors } = await env.newPage();
    await signIn(page, env.base, env.key);
    await page.route('**/api/reports/articles?*', (route) => route.abort('internetdisconnected'));
    await page.locator('[data-preset="ytd"]').click();
    const status = page.locator('[data-status-for="articles"]');
    await page.waitForFunction(() =>
      (globalThis as any).document.querySelector('[data-status-for="articles"]').classList.contains('is-error'),
    );
    expect(await status.textContent()).toContain('Could not reach the service');
    // The other panels still load (the articles' failure can come before the summary's answer).
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#overview').getAttribute('aria-busy') === 'false');
    expect(await page.locator('#overview .is-error, [data-status-for="overview"].is-error').count()).toBe(0);
    await page.unroute('**/api/reports/articles?*');
    await status.getByRole('button', { name: 'Try again' }).click();
    await settled(page);
    expect(await page.locator('#articles-table tbody tr[data-article-url]').count()).toBeGreaterThan(0);
    expect(unexpected(errors, [/ERR_INTERNET_DISCONNECTED/])).toEqual([]);
    await context.close();
  });
});

describe('accessibility and layout', () => {
  it('works with the keyboard alone, with a visible focus', async () => {
    const { page, context } = await env.newPage();
    await page.goto(`${env.base}/dashboard`);
    // The key field has focus on arrival.
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('api-key');
    await page.keyboard.type(env.key);
    await page.keyboard.press('Enter');
    await page.locator('#dashboard').waitFor();
    await settled(page);
    // Tab to the "90 days" preset and press it.
    let found = false;
    for (let i = 0; i < 10 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => (globalThis as any).document.activeElement?.dataset?.preset === '90d');
    }
    expect(found).toBe(true);
    const outline = await page.evaluate(() => {
      const g = globalThis as any;
      const s = g.getComputedStyle(g.document.activeElement);
      return [s.outlineStyle, parseFloat(s.outlineWidth)];
    });
    expect(outline[0]).not.toBe('none');
    expect(outline[1]).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#range-from').value === '2026-01-01');
    await settled(page);
    expect(await page.locator('[data-preset="90d"]').getAttribute('aria-pressed')).toBe('true');
    // The scrollable tables can be reached (and scrolled) with the keyboard.
    expect(await page.locator('.table-wrap[tabindex="0"]').count()).toBe(5);
    await context.close();
  });

  it('has no serious or critical axe findings on the key form and on the dashboard', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, context } = await env.newPage({ bypassCSP: true, colorScheme });
      await page.goto(`${env.base}/dashboard`);
      await page.locator('#signin').waitFor();
      expect(await axeSerious(page), `key form, ${colorScheme}`).toEqual([]);
      await page.reload();
      await page.locator('#api-key').fill(env.key);
      await page.locator('#signin-submit').click();
      await page.locator('#dashboard').waitFor();
      await settled(page);
      await chooseRange(page, FROM, TO);
      // Open the charts' data tables so axe checks them too.
      await page.locator('details.chart-data').evaluateAll((list: any[]) => list.forEach((d) => (d.open = true)));
      expect(await axeSerious(page), `dashboard, ${colorScheme}`).toEqual([]);
      await context.close();
    }
  });

  it('looks right in dark mode', async () => {
    const { page, context, errors, cspViolations } = await env.newPage({ colorScheme: 'dark' });
    await signIn(page, env.base, env.key);
    await chooseRange(page, FROM, TO);
    const background = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor);
    expect(background).toBe('rgb(16, 18, 21)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-dark.png'), fullPage: true });
    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });

  it('fits a phone: one column, no sideways scrolling of the page, tables scroll inside their box', async () => {
    const { page, context, errors, cspViolations } = await env.newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const pageWidth = () => page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    await page.goto(`${env.base}/dashboard`);
    await page.locator('#signin').waitFor();
    expect(await pageWidth()).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone-signin.png') });
    await page.locator('#api-key').fill(env.key);
    await page.locator('#signin-submit').click();
    await page.locator('#dashboard').waitFor();
    await settled(page);
    await chooseRange(page, FROM, TO);
    expect(await pageWidth()).toBeLessThanOrEqual(375);
    // One column: the currency cards and the charts stack.
    const lefts = await page
      .locator('.currency-card')
      .evaluateAll((cards: any[]) => cards.map((c) => Math.round(c.getBoundingClientRect().left)));
    expect(new Set(lefts).size).toBe(1);
    const chartLefts = await page
      .locator('.chart-figure')
      .evaluateAll((list: any[]) => list.map((c) => Math.round(c.getBoundingClientRect().left)));
    expect(new Set(chartLefts).size).toBe(1);
    // The charts follow the narrow width.
    const canvasWidths = await page.locator('.chart canvas').evaluateAll((list: any[]) => list.map((c) => c.clientWidth));
    for (const w of canvasWidths) expect(w).toBeLessThanOrEqual(375 - 2 * 12);
    // The supporters table is wider than the screen and scrolls inside its box.
    const box = await page.locator('#supporters-table').evaluate((e: any) => [e.scrollWidth, e.clientWidth]);
    expect(box[0]).toBeGreaterThan(box[1]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone.png'), fullPage: true });
    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });
});

describe('webhooks', () => {
  it('adds an endpoint and shows its secret once, lists deliveries, sends one again, enables, rotates and removes', async () => {
    const db = env.t.database.db;
    const { page, context, errors, cspViolations } = await env.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, env.base, env.key);
    expect(await page.locator('#webhooks-table td.empty').textContent()).toContain('No endpoints yet');

    // A URL favour refuses: the API's reason, by the field.
    await page.locator('#webhook-url').fill('ftp://crm.example/hooks');
    await page.locator('#webhook-add').click();
    await page.locator('#webhook-error').waitFor();
    expect(await page.locator('#webhook-error').textContent()).toMatch(/http/);
    expect(await page.locator('#webhook-url').getAttribute('aria-invalid')).toBe('true');
    expect(await db.selectFrom('webhook_endpoints').selectAll().execute()).toEqual([]);

    const url = 'http://127.0.0.1:9/hooks/favour';
    await page.locator('#webhook-url').fill(url);
    await page.locator('#webhook-description').fill('CRM');
    await page.locator('input[name=events][value="payment.succeeded"]').check();
    await page.locator('input[name=events][value="membership.started"]').check();
    await page.locator('#webhook-add').click();
    await page.locator('#webhook-secret').waitFor();
    const [stored] = await db.selectFrom('webhook_endpoints').selectAll().execute();
    expect(stored).toMatchObject({ url, description: 'CRM', events: ['payment.succeeded', 'membership.started'] });
    // The secret that signs, shown once, focused for copying; the form is empty again.
    const secret = await page.locator('#webhook-secret-value').inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).toBe(stored!.secret);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('webhook-secret-value');
    expect(await page.locator('#webhook-url').inputValue()).toBe('');
    expect(await page.locator('#webhook-error').isHidden()).toBe(true);
    const row = page.locator(`#webhooks-table tr[data-endpoint-id="${stored!.id}"]`);
    await row.waitFor();
    expect(await row.locator('[data-status]').textContent()).toBe('Enabled');
    expect(await row.textContent()).toContain('payment.succeeded, membership.started');
    await page.locator('#webhook-secret-done').click();
    expect(await page.locator('#webhook-secret').isHidden()).toBe(true);
    expect(await page.locator('#webhook-secret-value').inputValue()).toBe('');

    // Five days of failures later: one delivery given up, the endpoint disabled.
    const message = await db
      .insertInto('webhook_messages')
      .values({
        webhook_id: 'msg_dashboard',
        publication_id: stored!.publication_id,
        type: 'payment.succeeded',
        object_key: 'payment:1',
        body: JSON.stringify({ type: 'payment.succeeded', timestamp: NOW.toISOString(), data: {} }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('webhook_deliveries')
      .values({ endpoint_id: stored!.id, message_id: message.id, object_key: 'payment:1', status: 'failed', attempts: 9, last_status: 500 })
      .execute();
    await db
      .updateTable('webhook_endpoints')
      .set({ disabled_at: NOW, disabled_reason: 'Failing for 5 days' })
      .where('id', '=', stored!.id)
      .execute();
    await page.reload();
    await page.locator('#dashboard').waitFor();
    await settled(page);
    expect(await row.locator('[data-status]').textContent()).toBe('Disabled');
    expect(await row.textContent()).toContain('Failing for 5 days');
    expect(await taggedValues(page, `#webhooks-table tr[data-endpoint-id="${stored!.id}"]`)).toEqual({ pending: '0', failed: '1' });

    // Its deliveries: the failed one, sent again with the same message.
    await row.getByRole('button', { name: `Deliveries to ${url}` }).click();
    const deliveries = page.locator('#webhook-deliveries-table tbody tr[data-delivery-id]');
    await deliveries.first().waitFor();
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('webhook-deliveries-title');
    expect(await deliveries.count()).toBe(1);
    expect((await deliveries.first().locator('th, td').allTextContents()).slice(0, 5)).toEqual([
      'payment.succeeded',
      'msg_dashboard',
      'Failed',
      '9',
      'HTTP 500',
    ]);
    await deliveries.first().getByRole('button', { name: 'Send payment.succeeded msg_dashboard again' }).click();
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('#webhook-deliveries-table tbody tr[data-delivery-id]').length === 2,
    );
    expect(await page.locator('#webhooks-message').textContent()).toBe('1 message queued to be sent again, with the same webhook-id.');
    const rows = await db.selectFrom('webhook_deliveries').select(['message_id', 'status']).orderBy('id').execute();
    expect(rows).toEqual([
      { message_id: message.id, status: 'failed' },
      { message_id: message.id, status: 'pending' },
    ]);
    expect(await deliveries.first().locator('[data-status]').textContent()).toBe('Pending');
    // The tables were drawn anew; focus is back on the button pressed.
    const failedId = String(await deliveries.nth(1).getAttribute('data-delivery-id'));
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.dataset.delivery)).toBe(failedId);
    expect(await deliveries.first().getByRole('button').count()).toBe(0);
    await page.locator('#webhook-failed-only').check();
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('#webhook-deliveries-table tbody tr[data-delivery-id]').length === 1,
    );
    // Everything of the last 24 hours: one message, however many times it was delivered.
    await page.locator('#webhook-replay-form').getByRole('button', { name: 'Send again' }).click();
    await page.waitForFunction(async () =>
      (globalThis as any).document.querySelector('#webhooks-message').textContent.startsWith('1 message queued'),
    );
    expect(await db.selectFrom('webhook_deliveries').select('id').execute()).toHaveLength(3);

    // Enabled again, then a new secret: shown once, the old one kept signing beside it.
    await row.getByRole('button', { name: `Enable ${url}` }).click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('#webhooks-table [data-status]').textContent === 'Enabled');
    expect((await db.selectFrom('webhook_endpoints').select('disabled_at').executeTakeFirstOrThrow()).disabled_at).toBeNull();
    await row.getByRole('button', { name: `Rotate secret of ${url}` }).click();
    await page.locator('#webhook-secret').waitFor();
    const rotated = await db.selectFrom('webhook_endpoints').select(['secret', 'previous_secret']).executeTakeFirstOrThrow();
    expect(await page.locator('#webhook-secret-value').inputValue()).toBe(rotated.secret);
    expect(rotated.previous_secret).toBe(secret);
    expect(rotated.secret).not.toBe(secret);
    await page.locator('#webhooks').screenshot({ path: path.join(ARTIFACTS, 'desktop-webhooks.png') });

    // Removed: gone from the table and the database, its deliveries closed.
    await row.getByRole('button', { name: `Remove ${url}` }).click();
    await page.locator('#webhooks-table td.empty').waitFor();
    expect(await db.selectFrom('webhook_endpoints').selectAll().execute()).toEqual([]);
    expect(await page.locator('#webhook-deliveries').isHidden()).toBe(true);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('webhooks-table');
    expect(unexpected(errors, [/status of 400/])).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    await context.close();
  });

  it('has no serious or critical axe findings with an endpoint and its deliveries shown', async () => {
    const { page, context } = await env.newPage({ bypassCSP: true });
    await signIn(page, env.base, env.key);
    await page.locator('#webhook-url').fill('http://127.0.0.1:9/axe');
    await page.locator('#webhook-add').click();
    await page.locator('#webhook-secret').waitFor();
    await page.locator('#webhooks-table').getByRole('button', { name: 'Deliveries to http://127.0.0.1:9/axe' }).click();
    await page.locator('#webhook-deliveries-table td.empty').waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await env.t.database.db.deleteFrom('webhook_endpoints').execute();
    await context.close();
  });
});
