// The goal meter in Chromium (issue 12, point 1): an accessible progress bar in the appeal, the publisher's
// text once the target is reached, axe-clean in light and dark, and no layout shift when it appears.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  articleHtml,
  axe,
  blogPage,
  gateConfig,
  rendered,
  shiftsWhileRendering,
  text,
  widget,
  widgetEnvForFile,
} from '../helpers/browser.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { deliver } from '../helpers/webhook-delivery.js';

const widgetEnv = widgetEnvForFile({ emptyAfterEach: false });
beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  const session = checkoutSession({ id: 'cs_goal', amount: 2500, created: now, publication: 'demo' });
  const delivered = await deliver(widgetEnv().t.app, stripeEvent('checkout.session.completed', session, { id: 'evt_goal', created: now }));
  expect(delivered.status).toBe(200);
});
afterAll(async () => {
  await widgetEnv().t.changePublication('demo', { goal: null });
});

const page = blogPage;

/** Sets the demo publication's goal and waits until the service answers with it (NOTIFY reaches the cache). */
async function setGoal(target: number, copy = {}) {
  await widgetEnv().t.changePublication('demo', { goal: { kind: 'amount', currency: 'eur', target, period: 'month', copy } });
  await expect
    .poll(async () => (await request(widgetEnv().t.app).get('/api/widget/demo?lang=en')).body.goal?.target, { timeout: 5000 })
    .toBe(target);
}

describe('goal meter', () => {
  it('shows the month’s progress as a progress bar screen readers can read', async () => {
    await setGoal(10_000, { en: { label: 'Help us reach €100 this month' } });
    const { page: p, context, errors } = await widgetEnv().newPage({ viewport: { width: 360, height: 800 } });
    await p.goto(page('/goal', articleHtml()));
    const host = widget(p);
    await rendered(host);
    const bar = host.getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuemin')).toBe('0');
    expect(await bar.getAttribute('aria-valuemax')).toBe('10000');
    expect(await bar.getAttribute('aria-valuenow')).toBe('2500');
    expect(await bar.getAttribute('aria-valuetext')).toBe('€25 of €100');
    expect(await text(host.locator('#gl'))).toBe('Help us reach €100 this month');
    // A quarter of the bar is filled.
    const [track, fill] = await Promise.all([bar.boundingBox(), bar.locator('span').boundingBox()]);
    expect(fill!.width / track!.width).toBeCloseTo(0.25, 2);
    expect(errors).toEqual([]);
    await context.close();
  });

  it.each(['light', 'dark'] as const)('is axe-clean (%s)', async (colorScheme) => {
    await setGoal(10_000);
    const { page: p, context } = await widgetEnv().newPage({ colorScheme, bypassCSP: true });
    await p.goto(page('/goal-axe', articleHtml()));
    await rendered(widget(p));
    const { violations, shadowPasses } = await axe(p);
    expect(shadowPasses).toBeGreaterThan(20);
    expect(violations.filter((v) => v.nodes.some((n) => n.inShadow))).toEqual([]);
    await context.close();
  });

  it('says the target is reached, in the publisher’s words', async () => {
    await setGoal(2000, { en: { reached: 'We made it. Thank you!' } });
    const { page: p, context } = await widgetEnv().newPage();
    await p.goto(page('/goal-reached', articleHtml()));
    const host = widget(p);
    await rendered(host);
    expect(await text(host.locator('#gl'))).toBe('We made it. Thank you!');
    expect(await host.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('2500');
    await context.close();
  });

  it.each([
    ['360 px', { width: 360, height: 800 }],
    ['640 px', { width: 680, height: 1000 }],
  ] as const)('appears without moving anything, first visit and after (%s)', async (_name, viewport) => {
    await setGoal(10_000);
    const { page: p, context, errors } = await widgetEnv().newPage({ viewport });
    for (const path of ['/goal-cls', '/goal-cls-again']) {
      const gate = await gateConfig(p);
      await p.goto(page(path, articleHtml()));
      await widget(p).locator('.c[aria-busy=true]').waitFor();
      expect(await shiftsWhileRendering(p, gate.release)).toBe(0);
      await p.unroute(/\/api\/widget\//);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
