// "Remind me later" in Chromium (issue 13, points 5 and 7): a text button beside Donate opens an e-mail field under the
// appeal; a bad address is refused in place, a good one goes to POST /api/reminders with the article and the wait, and the
// reader is told to confirm from the inbox. Operable by keyboard, axe-clean, and a refusal says why.
import { describe, expect, it } from 'vitest';
import { axe, focused, openArticle as openArticleIn, text, widgetEnvForFile } from '../helpers/browser.js';

const widgetEnv = widgetEnvForFile();
const openArticle = (path: string, options = {}) => openArticleIn(widgetEnv(), path, options);

describe('remind me later', () => {
  it('asks for an address beside Donate and signs the reader up for a reminder about this article', async () => {
    const { page, context, host, errors } = await openArticle('/remind-me?utm_source=x');
    const sent: Record<string, unknown>[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/reminders') && r.method() === 'POST') sent.push(r.postDataJSON());
    });
    const offer = host.getByRole('button', { name: 'Not now? Remind me in a month' });
    // Beside the Donate button where the row has room: no height of its own.
    const [donateBox, offerBox] = [await host.locator('button[type=submit]').boundingBox(), await offer.boundingBox()];
    expect(Math.abs(donateBox!.y + donateBox!.height / 2 - (offerBox!.y + offerBox!.height / 2))).toBeLessThan(2);

    await offer.click();
    const field = host.getByLabel('Your e-mail address');
    expect(await focused(field)).toBe(true);
    await host.getByRole('button', { name: 'Remind me' }).click();
    expect(await text(host.locator('.rm .m'))).toBe('Please enter your e-mail address.');
    expect(await focused(field)).toBe(true);
    expect(sent).toEqual([]);

    await field.fill('reader@example.com');
    await page.keyboard.press('Enter');
    await expect.poll(() => text(host.getByRole('status'))).toContain('Check your inbox');
    expect(sent).toEqual([
      {
        publication: 'demo',
        email: 'reader@example.com',
        article_url: expect.stringMatching(/\/remind-me\?utm_source=x$/),
        after_days: 30,
        locale: 'en',
      },
    ]);
    const rows = await widgetEnv().t.database.db.selectFrom('reminders').select(['email', 'article_url', 'after_days']).execute();
    // Stored as the article's canonical address, as checkouts are.
    expect(rows).toEqual([{ email: 'reader@example.com', article_url: expect.stringMatching(/\/remind-me$/), after_days: 30 }]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens by keyboard, is axe-clean open, and says why when the service refuses', async () => {
    const { page, context, host } = await openArticle('/remind-me-keys', { bypassCSP: true });
    await page.route(/\/api\/reminders$/, (route) =>
      route.fulfill({ status: 429, contentType: 'application/json', body: '{"error":{"code":"rate_limited","message":"slow down"}}' }),
    );
    const offer = host.getByRole('button', { name: 'Not now? Remind me in a month' });
    await offer.focus();
    await page.keyboard.press('Enter');
    const field = host.getByLabel('Your e-mail address');
    expect(await focused(field)).toBe(true);
    const { violations } = await axe(page);
    expect(violations.filter((v) => v.nodes.some((n) => n.inShadow))).toEqual([]);
    await field.fill('reader@example.com');
    await page.keyboard.press('Enter');
    await expect.poll(() => text(host.locator('.rm .m'))).toBe('Too many attempts. Please wait a minute and try again.');
    await context.close();
  });
});
