// Right on a phone, in every language (issue 12, point 5): at 320–430 px, in en/it/sr-Latn/sr-Cyrl, light and
// dark, no control of the widget wraps inside itself or sticks out of the card, with the goal meter, the fee-cover
// checkbox and the "make it monthly" offer; axe is clean at 360 px in every language and both schemes. Screenshots at
// 360 px go to test-artifacts/widget/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, articleHtml, axe, blogPage, rendered, SERVICE, type WidgetEnv, startWidgetEnv, widget } from '../helpers/browser.js';

const LANGS = ['en', 'it', 'sr-Latn', 'sr-Cyrl'] as const;
let env: WidgetEnv;
beforeAll(async () => {
  env = await startWidgetEnv({ upsell: true });
  // The longest appeal: a goal meter and the fee-cover checkbox too.
  await env.t.changePublication('demo', {
    goal: { kind: 'amount', currency: 'eur', target: 500_000, period: 'month', copy: {} },
    fee_cover: { percent: 1.5, fixed: { eur: 25 }, default: false },
  });
});
afterAll(async () => {
  if (!env) return;
  await env.t.changePublication('demo', { goal: null, fee_cover: null });
  await env.close();
});

/** What wraps inside itself (a text in two lines) or sticks out of the card, described for the failure message. */
function layoutProblems(host: ReturnType<typeof widget>): Promise<string[]> {
  return host.evaluate((h: any) => {
    const root = h.shadowRoot;
    const card = root.querySelector('.c').getBoundingClientRect();
    const problems: string[] = [];
    const name = (el: any) => `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`;
    for (const el of root.querySelectorAll('label, button, legend, .g p, h2, h3, .f input')) {
      const box = el.getBoundingClientRect();
      if (box.left < card.left - 0.5 || box.right > card.right + 0.5) problems.push(`${name(el)} sticks out of the card`);
      // Headings, the meter's texts, the fee-cover sentence and the reminder's text link may wrap as text does.
      if (el.tagName === 'H2' || el.matches('.g p, .f, .lk')) continue;
      const walker = (globalThis as any).document.createTreeWalker(el, 4 /* text */);
      const tops: number[] = [];
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        const range = (globalThis as any).document.createRange();
        range.selectNodeContents(text);
        for (const rect of range.getClientRects()) if (rect.width > 0) tops.push(rect.top);
      }
      const lines = tops.sort((a, b) => a - b).filter((top, i) => i === 0 || top - tops[i - 1]! > 8).length;
      if (lines > 1) problems.push(`${name(el)} wraps onto ${lines} lines`);
    }
    // The interval switch is one pill: its options share one row (or, split, each is its own pill).
    const intervals = root.querySelector('.s:not(.split)');
    if (intervals) {
      const tops = [...intervals.querySelectorAll('label')].map((label: any) => label.offsetTop);
      if (Math.max(...tops) - Math.min(...tops) > 4) problems.push('the interval switch wraps inside its pill');
    }
    return problems;
  });
}

describe('on a phone', () => {
  it.each([320, 360, 430])('nothing wraps inside itself or overflows at %i px, in every language, light and dark', async (width) => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, context, errors } = await env.newPage({ viewport: { width, height: 900 }, colorScheme, deviceScaleFactor: 2 });
      for (const lang of LANGS) {
        await page.goto(blogPage(`/phone-${width}-${lang}`, articleHtml({ lang })));
        const host = widget(page);
        await rendered(host);
        await host.getByRole('progressbar').waitFor();
        await host.getByRole('checkbox').waitFor();
        expect({ width, lang, colorScheme, problems: await layoutProblems(host) }).toEqual({ width, lang, colorScheme, problems: [] });
        if (width === 360) await host.screenshot({ path: `${ARTIFACTS}/phone-360-${lang}-${colorScheme}.png` });
        // "Remind me later" opened: the e-mail field and its button side by side or stacked, never squeezed.
        await host.locator('button.lk').click();
        await host.locator('input[type=email]').waitFor();
        const reminder = { width, lang, colorScheme, reminder: true };
        expect({ ...reminder, problems: await layoutProblems(host) }).toEqual({ ...reminder, problems: [] });
        // The "make it monthly" offer after a one-off Donate (€10: nothing is sent before the reader answers).
        await host.locator('button[type=submit]').first().click();
        await host.getByRole('group').waitFor();
        const offer = { width, lang, colorScheme, offer: true };
        expect({ ...offer, problems: await layoutProblems(host) }).toEqual({ ...offer, problems: [] });
        if (width === 360) await host.screenshot({ path: `${ARTIFACTS}/phone-360-${lang}-${colorScheme}-offer.png` });
        await page.evaluate(() => (globalThis as any).localStorage.clear()); // the offer again on the next page
      }
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it.each(['light', 'dark'] as const)('axe finds nothing in the widget at 360 px in any language (%s)', async (colorScheme) => {
    const { page, context } = await env.newPage({ viewport: { width: 360, height: 900 }, colorScheme, bypassCSP: true });
    for (const lang of LANGS) {
      await page.goto(blogPage(`/phone-axe-${lang}`, articleHtml({ lang })));
      await rendered(widget(page));
      const { violations, shadowPasses } = await axe(page);
      expect(shadowPasses).toBeGreaterThan(20);
      expect({ lang, violations: violations.filter((v) => v.nodes.some((n) => n.inShadow)) }).toEqual({ lang, violations: [] });
    }
    await context.close();
  });

  it.each(['light', 'dark'] as const)(
    'the hosted donate page (with its goal meter) is axe-clean in every language (%s)',
    async (colorScheme) => {
      const { page, context } = await env.newPage({ viewport: { width: 360, height: 900 }, colorScheme, bypassCSP: true });
      for (const lang of LANGS) {
        await page.goto(`${SERVICE}/donate/demo?lang=${lang}`);
        await page.locator('progress[role=progressbar]').waitFor();
        const { violations } = await axe(page);
        expect({ lang, violations }).toEqual({ lang, violations: [] });
        if (colorScheme === 'dark') await page.screenshot({ path: `${ARTIFACTS}/donate-360-${lang}-dark.png`, fullPage: true });
      }
      await context.close();
    },
  );
});
