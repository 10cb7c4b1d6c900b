// The widget in Chromium against the running app: donating by keyboard, the other-amount field and
// every error state. Stripe is nock at http://stripe.test inside this process (the server's process).
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WIDGET_STRINGS } from '../../src/widget/i18n.js';
import { widgetCountersOf } from '../../src/app.js';
import { resetData } from '../helpers/reset-data.js';
import { STRIPE_TEST_HOST } from '../helpers/test-app.js';
import {
  activeElement,
  ARTIFACTS,
  articleHtml,
  BLOG,
  blogPages,
  counters,
  interceptSessionCreate,
  NO_STRIPE,
  rendered,
  scriptTag,
  SERVICE,
  startWidgetEnv,
  focused,
  text,
  widget,
  type WidgetEnv,
} from '../helpers/browser.js';

const en = WIDGET_STRINGS.en;
let env: WidgetEnv;
beforeAll(async () => {
  env = await startWidgetEnv();
});
afterAll(async () => {
  await env?.close();
});
afterEach(async () => {
  nock.cleanAll();
  // Beacons counted in memory belong to the test that sent them: write them before emptying the tables.
  await widgetCountersOf(env.t.app).flush();
  await resetData(env.t.database.db);
});

/** Opens an article of the publisher's site with the widget and waits for the appeal. */
async function openArticle(path: string, html = articleHtml(), options = {}) {
  blogPages.set(path.split('?')[0]!, html);
  const opened = await env.newPage(options);
  const checkoutBodies: Record<string, unknown>[] = [];
  opened.page.on('request', (r) => {
    if (r.url().endsWith('/api/checkout') && r.method() === 'POST') checkoutBodies.push(r.postDataJSON());
  });
  await opened.page.goto(BLOG + path);
  const host = widget(opened.page);
  await rendered(host);
  return { ...opened, host, checkoutBodies };
}

describe('donating', () => {
  it('works with the keyboard alone and sends the checkout the right body', async () => {
    const { seen, scope } = interceptSessionCreate('cs_test_keyboard');
    const { page, context, host, errors, checkoutBodies } = await openArticle('/2026/library-budget?utm_source=x#comments');

    await page.keyboard.press('Tab');
    expect(await activeElement(page)).toMatchObject({ tag: 'input', type: 'radio', name: 'i', value: 'once' });
    await page.keyboard.press('ArrowRight'); // Monthly: the presets change to the monthly ones
    expect(await activeElement(page)).toMatchObject({ type: 'radio', value: 'month' });
    await page.keyboard.press('Tab');
    expect(await activeElement(page)).toMatchObject({ type: 'radio', name: 'p', value: '500' }); // the preselected middle preset
    await page.keyboard.press('ArrowRight');
    expect(await activeElement(page)).toMatchObject({ type: 'radio', name: 'p', value: '1000' });
    await page.keyboard.press('Tab');
    expect(await activeElement(page)).toMatchObject({ tag: 'input', type: 'text' }); // other amount
    await page.keyboard.press('Tab');
    expect(await activeElement(page)).toMatchObject({ tag: 'button', text: 'Donate €10/month' });
    await page.keyboard.press('Enter');

    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_keyboard');
    expect(scope.isDone()).toBe(true);
    const article = `${BLOG}/2026/library-budget?utm_source=x`;
    expect(checkoutBodies).toEqual([
      { publication: 'demo', amount: 1000, currency: 'eur', interval: 'month', article_url: article, locale: 'en' },
    ]);
    // What Stripe received from the server.
    expect(seen.body).toMatchObject({
      mode: 'subscription',
      'line_items[0][price_data][unit_amount]': '1000',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][recurring][interval]': 'month',
      'metadata[publication]': 'demo',
      'metadata[interval]': 'month',
      'metadata[variant]': '',
      cancel_url: `${BLOG}/2026/library-budget?favour=cancelled`,
    });
    expect(seen.body!['metadata[article_url]']).toBe(`${BLOG}/2026/library-budget`); // the server drops utm_*
    expect(seen.idempotencyKey).toMatch(/^favour-checkout-demo-\d+-\d+-\d+-\d+$/);
    const [session] = await env.t.database.db.selectFrom('checkout_sessions').selectAll().execute();
    expect(session).toMatchObject({ id: 'cs_test_keyboard', amount: 1000, currency: 'eur', interval: 'month', variant: null });
    // The Donate press was counted as a click (and the appeal, fully visible, as an impression).
    await expect
      .poll(() => counters(env.t))
      .toEqual([{ publication: 'demo', article_url: `${BLOG}/2026/library-budget`, variant: '', impressions: 1, clicks: 1 }]);
    expect(errors).toEqual([]);
    expect(await host.count()).toBe(0); // we left the page for Stripe
    await context.close();
  });

  it('takes a typed other amount in the reader’s notation, validates it inline, and sends minor units', async () => {
    interceptSessionCreate('cs_test_other');
    const { page, context, host, errors, checkoutBodies } = await openArticle('/other-amount');
    const input = host.getByRole('textbox', { name: 'Other amount' });
    const error = host.locator('#e');
    const button = host.locator('button[type=submit]');
    expect(await input.getAttribute('aria-describedby')).toBe('e');
    expect(await error.getAttribute('aria-live')).toBe('polite');

    const typeAndLeave = async (text: string) => {
      await input.fill(text);
      await input.press('Tab'); // leaving the field shows its message
    };
    await typeAndLeave('0,5');
    await expect.poll(() => text(error)).toBe('The minimum is €1.');
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    expect(await host.locator('input:checked + label').allTextContents()).toEqual(['Once']); // typing unchecks the presets
    await typeAndLeave('20000');
    await expect.poll(() => text(error)).toBe('The maximum is €10,000.');
    await typeAndLeave('ten');
    await expect.poll(() => text(error)).toBe(en.amount_invalid);
    await button.click(); // an invalid amount never reaches the server
    await expect.poll(() => focused(input)).toBe(true);
    expect(checkoutBodies).toEqual([]);

    await input.fill('12,50');
    await expect.poll(() => text(error)).toBe(''); // fixed as you type, once shown
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('false');
    await expect.poll(() => text(button)).toBe('Donate €12.50');
    await input.fill('1.000');
    await expect.poll(() => text(button)).toBe('Donate €1,000');
    await input.fill('7.25');
    await input.press('Enter');
    await page.waitForURL(/checkout\.stripe\.com/);
    expect(checkoutBodies).toMatchObject([{ amount: 725, currency: 'eur', interval: 'once' }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('clears a typed amount when a preset is chosen, and back', async () => {
    const { context, host } = await openArticle('/presets');
    const input = host.getByRole('textbox', { name: 'Other amount' });
    await input.fill('42');
    await expect.poll(() => text(host.locator('button[type=submit]'))).toBe('Donate €42');
    await host.getByText('€25', { exact: true }).click();
    expect(await input.inputValue()).toBe('');
    expect(await host.getByRole('radio', { name: '€25' }).isChecked()).toBe(true);
    await expect.poll(() => text(host.locator('button[type=submit]'))).toBe('Donate €25');
    await host.getByText('Yearly').click();
    await expect.poll(() => host.locator('input:checked + label').allTextContents()).toEqual(['Yearly', '€50']);
    await expect.poll(() => text(host.locator('button[type=submit]'))).toBe('Donate €50/year');
    await context.close();
  });
});

describe('error states are shown inline, localised, and the reader can try again', () => {
  // Chromium logs every non-2xx fetch as "Failed to load resource"; nothing else may be logged.
  const unexpected = (errors: string[]) => errors.filter((e) => !/Failed to load resource/.test(e));

  async function donateAndReadStatus(path: string, html?: string) {
    const opened = await openArticle(path, html);
    await opened.host.locator('button[type=submit]').click();
    const status = opened.host.locator('p.m');
    await expect.poll(() => status.getAttribute('class')).toBe('m err');
    return { ...opened, status };
  }

  it('503 payments_not_configured (a service without STRIPE_SECRET_KEY)', async () => {
    const { context, host, status, errors, checkoutBodies } = await donateAndReadStatus(
      '/no-stripe',
      articleHtml({ embed: scriptTag({}, NO_STRIPE) }),
    );
    await expect.poll(() => text(status)).toBe(en.not_configured);
    expect(await status.getAttribute('aria-live')).toBe('polite');
    expect(checkoutBodies).toHaveLength(1);
    await host.screenshot({ path: `${ARTIFACTS}/error-not-configured.png` });
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it('429 rate_limited', async () => {
    const opened = await openArticle('/rate-limited');
    await opened.page.route(`${SERVICE}/api/checkout`, (route) =>
      route.request().method() === 'OPTIONS'
        ? route.continue()
        : route.fulfill({
            status: 429,
            headers: { 'retry-after': '30', 'access-control-allow-origin': BLOG, 'access-control-expose-headers': 'Retry-After' },
            json: { error: { code: 'rate_limited', message: 'Too many requests; try again in 30 s.' } },
          }),
    );
    await opened.host.locator('button[type=submit]').click();
    await expect.poll(() => text(opened.host.locator('p.m.err'))).toBe(en.rate_limited);
    expect(unexpected(opened.errors)).toEqual([]);
    await opened.context.close();
  });

  it('network error (request aborted), then a retry that succeeds', async () => {
    const opened = await openArticle('/offline', articleHtml({ embed: scriptTag({ 'data-lang': 'it' }) }));
    await opened.page.route(`${SERVICE}/api/checkout`, (route) => route.abort('internetdisconnected'));
    const button = opened.host.locator('button[type=submit]');
    await button.click();
    const status = opened.host.locator('p.m');
    await expect.poll(() => text(status)).toBe(WIDGET_STRINGS.it.network_error);
    await expect.poll(() => status.getAttribute('class')).toBe('m err');
    await expect.poll(() => button.getAttribute('aria-busy')).toBeNull();
    await opened.host.screenshot({ path: `${ARTIFACTS}/error-network-it.png` });

    await opened.page.unroute(`${SERVICE}/api/checkout`);
    interceptSessionCreate('cs_test_retry');
    await button.click();
    await opened.page.waitForURL(/cs_test_retry/);
    expect(opened.checkoutBodies).toHaveLength(2);
    expect(unexpected(opened.errors)).toEqual([]);
    await opened.context.close();
  });

  it('502 from a Stripe failure shows the generic error', async () => {
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions')
      .reply(400, { error: { type: 'invalid_request_error', message: 'bad param' } });
    const { context, status, errors } = await donateAndReadStatus('/stripe-error');
    await expect.poll(() => text(status)).toBe(en.generic_error);
    expect(unexpected(errors)).toEqual([]);
    await context.close();
  });

  it('shows the loading state while the checkout is being created', async () => {
    const opened = await openArticle('/loading');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await opened.page.route(`${SERVICE}/api/checkout`, async (route) => {
      await held;
      await route.abort('failed');
    });
    const button = opened.host.locator('button[type=submit]');
    await button.click();
    await expect.poll(() => text(opened.host.locator('p.m'))).toBe(en.loading);
    await expect.poll(() => button.getAttribute('aria-busy')).toBe('true');
    await button.click(); // a second press while busy does nothing
    release();
    await expect.poll(() => text(opened.host.locator('p.m'))).toBe(en.network_error);
    await opened.context.close();
  });
});
