/**
 * Manage without an account and failed payments (issue 13, points 3 and 4), against a real SMTP server: a member asks
 * for a link by e-mail and opens Stripe's billing portal with it once; the page answers alike for any address and is
 * rate-limited per address; a failed membership payment e-mails a link to update the card, reminds three days later
 * if still unpaid, and says nothing once paid.
 */
import nock from 'nock';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryRateLimit } from '../../src/http/rate-limit.js';
import { findPublicationBySlug } from '../../src/publications/publication.repository.js';
import { eraseSupporterByEmail } from '../../src/supporters/supporter-privacy.service.js';
import { resetData } from '../helpers/reset-data.js';
import { startSmtpServer, testSenders, type TestSmtp } from '../helpers/smtp.js';
import { checkoutSession, invoice, stripeEvent, subscription } from '../helpers/stripe-objects.js';
import { createTestApp, STRIPE_TEST_HOST, TEST_PUBLIC_URL, type TestApp } from '../helpers/test-app.js';
import { deliver } from '../helpers/webhook-delivery.js';

let t: TestApp;
let smtp: TestSmtp;
/** How far the tests have moved the clock ahead of real time. */
let ahead = 0;
const clock = () => new Date(Date.now() + ahead);

const { sender, stopAll } = testSenders(() => ({ db: t.database.db, smtp, now: clock, publicUrl: TEST_PUBLIC_URL }));

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  t = await createTestApp({ rateLimits: { manageLinksPerAddress: memoryRateLimit(2, 3600) }, now: clock });
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
  await t.close();
  nock.enableNetConnect();
});
beforeEach(() => {
  smtp.messages.length = 0;
  ahead = 0;
});
afterEach(async () => {
  await stopAll();
  nock.cleanAll();
  await resetData(t.database.db);
});

const now = () => Math.floor(Date.now() / 1000);

/** A member of the demo publication: checkout in `locale`, subscription, first invoice paid. */
async function member(o: { id: string; email: string; locale?: string }) {
  const session = checkoutSession({
    id: `cs_${o.id}`,
    mode: 'subscription',
    publication: 'demo',
    customer: `cus_${o.id}`,
    subscription: `sub_${o.id}`,
    amount: 500,
    created: now(),
    email: o.email,
  });
  await deliver(
    t.app,
    stripeEvent('checkout.session.completed', { ...session, locale: o.locale ?? 'en' }, { id: `evt_${o.id}_cs`, created: now() }),
  );
  await deliver(
    t.app,
    stripeEvent(
      'customer.subscription.created',
      subscription({ id: `sub_${o.id}`, customer: `cus_${o.id}`, publication: 'demo', start_date: now() }),
      { id: `evt_${o.id}_sub`, created: now() },
    ),
  );
  const paid = invoice({
    id: `in_${o.id}_1`,
    customer: `cus_${o.id}`,
    subscription: `sub_${o.id}`,
    amount: 500,
    created: now(),
    publication: 'demo',
    email: o.email,
    billing_reason: 'subscription_create',
  });
  await deliver(t.app, stripeEvent('invoice.paid', paid, { id: `evt_${o.id}_in1`, created: now() }));
}

/** The link in a message's text, as a path with its query. */
const linkIn = (text: string | undefined) => {
  const match = /https?:\/\/\S+\/manage\/demo\/open\?\S+/.exec(text ?? '');
  return match ? new URL(match[0]).pathname + new URL(match[0]).search : undefined;
};

function interceptPortal(customer: string) {
  const seen: { body?: string } = {};
  nock(STRIPE_TEST_HOST)
    .post(
      '/v1/billing_portal/sessions',
      (body) => ((seen.body = new URLSearchParams(body as unknown as string).get('customer') ?? ''), true),
    )
    .reply(200, { id: 'bps_1', object: 'billing_portal.session', url: `https://billing.stripe.com/p/session/${customer}` });
  return seen;
}

describe('manage without an account', () => {
  it('e-mails a member a link that opens the billing portal once, and answers alike for a stranger', async () => {
    await member({ id: 'mgr_ana', email: 'ana@example.com' });
    await sender().drain(); // the thank-you, with a link of its own
    smtp.messages.length = 0;

    const form = await request(t.app).get('/manage/demo?lang=it');
    expect(form.status).toBe(200);
    expect(form.text).toContain('Il tuo abbonamento a The Demo Daily');
    const asked = await request(t.app).post('/manage/demo').type('form').send({ email: 'Ana@Example.com', lang: 'en' });
    const stranger = await request(t.app).post('/manage/demo').type('form').send({ email: 'nobody@example.com', lang: 'en' });
    expect(asked.status).toBe(200);
    expect(stranger.status).toBe(200);
    expect(asked.text.replace('ana@example.com', 'X')).toBe(stranger.text.replace('nobody@example.com', 'X'));

    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.subject).toBe('Your link to manage your The Demo Daily membership');
    const link = linkIn(smtp.messages[0]!.text)!;
    expect(link).toBeDefined();
    expect(smtp.messages[0]!.html).toContain('Manage my membership');

    // Opening the link shows a button (a scanner fetching it uses nothing up); the button goes to Stripe once.
    const page = await request(t.app).get(link);
    expect(page.status).toBe(200);
    const token = /name="token" value="([\w-]+)"/.exec(page.text)![1]!;
    const seen = interceptPortal('cus_mgr_ana');
    const opened = await request(t.app).post('/manage/demo/open').type('form').send({ token });
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('https://billing.stripe.com/p/session/cus_mgr_ana');
    expect(seen.body).toBe('cus_mgr_ana');
    const again = await request(t.app).post('/manage/demo/open').type('form').send({ token });
    expect(again.status).toBe(410);
    expect(again.text).toContain('Ask for a new link');
    expect((await request(t.app).get(link)).status).toBe(410);
  });

  it('stops working after 30 minutes, and limits requests per address', async () => {
    await member({ id: 'mgr_bo', email: 'bo@example.com' });
    for (let i = 0; i < 4; i++) await request(t.app).post('/manage/demo').type('form').send({ email: 'bo@example.com' });
    await sender().drain();
    // The thank-you and two requested links: the third and fourth request were over the limit, silently.
    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'Thank you for supporting The Demo Daily',
      'Your link to manage your The Demo Daily membership',
      'Your link to manage your The Demo Daily membership',
    ]);
    const link = linkIn(smtp.messages[1]!.text)!;
    ahead += 31 * 60_000;
    expect((await request(t.app).get(link)).status).toBe(410);
    const token = new URLSearchParams(link.split('?')[1]).get('token');
    expect((await request(t.app).post('/manage/demo/open').type('form').send({ token })).status).toBe(410);
    expect((await request(t.app).post('/manage/demo').type('form').send({ email: 'not an address' })).status).toBe(400);
  });

  it('no longer opens anything once the member is erased', async () => {
    await member({ id: 'mgr_er', email: 'er@example.com' });
    await sender().drain();
    const link = linkIn(smtp.messages[0]!.text)!;
    expect((await request(t.app).get(link)).status).toBe(200);
    const demo = (await findPublicationBySlug(t.database.db, 'demo'))!;
    await eraseSupporterByEmail(t.database.db, demo, 'er@example.com', new Date());
    expect((await request(t.app).get(link)).status).toBe(410);
  });

  it('puts a 7-day link in the thank-you to a new member', async () => {
    await member({ id: 'mgr_cy', email: 'cy@example.com' });
    await sender().drain();
    const link = linkIn(smtp.messages[0]!.text)!;
    ahead += 6 * 86_400_000;
    expect((await request(t.app).get(link)).status).toBe(200);
  });
});

describe('a failed membership payment', () => {
  const failRenewal = async (id: string, n: number) => {
    const failed = invoice({
      id: `in_${id}_2`,
      customer: `cus_${id}`,
      subscription: `sub_${id}`,
      amount: 500,
      created: now(),
      publication: 'demo',
      email: `${id}@example.com`,
      paid: false,
    });
    await deliver(t.app, stripeEvent('invoice.payment_failed', failed, { id: `evt_${id}_fail_${n}`, created: now() }));
    return failed;
  };

  it('e-mails a link to update the card, once however often Stripe retries, and reminds 3 days later if still unpaid', async () => {
    await member({ id: 'fp_dee', email: 'fp_dee@example.com', locale: 'it' });
    await sender().drain();
    smtp.messages.length = 0;
    await failRenewal('fp_dee', 1);
    await failRenewal('fp_dee', 2); // Stripe's own retry fails again
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.subject).toBe('Il tuo pagamento a The Demo Daily non è andato a buon fine');
    expect(smtp.messages[0]!.text).toContain('5\u00a0€/mese');
    const link = linkIn(smtp.messages[0]!.text)!;
    expect((await request(t.app).get(link)).status).toBe(200);

    ahead += 3 * 86_400_000 + 60_000;
    await sender().drain();
    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'Il tuo pagamento a The Demo Daily non è andato a buon fine',
      'Promemoria: aggiorna la carta per The Demo Daily',
    ]);
  });

  it('sends no reminder once the invoice is paid', async () => {
    await member({ id: 'fp_eve', email: 'fp_eve@example.com' });
    await sender().drain();
    smtp.messages.length = 0;
    const failed = await failRenewal('fp_eve', 1);
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    await deliver(
      t.app,
      stripeEvent(
        'invoice.paid',
        { ...failed, status: 'paid', amount_paid: 500, amount_remaining: 0 },
        { id: 'evt_fp_eve_paid', created: now() },
      ),
    );
    ahead += 3 * 86_400_000 + 60_000;
    await sender().drain();
    expect(smtp.messages).toHaveLength(1);
    const rows = await t.database.db.selectFrom('outbound_emails').select(['kind', 'status', 'last_error']).orderBy('id').execute();
    expect(rows.at(-1)).toEqual({ kind: 'payment_failed_reminder', status: 'skipped', last_error: 'paid since' });
  });
});
