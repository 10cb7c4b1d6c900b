// The widget in Chromium against the running app: where and how it renders (demo page, hostile page,
// languages, options, themes), accessibility (axe-core, focus, reduced motion), layout stability
// (CLS) and the fallback. Screenshots for people go to test-artifacts/widget/.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WIDGET_STRINGS } from '../../src/widget/i18n.js';
import { contrast, parseRgb, type Rgb } from '../../src/widget/client/colour.js';
import { widgetCountersOf } from '../../src/app.js';
import { resetData } from '../helpers/reset-data.js';
import {
  ARTIFACTS,
  articleHtml,
  axe,
  blogPage,
  cumulativeLayoutShift,
  pixelDiff,
  gateConfig,
  rendered,
  scriptTag,
  SERVICE,
  shadowLayout,
  shiftsWhileRendering,
  startWidgetEnv,
  text,
  widget,
  type WidgetEnv,
} from '../helpers/browser.js';

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

const page = blogPage;

/** Computed style values of an element in the widget's shadow tree. */
const styleOf = (host: ReturnType<typeof widget>, selector: string, ...props: string[]) =>
  host
    .locator(selector)
    .first()
    .evaluate((e: any, names: string[]) => {
      const s = (globalThis as any).getComputedStyle(e);
      return names.map((n) => s.getPropertyValue(n));
    }, props);

describe('rendering', () => {
  it('renders on the demo page under its strict CSP, with real radio groups', async () => {
    const { page: p, context, errors } = await env.newPage();
    const csp: string[] = [];
    p.on('response', (r) => {
      if (r.url() === `${SERVICE}/demo`) csp.push(r.headers()['content-security-policy'] ?? '');
    });
    await p.goto(`${SERVICE}/demo`);
    const host = widget(p);
    await rendered(host);
    expect(csp[0]).toMatch(/script-src 'self'/);
    expect(csp[0]).not.toMatch(/unsafe-inline/);
    expect(await text(host.getByRole('heading', { level: 2 }))).toBe('A small favour');
    const groups = host.getByRole('group');
    expect(await groups.count()).toBe(2);
    expect(await host.getByRole('group', { name: 'How would you like to give?' }).getByRole('radio').count()).toBe(3);
    expect(await host.getByRole('group', { name: 'Amount' }).getByRole('radio').count()).toBe(3);
    expect(await host.getByRole('radio', { name: '€10' }).isChecked()).toBe(true);
    expect(
      await host.evaluate((el: any) => [el.shadowRoot.mode, el.shadowRoot.adoptedStyleSheets.length, el.shadowRoot.querySelector('style')]),
    ).toEqual(['open', 1, null]);
    await p.screenshot({ path: `${ARTIFACTS}/demo-page.png`, fullPage: true });
    // Helmet's Cross-Origin-Opener-Policy on the page is ignored (and logged) on a plain-http test origin.
    expect(errors.filter((e) => !/Cross-Origin-Opener-Policy header has been ignored/.test(e))).toEqual([]);
    await context.close();
  });

  it('looks exactly the same on a hostile page (global reset, hidden buttons/inputs/divs, strict CSP)', async () => {
    const viewport = { width: 640, height: 900 };
    const shots: Buffer[] = [];
    const { page: differ, context: differContext } = await env.newPage();
    const layouts: string[][] = [];
    for (const css of ['bare', 'hostile'] as const) {
      const { page: p, context, errors } = await env.newPage({ viewport });
      await p.goto(page(`/${css}`, articleHtml({ css, embed: scriptTag({ 'data-theme': 'light' }) })));
      const host = widget(p);
      await rendered(host);
      expect(await host.evaluate((e: any) => (globalThis as any).getComputedStyle(e).display)).toBe('block');
      expect(await host.locator('button[type=submit]').isVisible()).toBe(true);
      expect(await host.getByRole('radio', { name: '€10' }).isChecked()).toBe(true);
      layouts.push(await shadowLayout(host));
      await host.screenshot({ path: `${ARTIFACTS}/${css === 'hostile' ? 'hostile-page' : 'bare-page'}.png` });
      // The card inside its 12 px corner radius: around it the page's own background (black there) shows.
      const box = (await host.locator('.c').boundingBox())!;
      shots.push(await p.screenshot({ clip: { x: box.x + 12, y: box.y + 12, width: box.width - 24, height: box.height - 24 } }));
      expect(errors).toEqual([]);
      await context.close();
    }
    expect(layouts[1]).toEqual(layouts[0]);
    // Same pixels, but for anti-aliasing of an edge or two on a half pixel (~30 of 260,000): a leaked
    // font, colour, size or hidden control would change thousands.
    expect(await pixelDiff(differ, shots[0]!, shots[1]!)).toBeLessThan(100);
    await differContext.close();
  });

  it.each([
    ['<html lang>', { lang: 'it' }, 'lang=it', 'Un piccolo favore', 'it'],
    ['data-lang over <html lang>', { lang: 'en', embed: scriptTag({ 'data-lang': 'sr' }) }, 'lang=sr', 'Мала услуга', 'sr-Cyrl'],
    ['sr-RS is Cyrillic', { lang: 'sr-RS' }, 'lang=sr-RS', 'Мала услуга', 'sr-Cyrl'],
    ['sr-Latn', { lang: 'sr-Latn' }, 'lang=sr-Latn', 'Mala usluga', 'sr-Latn'],
    ['an unknown language: the publication default', { lang: 'fr-CA' }, 'lang=fr-CA', 'A small favour', 'en'],
    ['no language at all: no lang parameter', { lang: null }, '', 'A small favour', 'en'],
  ] as const)('speaks the reader’s language: %s', async (_name, options, query, heading, lang) => {
    const { page: p, context, errors } = await env.newPage();
    const configs: string[] = [];
    p.on('request', (r) => r.url().includes('/api/widget/') && configs.push(r.url()));
    await p.goto(page('/lang', articleHtml(options)));
    const host = widget(p);
    await rendered(host);
    expect(configs).toEqual([`${SERVICE}/api/widget/demo${query ? `?${query}` : ''}`]);
    expect(await text(host.locator('h2'))).toBe(heading);
    expect(await host.locator('.w').getAttribute('lang')).toBe(lang);
    expect(await text(host.locator('button[type=submit]'))).toContain(WIDGET_STRINGS[lang].donate);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('asks for the config once per publication and language, however many placeholders', async () => {
    const { page: p, context, errors } = await env.newPage();
    const configs: string[] = [];
    p.on('request', (r) => r.url().includes('/api/widget/') && configs.push(r.url()));
    const embed = `<div data-favour-publication="demo"></div><div data-favour-publication="demo" data-theme="dark"></div>
      <div data-favour-publication="demo" data-lang="it"></div><div data-favour-publication="italia"></div>${scriptTag()}`;
    await p.goto(page('/many', articleHtml({ embed })));
    const hosts = p.locator('[data-favour-publication]');
    await expect.poll(() => hosts.count()).toBe(5);
    for (let i = 0; i < 5; i++) await rendered(hosts.nth(i));
    expect(configs.sort()).toEqual([
      `${SERVICE}/api/widget/demo?lang=en`,
      `${SERVICE}/api/widget/demo?lang=it`,
      `${SERVICE}/api/widget/italia?lang=en`,
    ]);
    expect(await text(hosts.nth(3).locator('h2'))).toBe('A small favour'); // italia in English, as the page asked
    // The script tag's appeal stands where the tag is: right before it.
    expect(
      await p.evaluate(
        () => (globalThis as any).document.querySelector('script[data-publication]').previousElementSibling.dataset.favourPublication,
      ),
    ).toBe('demo');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('copes with the script twice, fallback content in a placeholder, an <li> placeholder and late placeholders (favour.render)', async () => {
    const { page: p, context, errors } = await env.newPage();
    const configs: string[] = [];
    p.on('request', (r) => r.url().includes('/api/widget/') && configs.push(r.url()));
    const embed = `${scriptTag()}
      <div data-favour-publication="demo"><a href="${SERVICE}/donate/demo">Support us (no JavaScript)</a></div>
      <ul><li data-favour-publication="demo"></li></ul>
      ${scriptTag({ 'data-theme': 'dark' })}`;
    await p.goto(page('/edge', articleHtml({ embed })));
    const hosts = p.locator('[data-favour-publication]');
    await expect.poll(() => hosts.count()).toBe(4);
    for (let i = 0; i < 4; i++) await rendered(hosts.nth(i));
    // The publisher's no-JavaScript link is replaced by the appeal (light DOM children are not shown).
    expect(await p.getByRole('link', { name: 'Support us (no JavaScript)' }).isVisible()).toBe(false);
    // An <li> cannot host a shadow root: the widget renders in a <div> inside it.
    expect(await hosts.nth(2).evaluate((li: any) => [li.tagName, li.shadowRoot, li.firstElementChild?.shadowRoot?.mode])).toEqual([
      'LI',
      null,
      'open',
    ]);
    expect(await hosts.nth(3).locator('.w').getAttribute('class')).toBe('w dark');

    // A single-page app adds a placeholder later and asks the (one) global to render it.
    await p.evaluate(() => {
      const d = (globalThis as any).document;
      const el = d.createElement('div');
      el.dataset.favourPublication = 'demo';
      d.querySelector('main').append(el);
      (globalThis as any).favour.render();
    });
    await expect.poll(() => hosts.count()).toBe(5);
    await rendered(hosts.nth(4));
    expect(configs).toEqual([`${SERVICE}/api/widget/demo?lang=en`]);
    expect(await p.evaluate(() => (globalThis as any).favour.version)).toMatch(/^\d+\.\d+\.\d+/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('follows data-currency, data-interval, data-theme and data-accent (with readable text on the accent)', async () => {
    const { page: p, context } = await env.newPage({ colorScheme: 'light' });
    const embed = scriptTag({ 'data-currency': 'usd', 'data-interval': 'year', 'data-theme': 'dark', 'data-accent': '#ffd200' });
    await p.goto(page('/options', articleHtml({ embed })));
    const host = widget(p);
    await rendered(host);
    expect(await host.locator('input:checked + label').allTextContents()).toEqual(['Yearly', '$50']);
    expect(await text(host.locator('button[type=submit]'))).toBe('Donate $50/year');
    const [cardBg] = await styleOf(host, '.c', 'background-color');
    expect(cardBg).toBe('rgb(29, 29, 32)'); // dark, although the reader's system is light
    const [bg, fg, border] = await styleOf(host, 'button[type=submit]', 'background-color', 'color', 'border-top-color');
    expect(bg).toBe('rgb(255, 210, 0)');
    expect(fg).toBe('rgb(0, 0, 0)'); // black on yellow
    expect(contrast(parseRgb(fg!)!, parseRgb(bg!)!)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(parseRgb(border!)!, parseRgb(cardBg!)!)).toBeGreaterThanOrEqual(3);
    await host.screenshot({ path: `${ARTIFACTS}/options-usd-dark-yellow.png` });
    await context.close();
  });

  it('text and controls keep WCAG AA contrast in light and dark, with the publication accent', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page: p, context } = await env.newPage({ colorScheme });
      await p.goto(page('/contrast', articleHtml()));
      const host = widget(p);
      await rendered(host);
      const [cardBg] = await styleOf(host, '.c', 'background-color');
      const bg = parseRgb(cardBg!)!;
      const ratio = async (selector: string, prop = 'color', against: Rgb = bg) =>
        contrast(parseRgb((await styleOf(host, selector, prop))[0]!)!, against);
      expect(await ratio('h2')).toBeGreaterThanOrEqual(4.5);
      expect(await ratio('p')).toBeGreaterThanOrEqual(4.5);
      expect(await ratio('legend')).toBeGreaterThanOrEqual(4.5);
      expect(await ratio('p.m')).toBeGreaterThanOrEqual(4.5);
      expect(await ratio('.o label', 'border-top-color')).toBeGreaterThanOrEqual(3); // unselected pill outline
      expect(await ratio('.c', 'border-top-color')).toBeGreaterThanOrEqual(3); // accent bar
      const [btnBg, btnFg] = await styleOf(host, 'button[type=submit]', 'background-color', 'color');
      expect(contrast(parseRgb(btnFg!)!, parseRgb(btnBg!)!)).toBeGreaterThanOrEqual(4.5);
      const [selBg, selFg] = await styleOf(host, 'input:checked + label', 'background-color', 'color');
      expect(contrast(parseRgb(selFg!)!, parseRgb(selBg!)!)).toBeGreaterThanOrEqual(4.5);
      await context.close();
    }
  });
});

describe('screenshots for people (test-artifacts/widget)', () => {
  it.each([
    ['light', { colorScheme: 'light' }, {}],
    ['dark', { colorScheme: 'dark' }, {}],
    ['italian', { colorScheme: 'light' }, { lang: 'it' }],
    ['serbian-cyrillic', { colorScheme: 'light' }, { lang: 'sr' }],
    ['mobile-360', { colorScheme: 'light', viewport: { width: 360, height: 800 } }, {}],
  ] as const)('%s', async (name, contextOptions, articleOptions) => {
    const { page: p, context, errors } = await env.newPage(contextOptions);
    await p.goto(page(`/shot-${name}`, articleHtml(articleOptions)));
    const host = widget(p);
    await rendered(host);
    await host.screenshot({ path: `${ARTIFACTS}/${name}.png` });
    await p.screenshot({ path: `${ARTIFACTS}/${name}-page.png` });
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('accessibility', () => {
  it.each(['light', 'dark'] as const)('axe-core finds no serious or critical violations (%s)', async (colorScheme) => {
    // axe is injected as an inline script, which the publisher's CSP would block: bypass it for the scan.
    const { page: p, context } = await env.newPage({ colorScheme, bypassCSP: true });
    await p.goto(page('/axe', articleHtml()));
    const host = widget(p);
    await rendered(host);
    const results = [await axe(p)];
    // And with an error and an invalid other amount showing.
    await p.route(`${SERVICE}/api/checkout`, (route) => route.abort('failed'));
    await host.locator('button[type=submit]').click();
    await expect.poll(() => host.locator('p.m.err').count()).toBe(1);
    await host.getByRole('textbox').fill('0,1');
    await host.getByRole('textbox').press('Tab');
    await expect.poll(() => text(host.locator('#e'))).toBe('The minimum is €1.');
    results.push(await axe(p));
    for (const { violations, shadowPasses } of results) {
      expect(shadowPasses).toBeGreaterThan(20); // axe did look inside the widget's shadow root
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      expect(violations.filter((v) => v.nodes.some((n) => n.inShadow))).toEqual([]); // nothing at all in the widget
      if (violations.length)
        console.info(`axe (${colorScheme}), outside the widget:`, violations.map((v) => `${v.id} (${v.impact})`).join(', '));
    }
    await context.close();
  });

  it('shows a visible focus ring on keyboard focus', async () => {
    const { page: p, context } = await env.newPage();
    await p.goto(page('/focus', articleHtml()));
    const host = widget(p);
    await rendered(host);
    await p.keyboard.press('Tab');
    const [style, width] = await styleOf(host, 'input:focus-visible + label', 'outline-style', 'outline-width');
    expect([style, width]).toEqual(['solid', '3px']);
    await context.close();
  });

  it('has no transitions for readers who prefer reduced motion', async () => {
    for (const [reducedMotion, expected] of [
      ['no-preference', '0.15s'],
      ['reduce', '0s'],
    ] as const) {
      const { page: p, context } = await env.newPage({ reducedMotion });
      await p.goto(page('/motion', articleHtml()));
      const host = widget(p);
      await rendered(host);
      expect((await styleOf(host, '.o label', 'transition-duration'))[0]).toBe(expected);
      await context.close();
    }
  });
});

describe('layout stability', () => {
  it.each([
    ['first visit, 640 px', { viewport: { width: 680, height: 1000 } }, {}],
    ['first visit, 360 px', { viewport: { width: 360, height: 800 } }, {}],
    ['first visit, Italian, 420 px', { viewport: { width: 460, height: 900 } }, { lang: 'it' }],
  ] as const)('the appeal arrives without moving anything: %s', async (_name, contextOptions, articleOptions) => {
    const { page: p, context, errors } = await env.newPage(contextOptions);
    const gate = await gateConfig(p);
    await p.goto(page('/cls', articleHtml(articleOptions)));
    await widget(p).locator('.c[aria-busy=true]').waitFor(); // the placeholder box stands
    expect(await shiftsWhileRendering(p, gate.release)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a returning reader’s placeholder has exactly the appeal’s height', async () => {
    const { page: p, context } = await env.newPage({ viewport: { width: 400, height: 800 } });
    await p.goto(page('/cls-again', articleHtml()));
    await rendered(widget(p));
    const first = (await widget(p).boundingBox())!.height;
    const gate = await gateConfig(p);
    await p.reload();
    const placeholder = (await widget(p).locator('.c[aria-busy=true]').boundingBox())!.height;
    expect(await shiftsWhileRendering(p, gate.release)).toBe(0);
    const natural = (await widget(p).locator('.c').boundingBox())!.height;
    expect(placeholder).toBeCloseTo(natural, 0);
    expect(first).toBeGreaterThanOrEqual(natural);
    await context.close();
  });

  it('whole-page CLS is 0 when the publisher reserves the slot', async () => {
    const { page: p, context } = await env.newPage();
    await p.goto(
      page(
        '/cls-reserved',
        articleHtml({ css: 'reserved', embed: `<div data-favour-publication="demo"></div>${scriptTag({ 'data-publication': '' })}` }),
      ),
    );
    await rendered(widget(p));
    expect(await cumulativeLayoutShift(p)).toBe(0);
    expect((await widget(p).boundingBox())!.height).toBe(460); // the reserved slot, kept
    await context.close();
  });
});

describe('fallback', () => {
  it('links to the hosted donate page when the config cannot be loaded', async () => {
    const { page: p, context, errors } = await env.newPage();
    await p.route(/\/api\/widget\//, (route) => route.abort('failed'));
    await p.goto(page('/fallback', articleHtml()));
    const host = widget(p);
    await rendered(host);
    const link = host.getByRole('link');
    expect(await text(link)).toBe('Support us');
    expect(await link.getAttribute('href')).toBe(`${SERVICE}/donate/demo`);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);

    // After one good visit it remembers the publication's own link and label.
    await p.unroute(/\/api\/widget\//);
    await p.reload();
    await rendered(widget(p));
    await p.route(/\/api\/widget\//, (route) => route.abort('failed'));
    await p.reload();
    await rendered(widget(p));
    expect(await text(widget(p).getByRole('link'))).toBe('Support The Demo Daily');
    expect(await widget(p).getByRole('link').getAttribute('href')).toBe(`${SERVICE}/donate/demo?lang=en`);
    await context.close();
  });

  it('renders nothing for an unknown publication', async () => {
    const { page: p, context } = await env.newPage();
    await p.goto(page('/unknown', articleHtml({ embed: scriptTag({ 'data-publication': 'no-such-paper' }) })));
    const host = widget(p);
    await expect.poll(() => host.evaluate((e: any) => e.style.display)).toBe('none');
    await context.close();
  });
});
