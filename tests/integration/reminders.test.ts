/**
 * "Remind me later" (issue 13, point 5), against a real SMTP server: a sign-up answers alike for any address, a
 * confirmation e-mail must be followed (double opt-in), the reminder goes once on the due day with a link to the donate
 * page, one-click unsubscribe (RFC 8058) stops it, unconfirmed sign-ups lose their address after 7 days, privacy
 * requests see and erase reminders, and the summary counts asked, confirmed, sent and converted.
 */
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api-keys/api-key.service.js';
import { memoryRateLimit } from '../../src/http/rate-limit.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import { expireUnconfirmedReminders } from '../../src/reminders/reminder.repository.js';
import { resetData } from '../helpers/reset-data.js';
import { startSmtpServer, testSenders, type TestSmtp } from '../helpers/smtp.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

let t: TestApp;
let smtp: TestSmtp;
let key: string;
/** How far the tests have moved the clock ahead of real time. */
let ahead = 0;
/** Requests per client, fresh for each test. */
let perClient = memoryRateLimit(30, 600);
const clock = () => new Date(Date.now() + ahead);
const DAY = 86_400_000;
const ARTICLE = 'https://news.example/2026/12/the-bridge';

const { sender, stopAll } = testSenders(() => ({ db: t.database.db, smtp, now: clock, publicUrl: TEST_PUBLIC_URL }));

beforeAll(async () => {
  t = await createTestApp({
    rateLimits: { manageLinksPerAddress: memoryRateLimit(3, 3600), pagesPerIp: { consume: (client) => perClient.consume(client) } },
    now: clock,
  });
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
});
beforeEach(async () => {
  smtp.messages.length = 0;
  ahead = 0;
  perClient = memoryRateLimit(30, 600);
  const demo = (await findPublicationBySlug(t.database.db, 'demo'))!;
  key = (await createApiKey(t.database.db, demo.id, 'reminders')).key;
});
afterEach(async () => {
  // Back to the default settings even when a test that changed them failed half-way.
  await t.changePublication('demo', { widget: {} as never });
  await stopAll();
  await resetData(t.database.db);
});

const signUp = (body: Record<string, unknown>) =>
  request(t.app)
    .post('/api/reminders')
    .send({ publication: 'demo', article_url: ARTICLE, ...body });

/** The path and query of the first link in a text that starts with `prefix`. */
const linkIn = (text: string | undefined, prefix: string) => {
  const match = new RegExp(`${TEST_PUBLIC_URL.replace(/\./g, '\\.')}${prefix}\\S*`).exec(text ?? '');
  return match ? match[0].slice(TEST_PUBLIC_URL.length) : undefined;
};

/** List-Unsubscribe and List-Unsubscribe-Post, as mailparser reads them. */
const listHeaders = (mail: TestSmtp['messages'][number]) => {
  const list = mail.headers.get('list') as { unsubscribe?: { url: string }; 'unsubscribe-post'?: { name: string } } | undefined;
  return { unsubscribe: list?.unsubscribe?.url, post: list?.['unsubscribe-post']?.name };
};

const summary = async () =>
  (await request(t.app).get('/api/reports/summary').set('Authorization', `Bearer ${key}`).query({ from: '2026-01-01' })).body;

/** A one-off gift paid at `paidAt` by `email`. */
async function gift(id: string, email: string, paidAt: Date) {
  const created = Math.floor(paidAt.getTime() / 1000);
  const session = checkoutSession({ id, publication: 'demo', amount: 1000, email, created });
  await deliver(t.app, stripeEvent('checkout.session.completed', session, { id: `evt_${id}`, created }));
}

describe('remind me later', () => {
  it('asks for a confirmation, then reminds once on the due day with a link to the donate page', async () => {
    const asked = await signUp({ email: 'Lea@Example.com', locale: 'it', after_days: 30 });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({ status: 'accepted' });

    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    const confirmation = smtp.messages[0]!;
    expect(confirmation.to).toMatchObject({ value: [{ address: 'lea@example.com' }] });
    expect(confirmation.subject).toBe('Conferma il promemoria di The Demo Daily');
    expect(confirmation.text).toContain('tra 30 giorni');
    expect(listHeaders(confirmation)).toEqual({
      unsubscribe: expect.stringMatching(/^http:\/\/favour\.test\/reminders\/unsubscribe\?token=[\w-]{43}$/),
      post: 'List-Unsubscribe=One-Click',
    });

    // Nothing more until confirmed, however long: the reminder waits for the confirmation.
    ahead = 31 * DAY;
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    ahead = 0;

    const confirmLink = linkIn(confirmation.text, '/reminders/confirm')!;
    const confirmed = await request(t.app).get(confirmLink);
    expect(confirmed.status).toBe(200);
    expect(confirmed.text).toContain('te lo ricorderemo una sola volta');
    expect((await request(t.app).get(confirmLink)).status).toBe(200); // again: harmless
    await sender().drain();
    expect(smtp.messages).toHaveLength(1); // not due yet

    ahead = 30 * DAY + 60_000;
    await sender().drain();
    expect(smtp.messages).toHaveLength(2);
    const reminder = smtp.messages[1]!;
    expect(reminder.subject).toBe('Il tuo promemoria per sostenere The Demo Daily');
    expect(listHeaders(reminder).post).toBe('List-Unsubscribe=One-Click');
    const donate = linkIn(reminder.text, '/donate/demo')!;
    expect(new URL(donate, TEST_PUBLIC_URL).searchParams.get('article')).toBe(ARTICLE);
    const page = await request(t.app).get(donate);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${ARTICLE}"`);

    // Once: a later confirmation click or sender run sends nothing more.
    await request(t.app).get(confirmLink);
    ahead += 2 * DAY;
    await sender().drain();
    expect(smtp.messages).toHaveLength(2);
    expect((await summary()).reminders).toMatchObject({ asked: 1, confirmed: 1, sent: 1, converted: 0, unsubscribed: 0 });
  });

  it('answers alike for any address, and limits e-mails per address and requests per client', async () => {
    const first = await signUp({ email: 'max@example.com' });
    const again = await signUp({ email: 'max@example.com' });
    expect(first.status).toBe(202);
    expect(again.body).toEqual(first.body);
    for (let i = 0; i < 3; i++) expect((await signUp({ email: 'max@example.com' })).status).toBe(202);
    await sender().drain();
    // Three confirmations (the limit per address); each new one replaces the link of the one before.
    expect(smtp.messages).toHaveLength(3);
    const links = smtp.messages.map((m) => linkIn(m.text, '/reminders/confirm')!);
    expect((await request(t.app).get(links[0]!)).status).toBe(410);
    expect((await request(t.app).get(links[2]!)).status).toBe(200);

    // 5 requests so far; the client's 31st is refused.
    for (let i = 0; i < 25; i++) expect((await signUp({ email: `crowd${i}@example.com` })).status).toBe(202);
    const limited = await signUp({ email: 'one-more@example.com' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const bad = await signUp({ email: 'not an address' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_email' });
    expect((await signUp({ email: 'a@example.com', article_url: 'https://elsewhere.example/x' })).body.error.code).toBe(
      'invalid_article_url',
    );
    expect((await signUp({ email: 'a@example.com', after_days: 0 })).status).toBe(400);
    expect((await signUp({ email: 'a@example.com', publication: 'nope' })).status).toBe(404);
    expect((await signUp({ email: 'a@example.com', extra: 1 })).status).toBe(400);
    await t.changePublication('demo', { widget: { reminder: false } as never });
    expect((await signUp({ email: 'a@example.com' })).body.error.code).toBe('reminders_not_offered');
    expect((await request(t.app).get('/api/widget/demo')).body.reminder).toBeNull();
    await t.changePublication('demo', { widget: {} as never });
    expect((await request(t.app).get('/api/widget/demo')).body.reminder).toEqual({
      url: `${TEST_PUBLIC_URL}/api/reminders`,
      after_days: 30,
    });
    expect(await t.database.db.selectFrom('reminders').selectAll().execute()).toEqual([]);
  });

  it('unsubscribes in one click (RFC 8058), while a browser opening the link only sees a button', async () => {
    await signUp({ email: 'kim@example.com' });
    await sender().drain();
    const confirmLink = linkIn(smtp.messages[0]!.text, '/reminders/confirm')!;
    expect((await request(t.app).get(confirmLink)).status).toBe(200);
    const header = listHeaders(smtp.messages[0]!).unsubscribe!;
    const path = header.slice(TEST_PUBLIC_URL.length);

    const shown = await request(t.app).get(path);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('kim@example.com');
    expect(shown.text).toContain('<button type="submit">Unsubscribe</button>');

    const oneClick = await request(t.app).post(path).type('form').send('List-Unsubscribe=One-Click');
    expect(oneClick.status).toBe(200);
    expect(oneClick.text).toContain('no more reminders');
    ahead = 31 * DAY;
    await sender().drain();
    expect(smtp.messages).toHaveLength(1); // the reminder was called off
    expect((await summary()).reminders).toMatchObject({ asked: 1, confirmed: 1, sent: 0, unsubscribed: 1 });
  });

  it('deletes the address of a sign-up nobody confirmed within 7 days', async () => {
    await signUp({ email: 'late@example.com' });
    await sender().drain();
    const confirmLink = linkIn(smtp.messages[0]!.text, '/reminders/confirm')!;
    expect(await expireUnconfirmedReminders(t.database.db, new Date(Date.now() + 6 * DAY))).toBe(0);
    expect(await expireUnconfirmedReminders(t.database.db, new Date(Date.now() + 8 * DAY))).toBe(1);
    expect((await request(t.app).get(confirmLink)).status).toBe(410);
    const exported = await request(t.app)
      .get('/api/supporters/export')
      .set('Authorization', `Bearer ${key}`)
      .query({ email: 'late@example.com' });
    expect(exported.status).toBe(404);
    expect((await summary()).reminders).toMatchObject({ asked: 1, confirmed: 0 });
  });

  it('counts a payment within 14 days of the reminder as converted, keeps it through an erasure, and skips the reminder of one who gave already', async () => {
    for (const email of ['ines@example.com', 'olga@example.com']) await signUp({ email });
    await sender().drain();
    for (const m of smtp.messages) await request(t.app).get(linkIn(m.text, '/reminders/confirm')!);
    // Olga gives before her reminder is due: hers is not sent.
    await gift('cs_olga', 'olga@example.com', new Date(Date.now() + 2 * DAY));
    ahead = 30 * DAY + 60_000;
    await sender().drain();
    const reminded = smtp.messages.filter((m) => m.subject === 'Your reminder to support The Demo Daily');
    expect(reminded.map((m) => (m.to as { value: { address: string }[] }).value[0]!.address)).toEqual(['ines@example.com']);
    // Ines gives a week after her reminder.
    await gift('cs_ines', 'ines@example.com', new Date(Date.now() + 37 * DAY));
    expect((await summary()).reminders).toMatchObject({ asked: 2, confirmed: 2, sent: 1, converted: 1, conversion_rate: 1 });

    const exported = await request(t.app)
      .get('/api/supporters/export')
      .set('Authorization', `Bearer ${key}`)
      .query({ email: 'ines@example.com' });
    expect(exported.status).toBe(200);
    expect(exported.body.reminders).toHaveLength(1);
    expect(exported.body.reminders[0]).toMatchObject({ email: 'ines@example.com', article_url: ARTICLE, after_days: 30 });
    expect(exported.body.reminders[0]).not.toHaveProperty('token_hash');

    const erased = await request(t.app)
      .post('/api/supporters/erase')
      .set('Authorization', `Bearer ${key}`)
      .send({ email: 'ines@example.com' });
    expect(erased.status).toBe(200);
    expect(erased.body.reminders_erased).toBe(1);
    expect((await summary()).reminders).toMatchObject({ asked: 2, sent: 1, converted: 1 });
    const rows = await t.database.db.selectFrom('reminders').select(['email', 'article_url', 'token_hash']).execute();
    expect(rows.filter((r) => r.email === null)).toEqual([{ email: null, article_url: null, token_hash: null }]);
  });

  it('erases a reader known only by a reminder', async () => {
    await signUp({ email: 'only@example.com' });
    await sender().drain();
    const confirmLink = linkIn(smtp.messages[0]!.text, '/reminders/confirm')!;
    const erased = await request(t.app)
      .post('/api/supporters/erase')
      .set('Authorization', `Bearer ${key}`)
      .send({ email: 'only@example.com' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ supporter_id: null, reminders_erased: 1 });
    expect((await request(t.app).get(confirmLink)).status).toBe(410);
  });

  it('works without JavaScript from the donate page', async () => {
    const page = await request(t.app).get('/donate/demo?lang=en');
    expect(page.text).toContain('action="/api/reminders"');
    expect(page.text).toContain('Not now? Remind me in a month');
    const posted = await request(t.app)
      .post('/api/reminders')
      .type('form')
      .send({ publication: 'demo', email: 'paper@example.com', article_url: ARTICLE, locale: 'en' });
    expect(posted.status).toBe(303);
    expect(posted.headers.location).toMatch(/^\/donate\/demo\?.*reminder=asked/);
    const back = await request(t.app).get(String(posted.headers.location));
    expect(back.text).toContain('Check your inbox');
    await sender().drain();
    expect(smtp.messages.map((m) => m.subject)).toEqual(['Please confirm your reminder from The Demo Daily']);
  });

  it('says "in 14 days" where the publication waits 14 days', async () => {
    await t.changePublication('demo', { widget: { reminder: { enabled: true, after_days: 14 } } as never });
    const config = (await request(t.app).get('/api/widget/demo?lang=sr-Latn')).body;
    expect(config.reminder.after_days).toBe(14);
    expect(config.strings.remind_offer).toBe('Ne sada? Podseti me za 14 dana');
  });
});
