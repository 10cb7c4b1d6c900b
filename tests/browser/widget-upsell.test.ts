// "Make it monthly" in Chromium (issue 12, point 2): after a one-off Donate the widget offers, once and in place, the
// monthly preset nearest a third of the gift, with two answers alike; either answer goes on to Stripe in one press,
// the offer is never made twice in a row, and what was shown and taken is counted.
import { describe, expect, it } from 'vitest';
import { widgetCountersOf } from '../../src/app.js';
import {
  axe,
  blogPage,
  focused,
  interceptSessionCreate,
  openArticle as openArticleIn,
  rendered,
  text,
  widget,
  widgetEnvForFile,
} from '../helpers/browser.js';

const widgetEnv = widgetEnvForFile({ upsell: true });

async function prompts() {
  await widgetCountersOf(widgetEnv().t.app).flush();
  return widgetEnv().t.database.db.selectFrom('widget_prompt_counters').select(['upsell_shown', 'upsell_accepted']).execute();
}

const openArticle = (path: string, options = {}) => openArticleIn(widgetEnv(), path, options);

describe('make it monthly', () => {
  it('offers a third of a one-off gift monthly, in place; "Yes" goes to Stripe monthly, marked as the offer', async () => {
    const { seen } = interceptSessionCreate('cs_test_upsell_yes');
    const { page, context, host, errors, checkouts } = await openArticle('/upsell-yes');
    await host.getByText('€25', { exact: true }).click(); // one-off €25 → €10 a month is the nearest monthly preset to €8.33
    await host.getByRole('button', { name: 'Donate €25' }).click();
    const group = host.getByRole('group', { name: 'Would you make it monthly?' });
    await group.waitFor();
    expect(await focused(host.locator('#uh'))).toBe(true);
    const yes = group.getByRole('button', { name: 'Yes, €10 monthly' });
    const no = group.getByRole('button', { name: 'No, give €25 once' });
    // Two answers of equal weight: the same size and look.
    const [yesBox, noBox] = [await yes.boundingBox(), await no.boundingBox()];
    expect(Math.abs(yesBox!.height - noBox!.height)).toBeLessThan(1);
    const look = (b: typeof yes) =>
      b.evaluate((e: any) => ['background-color', 'color', 'font-weight'].map((p) => (globalThis as any).getComputedStyle(e)[p]));
    expect(await look(yes)).toEqual(await look(no));
    expect(checkouts).toEqual([]); // nothing sent before the reader answers
    await yes.click();
    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_upsell_yes');
    expect(checkouts).toEqual([expect.objectContaining({ amount: 1000, interval: 'month', upsell: 'accepted' })]);
    expect(seen.body).toMatchObject({
      mode: 'subscription',
      'line_items[0][price_data][unit_amount]': '1000',
      'metadata[upsell]': 'accepted',
    });
    await expect.poll(prompts).toEqual([{ upsell_shown: 1, upsell_accepted: 1 }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('"No" gives once as chosen, in one press; the next Donate is not asked again', async () => {
    interceptSessionCreate('cs_test_upsell_no');
    const { page, context, host, checkouts } = await openArticle('/upsell-no');
    await host.getByRole('button', { name: 'Donate €10' }).click();
    await host.getByRole('button', { name: 'No, give €10 once' }).click();
    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_upsell_no');
    expect(checkouts).toEqual([expect.not.objectContaining({ upsell: expect.anything() })]);
    expect(checkouts[0]).toMatchObject({ amount: 1000, interval: 'once' });

    // Back on the article (the same browser): Donate goes straight to Stripe this time.
    interceptSessionCreate('cs_test_upsell_again');
    await page.goto(blogPage('/upsell-no-again'));
    await rendered(widget(page));
    await widget(page).getByRole('button', { name: 'Donate €10' }).click();
    await page.waitForURL('https://checkout.stripe.com/c/pay/cs_test_upsell_again');
    expect(checkouts.map((c) => c.interval)).toEqual(['once', 'once']);
    await expect.poll(prompts).toEqual([{ upsell_shown: 1, upsell_accepted: 0 }]);
    await context.close();
  });

  it('is not offered for a monthly gift, and the offer is axe-clean', async () => {
    const { page, context, host } = await openArticle('/upsell-axe', { bypassCSP: true });
    await page.route('**/api/checkout', (route) => route.abort('failed')); // stay on the page
    await host.getByRole('button', { name: 'Donate €10' }).click();
    await host.getByRole('group', { name: 'Would you make it monthly?' }).waitFor();
    const { violations } = await axe(page);
    expect(violations.filter((v) => v.nodes.some((n) => n.inShadow))).toEqual([]);
    await context.close();

    const monthly = await openArticle('/upsell-monthly');
    await monthly.page.route('**/api/checkout', (route) => route.abort('failed'));
    await monthly.host.getByText('Monthly', { exact: true }).click();
    await monthly.host.getByRole('button', { name: 'Donate €5/month' }).click();
    await expect.poll(() => text(monthly.host.locator('p.m'))).not.toBe('Opening secure checkout…');
    expect(await monthly.host.getByRole('group', { name: 'Would you make it monthly?' }).count()).toBe(0);
    expect(monthly.checkouts).toEqual([expect.objectContaining({ interval: 'month', amount: 500 })]);
    await monthly.context.close();
  });
});
