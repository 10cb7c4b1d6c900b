import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import nock from 'nock';
import request from 'supertest';
import { widgetCountersOf } from '../../src/app.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryRateLimit } from '../../src/http/rate-limit.js';
import { widgetSettingsSchema } from '../../src/publications/publication.schema.js';
import { checkoutSession, stripeEvent, subscription } from '../helpers/stripe-objects.js';
import { createTestApp, STRIPE_TEST_HOST, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';
import { rawRequest } from '../helpers/raw-http.js';
import { deliver } from '../helpers/webhook-delivery.js';

const NOW = new Date('2026-11-28T23:30:00Z');

/** A session as POST /api/checkout records it, before its webhook. */
function openSession(id: string, interval: 'once' | 'month' | 'year', amount: number) {
  return {
    id,
    publication_id: 1,
    article_url: 'https://news.example/story',
    variant: null,
    amount,
    currency: 'eur',
    interval,
    locale: null,
    status: 'open' as const,
    payment_status: 'unpaid',
    customer_id: null,
    payment_intent_id: null,
    subscription_id: null,
    completed_at: null,
    expired_at: null,
  };
}
/** GET /api/widget/<path> again until `changed` holds (a publication change is announced by NOTIFY). */
async function configOnceChanged(path: string, changed: (body: any) => boolean) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await request(t.app).get(`/api/widget/${path}`);
    if (changed(res.body) || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const recordCheckout = (id: string, interval: 'once' | 'month' | 'year', amount: number) =>
  t.database.db
    .insertInto('checkout_sessions')
    .values(openSession(id, interval, amount))
    .execute();
const bundleDir = mkdtempSync(path.join(tmpdir(), 'favour-widget-'));
const bundlePath = path.join(bundleDir, 'widget.js');
writeFileSync(bundlePath, '(()=>{window.favour={version:"test"}})();');

let t: TestApp;
beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp({ now: () => NOW, widgetBundlePath: bundlePath, rateLimits: { eventsPerIp: memoryRateLimit(1000, 60) } });
});
afterAll(async () => {
  await t.close();
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

describe('GET /api/widget/:publication', () => {
  it('returns the publication configuration in the reader language, cacheable and readable from any site', async () => {
    const res = await request(t.app).get('/api/widget/demo?lang=it').set('Origin', 'https://news.example');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/public, max-age=\d+/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers.etag).toBeTruthy();
    expect(res.body).toMatchObject({
      publication: 'demo',
      name: 'The Demo Daily',
      lang: 'it',
      locale: 'it-IT',
      intervals: ['once', 'month', 'year'],
      default_currency: 'eur',
      copy: { heading: 'Un piccolo favore' },
      variants: [],
      frequency_cap: { views: 4, days: 30 },
      supporter_days: 90,
      accent: '#0b5cad',
      checkout_url: `${TEST_PUBLIC_URL}/api/checkout`,
      events_url: `${TEST_PUBLIC_URL}/api/events`,
      donate_url: `${TEST_PUBLIC_URL}/donate/demo?lang=it`,
    });
    expect(res.body.strings.donate).toBe('Dona');
    expect(res.body.currencies.eur).toEqual({
      min: 100,
      max: 1_000_000,
      exponent: 2,
      presets: { once: [500, 1000, 2500], month: [300, 500, 1000], year: [3000, 5000, 10000] },
    });
    const again = await request(t.app).get('/api/widget/demo?lang=it').set('If-None-Match', res.headers.etag!);
    expect(again.status).toBe(304);
  });

  it.each([
    ['sr', 'sr-Cyrl', 'Мала услуга'],
    ['sr-Latn-RS', 'sr-Latn', 'Mala usluga'],
    ['sr-Cyrl', 'sr-Cyrl', 'Мала услуга'],
    ['en-GB', 'en', 'A small favour'],
    ['de', 'en', 'A small favour'],
  ])('resolves lang=%s to %s', async (lang, expected, heading) => {
    const res = await request(t.app).get(`/api/widget/demo?lang=${lang}`);
    expect(res.body.lang).toBe(expected);
    expect(res.body.copy.heading).toBe(heading);
  });

  it('falls back to the publication default language', async () => {
    const res = await request(t.app).get('/api/widget/italia');
    expect(res.body).toMatchObject({ lang: 'it', intervals: ['once', 'month'], default_currency: 'eur' });
    expect(res.body.currencies.jpy).toMatchObject({ exponent: 0 });
  });

  it('serves the publisher copy, string overrides and weighted variants', async () => {
    await t.changePublication('italia', {
      widget: {
        copy: { it: { heading: 'Un favore piccolo piccolo' } },
        strings: { it: { donate: 'Sostienici' } },
        variants: [
          { id: 'urgent', weight: 1, copy: { it: { body: 'Ci servono 100 nuovi abbonati entro venerdì.' } } },
          { id: 'calm', weight: 3, copy: {} },
        ],
        frequency_cap: { views: 2, days: 7 },
        supporter_days: 30,
        upsell: { enabled: true, fraction: 1 / 3 },
        reminder: { enabled: true, after_days: 30 },
        accent: '#aa2200',
      },
    });
    // The change reaches the app's in-memory publications by notification, within moments, not at once.
    const res = await configOnceChanged('italia?lang=it', (body) => body.copy.heading === 'Un favore piccolo piccolo');
    expect(res.body.copy.heading).toBe('Un favore piccolo piccolo');
    expect(res.body.strings.donate).toBe('Sostienici');
    expect(res.body.strings.once).toBe('Una tantum');
    expect(res.body.variants).toEqual([
      { id: 'urgent', weight: 1, copy: { heading: 'Un favore piccolo piccolo', body: 'Ci servono 100 nuovi abbonati entro venerdì.' } },
      { id: 'calm', weight: 3, copy: res.body.copy },
    ]);
    expect(res.body).toMatchObject({ frequency_cap: { views: 2, days: 7 }, supporter_days: 30, accent: '#aa2200' });
  });

  it('answers 404 for an unknown publication', async () => {
    const res = await request(t.app).get('/api/widget/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('unknown_publication');
  });
});

describe('GET /widget.js', () => {
  it('serves the bundle with an ETag, a cache lifetime and 304 on revalidation', async () => {
    const res = await request(t.app).get('/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toContain('max-age=300');
    expect(res.text).toContain('window.favour');
    const again = await request(t.app).get('/widget.js').set('If-None-Match', res.headers.etag!);
    expect(again.status).toBe(304);
  });

  it('serves the copies the build compressed, by Accept-Encoding, with Vary; never a copy of another build', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'favour-widget-'));
    const file = path.join(dir, 'widget.js');
    const code = Buffer.from(`(()=>{window.favour={version:"zipped"}})();${'/* padding */'.repeat(200)}`);
    writeFileSync(file, code);
    writeFileSync(`${file}.br`, brotliCompressSync(code));
    writeFileSync(`${file}.gz`, gzipSync(Buffer.from('(()=>{})(); // an older build')));
    const built = await createTestApp({ widgetBundlePath: file });
    const server = built.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/widget.js`;
      const raw = (acceptEncoding: string) => rawRequest(url, { 'accept-encoding': acceptEncoding });
      const br = await raw('gzip, br');
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toContain('Accept-Encoding');
      expect(br.body.equals(readFileSync(`${file}.br`))).toBe(true);
      // The gzip copy does not decompress to this bundle: the bundle goes out as it is.
      const plain = await raw('gzip');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(code)).toBe(true);
      expect(plain.headers.etag).not.toBe(br.headers.etag);
      const revalidated = await rawRequest(url, { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! });
      expect(revalidated.status).toBe(304);
    } finally {
      server.close();
      await built.close();
    }
  });

  it('says how to build it when it is missing', async () => {
    const unbuilt = await createTestApp({ widgetBundlePath: path.join(bundleDir, 'missing.js') });
    try {
      const res = await request(unbuilt.app).get('/widget.js');
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'widget_not_built' });
      expect(res.body.error.message).toContain('npm run build');
    } finally {
      await unbuilt.close();
    }
  });
});

describe('POST /api/events', () => {
  const counters = async () =>
    (await widgetCountersOf(t.app).flush(), t.database.db)
      .selectFrom('widget_daily_counters')
      .select(['day', 'article_url', 'variant'])
      .select((eb) => [eb.fn.sum<number>('impressions').as('impressions'), eb.fn.sum<number>('clicks').as('clicks')])
      .groupBy(['day', 'article_url', 'variant'])
      .orderBy('article_url')
      .orderBy('variant')
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, impressions: Number(r.impressions), clicks: Number(r.clicks) })));
  const beacon = (body: unknown, type = 'text/plain;charset=UTF-8') =>
    request(t.app)
      .post('/api/events')
      .set('content-type', type)
      .set('Origin', 'https://news.example')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  it('counts impressions and clicks per day, article and variant, without storing anything about the reader', async () => {
    await t.changePublication('demo', {
      widget: widgetSettingsSchema.parse({ variants: [{ id: 'b', weight: 1, copy: {} }] }),
    });
    await configOnceChanged('demo', (body) => body.variants.length === 1);
    const base = { publication: 'demo', article_url: 'https://news.example/story?utm_source=x#comments' };
    for (const body of [
      { ...base, type: 'impression' },
      { ...base, type: 'click' },
      { ...base, type: 'impression', variant: 'b' },
      // A variant the publication does not define counts as none: made-up posts cannot tilt an A/B result.
      { ...base, type: 'impression', variant: 'made-up' },
    ]) {
      const res = await beacon(body);
      expect(res.status).toBe(202);
      expect(res.headers['access-control-allow-origin']).toBe('https://news.example');
    }
    // The demo publication keeps UTC: 23:30 UTC is still the 28th.
    expect(await counters()).toEqual([
      { day: '2026-11-28', article_url: 'https://news.example/story', variant: '', impressions: 2, clicks: 1 },
      { day: '2026-11-28', article_url: 'https://news.example/story', variant: 'b', impressions: 1, clicks: 0 },
    ]);
    const columns = Object.keys((await t.database.db.selectFrom('widget_daily_counters').selectAll().executeTakeFirstOrThrow()) as object);
    expect(columns.sort()).toEqual(['article_url', 'checkouts', 'clicks', 'day', 'impressions', 'paid', 'publication_id', 'variant']);
  });

  it("refuses beacons from a page that is not one of the publication's sites, and counts none", async () => {
    const before = await counters();
    const event = JSON.stringify({ publication: 'demo', type: 'impression', article_url: 'https://news.example/story', variant: 'b' });
    const evil = await request(t.app)
      .post('/api/events')
      .set('content-type', 'text/plain')
      .set('Origin', 'https://evil.example')
      .send(event);
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('origin_not_allowed');
    // Another publication's site is not this one's either.
    const other = await request(t.app)
      .post('/api/events')
      .set('content-type', 'text/plain')
      .set('Origin', 'https://favore.example')
      .send(event);
    expect(other.status).toBe(403);
    expect(await counters()).toEqual(before);
    // No Origin at all (a server-side call, an old browser) is counted as before.
    expect((await request(t.app).post('/api/events').set('content-type', 'text/plain').send(event)).status).toBe(202);
  });

  it("uses the publication's own time zone for the day", async () => {
    const res = await request(t.app)
      .post('/api/events')
      .set('content-type', 'application/json')
      .set('Origin', 'https://favore.example')
      .send({ publication: 'italia', type: 'impression', article_url: 'https://favore.example/pezzo' });
    expect(res.status).toBe(202);
    await widgetCountersOf(t.app).flush();
    const row = await t.database.db
      .selectFrom('widget_daily_counters')
      .select('day')
      .where('article_url', '=', 'https://favore.example/pezzo')
      .executeTakeFirstOrThrow();
    expect(row.day).toBe('2026-11-29'); // 00:30 in Rome
  });

  it.each([
    [
      'an article on another site',
      { publication: 'demo', type: 'impression', article_url: 'https://evil.example/x' },
      400,
      'invalid_article_url',
    ],
    [
      'an unknown publication',
      { publication: 'nope', type: 'impression', article_url: 'https://news.example/x' },
      404,
      'unknown_publication',
    ],
    ['an unknown event type', { publication: 'demo', type: 'purchase', article_url: 'https://news.example/x' }, 400, 'invalid_request'],
    [
      'an extra field',
      { publication: 'demo', type: 'click', article_url: 'https://news.example/x', ip: '1.2.3.4' },
      400,
      'invalid_request',
    ],
    ['malformed JSON', '{"publication":', 400, 'invalid_json'],
    [
      'an oversized body',
      JSON.stringify({ publication: 'demo', type: 'click', article_url: 'https://news.example/' + 'x'.repeat(3000) }),
      413,
      'payload_too_large',
    ],
  ])('rejects %s without counting it', async (_name, body, status, code) => {
    const before = await counters();
    const res = await beacon(body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await counters()).toEqual(before);
  });

  it('limits beacons per client with 429 and Retry-After', async () => {
    const limited = await createTestApp({ rateLimits: { eventsPerIp: memoryRateLimit(2, 60) } });
    try {
      const send = () =>
        request(limited.app)
          .post('/api/events')
          .set('content-type', 'text/plain')
          .send(JSON.stringify({ publication: 'demo', type: 'impression', article_url: 'https://news.example/x' }));
      expect((await send()).status).toBe(202);
      expect((await send()).status).toBe(202);
      const third = await send();
      expect(third.status).toBe(429);
      expect(third.body.error.code).toBe('rate_limited');
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('CORS on the widget endpoints', () => {
  it('lets registered origins call checkout, and no one else', async () => {
    const allowed = await request(t.app)
      .options('/api/checkout')
      .set('Origin', 'https://www.news.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,idempotency-key');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://www.news.example');
    expect(allowed.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/i);

    const denied = await request(t.app)
      .options('/api/checkout')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('hosted pages', () => {
  it('serves the demo article with the widget under a strict CSP', async () => {
    const res = await request(t.app).get('/demo');
    expect(res.text).toContain('<script async src="/widget.js" data-publication="demo"></script>');
    expect(res.text).toContain('<noscript><a href="/donate/demo">');
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('renders the donate page per interval and currency, in the asked language', async () => {
    const res = await request(t.app).get('/donate/demo?interval=month&currency=usd&lang=it&article=https://news.example/story');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<html lang="it">');
    expect(res.text).toContain('name="interval" value="month"');
    expect(res.text).toContain('name="currency" value="usd"');
    expect(res.text).toContain('name="article_url" value="https://news.example/story"');
    expect(res.text).toMatch(/value="300"[^>]*checked/);
    expect(res.text).toContain('Dona');
    expect(res.text).not.toContain('<script');
  });

  it('ignores an article on another site in the donate page link', async () => {
    const res = await request(t.app).get('/donate/demo?article=https://evil.example/x');
    expect(res.text).toContain('name="article_url" value="https://news.example/"');
  });

  it('takes an amount typed in the no-JavaScript form', async () => {
    let body: URLSearchParams | undefined;
    nock(STRIPE_TEST_HOST)
      .post('/v1/checkout/sessions', (b) => ((body = new URLSearchParams(b as unknown as string)), true))
      .reply(200, { id: 'cs_test_other', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_other' });
    const res = await request(t.app).post('/api/checkout').type('form').send({
      publication: 'demo',
      currency: 'eur',
      interval: 'once',
      article_url: 'https://news.example/story',
      amount: '500',
      other_amount: '12,50',
      locale: 'it',
    });
    expect(res.status).toBe(303);
    expect(body!.get('line_items[0][price_data][unit_amount]')).toBe('1250');
    const bad = await request(t.app)
      .post('/api/checkout')
      .type('form')
      .send({ publication: 'demo', currency: 'eur', interval: 'once', article_url: 'https://news.example/story', other_amount: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_amount', field: 'other_amount' });
  });

  it('thanks a new member, asks Stripe while the webhook is on its way, and opens the billing portal for the paying browser only', async () => {
    await recordCheckout('cs_test_member', 'month', 700);
    const stripeSession = nock(STRIPE_TEST_HOST)
      .get('/v1/checkout/sessions/cs_test_member')
      .once()
      .reply(
        200,
        checkoutSession({
          id: 'cs_test_member',
          mode: 'subscription',
          amount: 700,
          customer: 'cus_member',
          subscription: 'sub_member',
          publication: 'demo',
          article_url: 'https://news.example/story',
          interval: 'month',
        }),
      );
    const res = await request(t.app).get('/thanks?session_id=cs_test_member');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('€7/month');
    expect(res.text).toContain('<form method="post" action="/billing-portal">');
    const until = Number(/favour-until=(\d+)/.exec(res.text)![1]);
    expect(until).toBe(Math.floor(NOW.getTime() / 1000) + 31 * 86_400);
    // The one cookie favour sets: the pass of the browser that paid.
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^favour_portal_pass=[\w-]{43}; Max-Age=3600; Path=\/billing-portal; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0]!;

    // Someone else with the same link (a shared URL, a log): thanked, but no pass and no portal.
    const stranger = await request(t.app).get('/thanks?session_id=cs_test_member');
    expect(stranger.headers['set-cookie']).toBeUndefined();
    expect(stranger.text).not.toContain('/billing-portal');
    const refused = await request(t.app).post('/billing-portal').type('form').send({ session_id: 'cs_test_member' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('only in the browser that paid');
    const forged = await request(t.app)
      .post('/billing-portal')
      .set('Cookie', `favour_portal_pass=${'A'.repeat(43)}`)
      .type('form')
      .send({ session_id: 'cs_test_member' });
    expect(forged.status).toBe(403);
    expect(stripeSession.isDone()).toBe(true); // asked once: the views above came within seconds

    let portalBody: URLSearchParams | undefined;
    nock(STRIPE_TEST_HOST)
      .post('/v1/billing_portal/sessions', (b) => ((portalBody = new URLSearchParams(b as unknown as string)), true))
      .reply(200, { id: 'bps_1', object: 'billing_portal.session', url: 'https://billing.stripe.com/p/session/test_1' });
    const portal = await request(t.app).post('/billing-portal').set('Cookie', cookie).type('form').send({ session_id: 'cs_test_member' });
    expect(portal.status).toBe(303);
    expect(portal.headers.location).toBe('https://billing.stripe.com/p/session/test_1');
    expect(portalBody!.get('customer')).toBe('cus_member');
    expect(portalBody!.get('return_url')).toBe('https://news.example/story');
  });

  it('closes the portal an hour after the paying browser got its pass', async () => {
    let now = NOW;
    const later = await createTestApp({ now: () => now });
    try {
      await later.database.db
        .insertInto('checkout_sessions')
        .values(openSession('cs_test_late', 'year', 5000))
        .execute();
      nock(STRIPE_TEST_HOST)
        .get('/v1/checkout/sessions/cs_test_late')
        .reply(
          200,
          checkoutSession({
            id: 'cs_test_late',
            mode: 'subscription',
            amount: 5000,
            customer: 'cus_late',
            subscription: 'sub_late',
            publication: 'demo',
            article_url: 'https://news.example/story',
            interval: 'year',
          }),
        );
      const res = await request(later.app).get('/thanks?session_id=cs_test_late');
      const cookie = String(res.headers['set-cookie']).split(';')[0]!;
      now = new Date(NOW.getTime() + 61 * 60_000);
      await deliver(
        later.app,
        stripeEvent(
          'checkout.session.completed',
          checkoutSession({
            id: 'cs_test_late',
            mode: 'subscription',
            amount: 5000,
            customer: 'cus_late',
            subscription: 'sub_late',
            publication: 'demo',
            article_url: 'https://news.example/story',
            interval: 'year',
          }),
          { id: 'evt_late' },
        ),
      );
      const portal = await request(later.app)
        .post('/billing-portal')
        .set('Cookie', cookie)
        .type('form')
        .send({ session_id: 'cs_test_late' });
      expect(portal.status).toBe(403);
    } finally {
      await later.close();
    }
  });

  it('uses the membership period end once the webhooks have arrived, and offers no portal for one-off gifts', async () => {
    const periodEnd = Math.floor(NOW.getTime() / 1000) + 20 * 86_400;
    await deliver(
      t.app,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_m2',
          mode: 'subscription',
          amount: 500,
          customer: 'cus_m2',
          subscription: 'sub_m2',
          publication: 'demo',
          article_url: 'https://news.example/s',
          interval: 'month',
        }),
        { id: 'evt_m2a' },
      ),
    );
    await deliver(
      t.app,
      stripeEvent(
        'customer.subscription.created',
        subscription({ id: 'sub_m2', customer: 'cus_m2', publication: 'demo', current_period_end: periodEnd }),
        { id: 'evt_m2b' },
      ),
    );
    const member = await request(t.app).get('/thanks?session_id=cs_m2');
    expect(member.text).toContain(`favour-until=${periodEnd}`);
    expect(member.text).not.toContain('member-offer');

    await deliver(
      t.app,
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: 'cs_g2', amount: 1500, publication: 'demo', article_url: 'https://news.example/s' }),
        { id: 'evt_g2' },
      ),
    );
    const gift = await request(t.app).get('/thanks?session_id=cs_g2&lang=sr-Cyrl');
    expect(gift.text).toContain('Хвала!');
    expect(gift.text).not.toContain('/billing-portal');
    // A one-off giver is offered membership: the monthly preset nearest a third of the gift (15 € → 5 €).
    expect(gift.text).toContain('Да ли бисте постали члан?');
    expect(gift.text).toContain(
      '<a href="/donate/demo?lang=sr-Cyrl&amp;interval=month&amp;currency=eur&amp;amount=500&amp;article=https%3A%2F%2Fnews.example%2Fs">Дајте 5\u00a0€ месечно</a>',
    );
    const offered = await request(t.app).get(
      '/donate/demo?lang=sr-Cyrl&interval=month&currency=eur&amount=500&article=https%3A%2F%2Fnews.example%2Fs',
    );
    expect(offered.text).toMatch(/<input type="radio" name="amount" value="500" checked>/);
    // Not where the publication turned "make it monthly" off.
    const settings = (
      await t.database.db.selectFrom('publications').select('settings').where('slug', '=', 'demo').executeTakeFirstOrThrow()
    ).settings as { widget: Record<string, unknown> };
    await t.changePublication('demo', { widget: { ...settings.widget, upsell: false } as never });
    await expect.poll(async () => (await request(t.app).get('/thanks?session_id=cs_g2&lang=sr-Cyrl')).text).not.toContain('member-offer');
    await t.changePublication('demo', { widget: { ...settings.widget, upsell: true } as never });
    expect(gift.text).toContain(`favour-until=${Math.floor(NOW.getTime() / 1000) + 90 * 86_400}`);
    const refused = await request(t.app).post('/billing-portal').type('form').send({ session_id: 'cs_g2' });
    expect(refused.status).toBe(409);
  });

  it('shows a generic thank-you for a session favour did not create, without asking Stripe', async () => {
    const asked = nock(STRIPE_TEST_HOST)
      .get(/\/v1\/checkout\/sessions\/.*/)
      .reply(404, { error: { type: 'invalid_request_error', message: 'No such session' } });
    for (let i = 0; i < 40; i++) {
      const res = await request(t.app).get(`/thanks?session_id=cs_test_unknown${i}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain('Thank you');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await request(t.app).post('/billing-portal').type('form').send({ session_id: 'cs_test_unknown1' })).status).toBe(404);
    expect(asked.isDone()).toBe(false);
  });
});
