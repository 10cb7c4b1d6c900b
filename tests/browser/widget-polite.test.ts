// The widget's manners in Chromium against the running app: frequency cap, supporter recognition,
// the cancelled note, A/B variants, impression/click beacons and their daily counters, and a browser
// whose localStorage throws. No cookies, ever.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WIDGET_STRINGS } from '../../src/widget/i18n.js';
import { widgetCountersOf } from '../../src/app.js';
import { resetData } from '../helpers/reset-data.js';
import {
  activeElement,
  ARTIFACTS,
  articleHtml,
  BLOG,
  blogPage,
  counters,
  focused,
  interceptSessionCreate,
  rendered,
  scriptTag,
  SERVICE,
  startWidgetEnv,
  text,
  widget,
  type WidgetEnv,
} from '../helpers/browser.js';
import nock from 'nock';
import type { Page, Request } from 'playwright-core';
import { STRIPE_TEST_HOST } from '../helpers/test-app.js';

const en = WIDGET_STRINGS.en;
let env: WidgetEnv;
beforeAll(async () => {
  env = await startWidgetEnv();
});
afterAll(async () => {
  await env?.close();
});
afterEach(async () => {
  // Beacons counted in memory belong to the test that sent them: write them before emptying the tables.
  await widgetCountersOf(env.t.app).flush();
  await resetData(env.t.database.db);
});

const at = blogPage;

/** Every beacon the page sends, parsed. */
function beacons(page: Page): { type: string; publication: string; article_url: string; variant?: string }[] {
  const seen: ReturnType<typeof beacons> = [];
  page.on('request', (r: Request) => {
    if (r.url() === `${SERVICE}/api/events`) seen.push(JSON.parse(r.postData() ?? '{}'));
  });
  return seen;
}

const memory = (page: Page, slug = 'demo') =>
  page.evaluate((key) => JSON.parse((globalThis as any).localStorage.getItem(key) ?? 'null'), `favour:${slug}`);
const nowS = () => Math.floor(Date.now() / 1000);

describe('frequency cap', () => {
  it('collapses to one line after 4 views in 30 days; the line expands by keyboard to the full appeal', async () => {
    const { page, context, errors } = await env.newPage();
    const sent = beacons(page);
    const url = at('/2026/cap');
    for (let view = 1; view <= 4; view++) {
      await page.goto(url);
      await rendered(widget(page));
      expect(await widget(page).locator('form').count()).toBe(1);
      await expect.poll(() => sent.filter((b) => b.type === 'impression').length).toBe(view);
    }
    expect((await memory(page)).v).toHaveLength(4);

    await page.goto(url);
    const host = widget(page);
    await rendered(host);
    expect(await host.locator('form').count()).toBe(0);
    const expand = host.getByRole('button', { name: 'Support The Demo Daily' });
    expect(await expand.getAttribute('aria-expanded')).toBe('false');
    expect(await text(host.locator('.l span'))).toBe('A small favour');
    expect((await host.locator('.c').boundingBox())!.height).toBeLessThan(90); // one line
    await host.screenshot({ path: `${ARTIFACTS}/collapsed.png` });
    expect(sent.filter((b) => b.type === 'impression')).toHaveLength(4); // the collapsed line is not an impression

    await page.keyboard.press('Tab');
    expect(await activeElement(page)).toMatchObject({ tag: 'button', text: 'Support The Demo Daily' });
    await page.keyboard.press('Space');
    await host.locator('form').waitFor();
    await expect.poll(() => focused(host.locator('h2'))).toBe(true); // focus moves to the appeal it opened
    await expect.poll(() => sent.filter((b) => b.type === 'impression').length).toBe(5);
    await expect
      .poll(() => counters(env.t))
      .toEqual([{ publication: 'demo', article_url: `${BLOG}/2026/cap`, variant: '', impressions: 5, clicks: 0 }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('counts a view only when at least half of the appeal is on screen', async () => {
    const { page, context } = await env.newPage({ viewport: { width: 680, height: 600 } });
    const sent = beacons(page);
    await page.goto(at('/far-below', articleHtml({ before: 12 })));
    const host = widget(page);
    await rendered(host);
    // Two frames: any intersection callback for the current layout has run.
    await page.evaluate(
      () => new Promise((r) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(r))),
    );
    expect(sent).toEqual([]);
    expect((await memory(page)).v ?? []).toEqual([]);
    await host.evaluate((e: any) => e.scrollIntoView({ block: 'end' }));
    await expect.poll(() => sent).toEqual([{ publication: 'demo', type: 'impression', article_url: `${BLOG}/far-below` }]);
    await context.close();
  });
});

describe('supporters', () => {
  it('after ?favour=thanks&favour-until=… shows a thank-you instead of the ask, strips the markers, and remembers', async () => {
    const { page, context, errors } = await env.newPage();
    const sent = beacons(page);
    const until = nowS() + 30 * 86400;
    await page.goto(at(`/2026/story?id=7&favour=thanks&favour-until=${until}#top`));
    const host = widget(page);
    await rendered(host);
    expect(await text(host.locator('h2'))).toBe(en.thanks_heading);
    expect(await text(host.locator('p'))).toBe('Readers like you keep The Demo Daily independent.');
    expect(await host.locator('form').count()).toBe(0);
    expect(page.url()).toBe(`${BLOG}/2026/story?id=7#top`);
    expect((await memory(page)).s).toBe(until);
    await host.screenshot({ path: `${ARTIFACTS}/thanks.png` });

    await page.goto(at('/2026/another-story'));
    await rendered(widget(page));
    expect(await text(widget(page).locator('h2'))).toBe(en.thanks_heading);
    // No beacons while thanking: the reader is not being asked.
    await page.evaluate(
      () => new Promise((r) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(r))),
    );
    expect(sent).toEqual([]);
    expect(await counters(env.t)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('end to end: donate in the widget, return through the hosted thank-you page, and get thanked on the site', async () => {
    const { seen } = interceptSessionCreate('cs_test_e2e');
    const { page, context, errors } = await env.newPage();
    await page.goto(at('/2026/e2e?ref=home'));
    const host = widget(page);
    await rendered(host);
    await host.getByText('Monthly').click();
    await host.locator('button[type=submit]').click();
    await page.waitForURL(/cs_test_e2e/);
    expect(seen.body).toMatchObject({ mode: 'subscription', 'metadata[article_url]': `${BLOG}/2026/e2e?ref=home` });

    // Stripe sends the reader to PUBLIC_URL/thanks; the webhook has not arrived, so the page asks Stripe.
    const created = nowS();
    nock(STRIPE_TEST_HOST)
      .get('/v1/checkout/sessions/cs_test_e2e')
      .reply(200, {
        id: 'cs_test_e2e',
        object: 'checkout.session',
        status: 'complete',
        payment_status: 'paid',
        amount_total: 500,
        currency: 'eur',
        customer: 'cus_e2e',
        subscription: 'sub_e2e',
        created,
        locale: 'en',
        metadata: { publication: 'demo', article_url: `${BLOG}/2026/e2e?ref=home`, interval: 'month', variant: '' },
      });
    await page.goto(`${SERVICE}/thanks?session_id=cs_test_e2e`);
    await page.getByRole('link', { name: 'Back to the article' }).click();
    await page.waitForURL(`${BLOG}/2026/e2e?ref=home`); // favour=thanks&favour-until=… read and stripped
    await rendered(widget(page));
    expect(await text(widget(page).locator('h2'))).toBe(en.thanks_heading);
    const { s } = await memory(page);
    expect(s).toBeGreaterThanOrEqual(created + 31 * 86400 - 5); // a monthly member: thanked for the paid month
    expect(s).toBeLessThanOrEqual(nowS() + 31 * 86400);
    // The hosted pages' Cross-Origin-Opener-Policy is ignored (and logged) on the plain-http test origin.
    expect(errors.filter((e) => !/Cross-Origin-Opener-Policy header has been ignored/.test(e))).toEqual([]);
    await context.close();
  });

  it('caps favour-until at 400 days and asks again once it has passed', async () => {
    const { page, context } = await env.newPage();
    await page.goto(at(`/long?favour=thanks&favour-until=${nowS() + 5 * 365 * 86400}`));
    await rendered(widget(page));
    const { s } = await memory(page);
    expect(s).toBeGreaterThan(nowS() + 399 * 86400);
    expect(s).toBeLessThanOrEqual(nowS() + 400 * 86400);

    await page.evaluate(() => {
      const ls = (globalThis as any).localStorage;
      const m = JSON.parse(ls.getItem('favour:demo'));
      ls.setItem('favour:demo', JSON.stringify({ ...m, s: Math.floor(Date.now() / 1000) - 1 }));
    });
    await page.reload();
    await rendered(widget(page));
    expect(await text(widget(page).locator('h2'))).toBe('A small favour');
    await context.close();
  });

  it('a one-off gift without favour-until is remembered for the publication’s supporter_days', async () => {
    const { page, context } = await env.newPage();
    await page.goto(at('/no-until?favour=thanks'));
    await rendered(widget(page));
    expect(await text(widget(page).locator('h2'))).toBe(en.thanks_heading);
    expect((await memory(page)).s).toBeGreaterThanOrEqual(nowS() + 90 * 86400 - 5);
    await context.close();
  });
});

describe('cancelled checkout', () => {
  it('shows a gentle note above the appeal (not an error) and strips ?favour=cancelled', async () => {
    const { page, context, errors } = await env.newPage();
    await page.goto(at('/cancelled?favour=cancelled&x=1', articleHtml({ lang: 'it' })));
    const host = widget(page);
    await rendered(host);
    const note = host.getByRole('status').filter({ hasText: WIDGET_STRINGS.it.cancelled });
    expect(await note.count()).toBe(1);
    expect(await host.locator('.c > :first-child').evaluate((e: any) => e.className)).toBe('n'); // above the heading
    const [noteColour, errorColour, headingColour] = await host.evaluate((el: any) => {
      const r = el.shadowRoot;
      const colour = (e: any) => (globalThis as any).getComputedStyle(e).color;
      const probe = r.querySelector('.e');
      return [colour(r.querySelector('.n')), colour(probe), colour(r.querySelector('h2'))];
    });
    expect(noteColour).not.toBe(errorColour);
    expect(noteColour).toBe(headingColour);
    expect(await host.locator('form').count()).toBe(1);
    expect(page.url()).toBe(`${BLOG}/cancelled?x=1`);
    await host.screenshot({ path: `${ARTIFACTS}/cancelled-it.png` });
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('A/B variants', () => {
  const abTag = scriptTag({ 'data-publication': 'ab' });

  it('?favour-variant= forces a variant; its id travels in the beacons and the checkout', async () => {
    const { seen } = interceptSessionCreate('cs_test_variant');
    const { page, context, errors } = await env.newPage();
    const sent = beacons(page);
    const bodies: Record<string, unknown>[] = [];
    page.on('request', (r) => r.url().endsWith('/api/checkout') && r.method() === 'POST' && bodies.push(r.postDataJSON()));
    await page.goto(at('/ab-story?favour-variant=plea-b#c', articleHtml({ embed: abTag })));
    const host = widget(page);
    await rendered(host);
    expect(await text(host.locator('h2'))).toBe('Variant B: keep us independent');
    expect(await text(host.locator('h2 + p'))).toBe('Copy of variant B.');
    await expect.poll(() => sent).toEqual([{ publication: 'ab', type: 'impression', article_url: `${BLOG}/ab-story`, variant: 'plea-b' }]);
    await host.locator('button[type=submit]').click();
    await page.waitForURL(/cs_test_variant/);
    expect(bodies).toEqual([
      {
        publication: 'ab',
        amount: 1000,
        currency: 'eur',
        interval: 'once',
        article_url: `${BLOG}/ab-story`,
        locale: 'en',
        variant: 'plea-b',
      },
    ]);
    expect(seen.body!['metadata[variant]']).toBe('plea-b');
    expect(sent.map((b) => b.type)).toEqual(['impression', 'click']);
    await expect
      .poll(() => counters(env.t))
      .toEqual([{ publication: 'ab', article_url: `${BLOG}/ab-story`, variant: 'plea-b', impressions: 1, clicks: 1 }]);
    const [session] = await env.t.database.db.selectFrom('checkout_sessions').select(['variant', 'article_url']).execute();
    expect(session).toEqual({ variant: 'plea-b', article_url: `${BLOG}/ab-story` });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('each browser keeps a stable random bucket and sees one variant by weight', async () => {
    const headings: string[] = [];
    for (const bucket of [0.1, 0.9]) {
      const { page, context } = await env.newPage();
      await page.goto(at('/ab-bucket', articleHtml({ embed: abTag })));
      await rendered(widget(page));
      await page.evaluate((b) => {
        const ls = (globalThis as any).localStorage;
        ls.setItem('favour:ab', JSON.stringify({ ...JSON.parse(ls.getItem('favour:ab')), b }));
      }, bucket);
      for (let i = 0; i < 2; i++) {
        await page.reload();
        await rendered(widget(page));
        headings.push(await text(widget(page).locator('h2')));
      }
      await context.close();
    }
    expect(headings).toEqual([
      'Variant A: a small favour',
      'Variant A: a small favour',
      'Variant B: keep us independent',
      'Variant B: keep us independent',
    ]);

    // A new browser draws its own bucket once, then keeps it.
    const { page, context } = await env.newPage();
    await page.goto(at('/ab-bucket', articleHtml({ embed: abTag })));
    await rendered(widget(page));
    const { b } = await memory(page, 'ab');
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(1);
    await page.reload();
    await rendered(widget(page));
    expect((await memory(page, 'ab')).b).toBe(b);
    await context.close();
  });
});

describe('privacy and robustness', () => {
  it('works when localStorage throws (Safari private mode, sandboxed frames), and never sets a cookie', async () => {
    interceptSessionCreate('cs_test_private');
    const { page, context, errors } = await env.newPage();
    await context.addInitScript(() => {
      Object.defineProperty(globalThis, 'localStorage', {
        get() {
          throw new (globalThis as any).DOMException('The operation is insecure.', 'SecurityError');
        },
      });
    });
    await page.goto(at('/private?favour=cancelled'));
    const host = widget(page);
    await rendered(host);
    expect(await host.getByRole('status').filter({ hasText: en.cancelled }).count()).toBe(1);
    await host.locator('button[type=submit]').click();
    await page.waitForURL(/cs_test_private/);
    expect(errors).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it('reports the article without favour* parameters or the hash', async () => {
    const { page, context } = await env.newPage();
    const sent = beacons(page);
    await page.goto(at('/clean?page=2&favour-variant=nope&utm_source=mail#comments'));
    await rendered(widget(page));
    await expect.poll(() => sent.map((b) => b.article_url)).toEqual([`${BLOG}/clean?page=2&utm_source=mail`]);
    // The server further drops tracking parameters from what it counts.
    await expect
      .poll(() => counters(env.t))
      .toEqual([{ publication: 'demo', article_url: `${BLOG}/clean?page=2`, variant: '', impressions: 1, clicks: 0 }]);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
