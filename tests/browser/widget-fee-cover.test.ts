// "Cover the fees" in Chromium (issue 12, point 3): a checkbox under the amounts that says what it adds for the amount
// chosen ("/month" for a membership), off unless the publication ticks it by default, operable by keyboard, axe-clean;
// ticked, the checkout gets `cover_fees` and Stripe a second line; without JavaScript the donate page has the same box.
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  articleHtml,
  axe,
  blogPage,
  focused,
  gateConfig,
  interceptSessionCreate,
  SERVICE,
  shiftsWhileRendering,
  text,
  widget,
  openArticle as openArticleIn,
  widgetEnvForFile,
} from '../helpers/browser.js';

const widgetEnv = widgetEnvForFile();

/** Sets the demo publication's fee cover (null: off) and waits until the service answers with it. */
async function setFeeCover(feeCover: { percent: number; fixed: Record<string, number>; default: boolean } | null) {
  await widgetEnv().t.changePublication('demo', { fee_cover: feeCover });
  await expect
    .poll(async () => (await request(widgetEnv().t.app).get('/api/widget/demo?lang=en')).body.fee_cover, { timeout: 5000 })
    .toEqual(feeCover);
}
beforeEach(() => setFeeCover({ percent: 1.5, fixed: { eur: 25 }, default: false }));

const openArticle = (path: string, options = {}) => openArticleIn(widgetEnv(), path, options);

describe('cover the fees', () => {
  it('says what it adds for the amount chosen; ticked, Stripe gets the fee as a second line', async () => {
    const { seen } = interceptSessionCreate('cs_test_fee_cover');
    const { page, context, host, errors, checkouts } = await openArticle('/fee-cover');
    const box = host.getByRole('checkbox');
    // €10 is chosen at first: (1000 + 25) / 0.985 → €10.41 in all.
    expect(await box.isChecked()).toBe(false);
    expect(await text(host.locator('label.f'))).toBe('Add €0.41 so all of my gift reaches the newsroom');
    await host.getByText('€25', { exact: true }).click();
    expect(await text(host.locator('label.f'))).toBe('Add €0.64 so all of my gift reaches the newsroom');
    await host.getByText('Monthly', { exact: true }).click();
    expect(await text(host.locator('label.f'))).toBe('Add €0.33/month so all of my gift reaches the newsroom');
    // An amount that cannot be given hides the box; a valid one brings it back.
    await host.getByLabel('Other amount').fill('abc');
    expect(await box.isVisible()).toBe(false);
    await host.getByLabel('Other amount').fill('20');
    expect(await text(host.locator('label.f'))).toBe('Add €0.56/month so all of my gift reaches the newsroom');
    // By keyboard: Space ticks it.
    await box.focus();
    await page.keyboard.press('Space');
    expect(await box.isChecked()).toBe(true);
    expect(await focused(box)).toBe(true);
    await host.getByRole('button', { name: 'Donate €20/month' }).click();
    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_fee_cover');
    expect(checkouts).toEqual([expect.objectContaining({ amount: 2000, interval: 'month', cover_fees: true })]);
    expect(seen.body).toMatchObject({
      'line_items[0][price_data][unit_amount]': '2000',
      'line_items[1][price_data][unit_amount]': '56',
      'line_items[1][price_data][recurring][interval]': 'month',
      'subscription_data[metadata][fee_cover]': '56',
    });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('unticked, gives just the gift; ticked by default where the publication says so', async () => {
    interceptSessionCreate('cs_test_fee_plain');
    const plain = await openArticle('/fee-cover-plain');
    await plain.host.getByRole('button', { name: 'Donate €10' }).click();
    await plain.page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_fee_plain');
    expect(plain.checkouts).toEqual([expect.objectContaining({ amount: 1000 })]);
    expect(plain.checkouts[0]).not.toHaveProperty('cover_fees');
    await plain.context.close();

    await setFeeCover({ percent: 2.9, fixed: { eur: 30 }, default: true });
    const ticked = await openArticle('/fee-cover-default');
    expect(await ticked.host.getByRole('checkbox').isChecked()).toBe(true);
    expect(await text(ticked.host.locator('label.f'))).toBe('Add €0.61 so all of my gift reaches the newsroom');
    await ticked.context.close();
  });

  it('is absent when the publication does not offer it, and axe-clean where it does (light and dark)', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, context } = await openArticle(`/fee-cover-axe-${colorScheme}`, { colorScheme, bypassCSP: true });
      const { violations } = await axe(page);
      expect(violations.filter((v) => v.nodes.some((n) => n.inShadow))).toEqual([]);
      await context.close();
    }
    await setFeeCover(null);
    const off = await openArticle('/fee-cover-off');
    expect(await off.host.getByRole('checkbox').count()).toBe(0);
    await off.context.close();
  });

  it.each([
    ['360 px', { width: 360, height: 800 }],
    ['640 px', { width: 680, height: 1000 }],
  ] as const)('appears without moving anything, with a goal meter too, first visit and after (%s)', async (_name, viewport) => {
    for (const goal of [null, { kind: 'supporters' as const, target: 100, period: 'month' as const, copy: {} }]) {
      await widgetEnv().t.changePublication('demo', { goal });
      await expect
        .poll(async () => (await request(widgetEnv().t.app).get('/api/widget/demo?lang=en')).body.goal?.target ?? null)
        .toBe(goal?.target ?? null);
      const { page, context, errors } = await widgetEnv().newPage({ viewport });
      for (const path of ['/fee-cover-cls', '/fee-cover-cls-again']) {
        const gate = await gateConfig(page);
        await page.goto(blogPage(path, articleHtml()));
        await widget(page).locator('.c[aria-busy=true]').waitFor();
        expect({ goal: !!goal, path, shift: await shiftsWhileRendering(page, gate.release) }).toEqual({ goal: !!goal, path, shift: 0 });
        await page.unroute(/\/api\/widget\//);
      }
      expect(errors).toEqual([]);
      await context.close();
    }
    await widgetEnv().t.changePublication('demo', { goal: null });
  });

  it('works without JavaScript on the hosted donate page', async () => {
    const { seen } = interceptSessionCreate('cs_test_fee_nojs');
    const { page, context } = await widgetEnv().newPage({ javaScriptEnabled: false });
    await page.goto(`${SERVICE}/donate/demo?lang=en`);
    const box = page.getByRole('checkbox', { name: 'Cover the card fees (about 1.5% + €0.25) so all of my gift reaches the newsroom' });
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.getByRole('button', { name: 'Donate' }).click();
    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_fee_nojs');
    expect(seen.body).toMatchObject({
      'line_items[0][price_data][unit_amount]': '500',
      'line_items[1][price_data][unit_amount]': '33',
      'metadata[fee_cover]': '33',
    });
    await context.close();
  });
});
