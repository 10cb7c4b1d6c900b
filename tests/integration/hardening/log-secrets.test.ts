/**
 * Secrets never appear in logs (hardening issue, point 2). The real server runs as a child process
 * with LOG_LEVEL=debug, a secret key, a webhook secret and a stub Stripe API on 127.0.0.1. A full
 * run drives checkout (success, Stripe errors, validation errors with e-mails in the body), signed
 * webhooks full of e-mail addresses, forged ones, reports with an API key, privacy requests, pages
 * and 404s; then everything the process wrote to stdout and stderr must contain no secret key, no
 * webhook secret, no API key (except the one line of the first start that prints the demo
 * dashboard key on purpose), no signature and no e-mail address.
 * On the embedded database without DATABASE_URL; on a fresh Postgres database with it.
 * HARDENING_LOG_DUMP=file writes the captured log there, to look at.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFreshPostgresDatabase,
  type FreshDatabase,
  freePort,
  type ServerProcess,
  spawnServer,
  startStubStripe,
  type StubStripe,
  stopServer,
  waitForReady,
} from '../../helpers/hardening-server.js';
import { checkoutSession, customer, invoice, stripeEvent } from '../../helpers/stripe-objects.js';
import { signPayload } from '../../helpers/webhook-delivery.js';

const SECRET_KEY = `sk_test_${randomBytes(16).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
/** Any e-mail address, also percent-encoded (%40) as URLSearchParams writes it. */
// eslint-disable-next-line regexp/no-super-linear-move -- scans this test's own logs, not anyone's input
const EMAIL = /[\w.%+-]+(?:@|%40)[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/gi;

const dataDir = mkdtempSync(path.join(tmpdir(), 'favour-logs-'));
let stub: StubStripe | undefined;
let server: ServerProcess | undefined;
let database: FreshDatabase | undefined;

afterAll(async () => {
  await stopServer(server);
  await stub?.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Stripe as the SDK sees it: sessions created (or refused, by amount), retrieved, portals opened. */
function stripeStub(publicUrl: () => string) {
  let sessions = 0;
  return startStubStripe((req) => {
    const form = new URLSearchParams(req.body);
    if (req.method === 'POST' && req.path === '/v1/checkout/sessions') {
      const amount = form.get('line_items[0][price_data][unit_amount]');
      const email = form.get('customer_email') ?? '';
      // What Stripe really answers for an address it does not accept: the address, in the message.
      if (amount === '4242')
        return {
          status: 400,
          body: {
            error: {
              type: 'invalid_request_error',
              code: 'email_invalid',
              param: 'customer_email',
              message: `Invalid email address: ${email}`,
            },
          },
        };
      if (amount === '5000')
        return {
          status: 500,
          body: { error: { type: 'api_error', message: `An unknown error occurred while creating a session for ${email}` } },
        };
      const id = `cs_test_stub${++sessions}`;
      return {
        status: 200,
        body: {
          id,
          object: 'checkout.session',
          url: `https://checkout.stripe.com/c/pay/${id}`,
          payment_status: 'unpaid',
          customer_email: email,
        },
      };
    }
    const retrieve = /^\/v1\/checkout\/sessions\/(cs_\w+)/.exec(req.path);
    if (req.method === 'GET' && retrieve) {
      // The reader came from a newsletter link that carried their address.
      const article = retrieve[1]!.includes('portalfail')
        ? `${publicUrl()}/2026/story?ref=portal.reader@example.com`
        : `${publicUrl()}/2026/story`;
      const session = checkoutSession({
        id: retrieve[1]!,
        mode: 'subscription',
        amount: 800,
        email: 'portal.reader@example.com',
        customer: 'cus_portal',
        publication: 'demo',
        article_url: article,
        interval: 'month',
        created: Math.floor(Date.now() / 1000),
      });
      return { status: 200, body: session };
    }
    if (req.method === 'POST' && req.path === '/v1/billing_portal/sessions') {
      const returnUrl = form.get('return_url') ?? '';
      // Stripe quotes a parameter it refuses.
      if (returnUrl.includes('portal.reader'))
        return {
          status: 400,
          body: { error: { type: 'invalid_request_error', param: 'return_url', message: `Invalid URL: ${returnUrl}` } },
        };
      return { status: 200, body: { id: 'bps_1', object: 'billing_portal.session', url: 'https://billing.stripe.com/p/session/test_1' } };
    }
    if (req.method === 'GET' && req.path.startsWith('/v1/events'))
      return { status: 200, body: { object: 'list', data: [], has_more: false, url: '/v1/events' } };
    return {
      status: 404,
      body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path})` } },
    };
  });
}

describe('logs of a full run', () => {
  it('contain no secret key, webhook secret, API key, signature or e-mail address', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const publicUrl = `http://localhost:${port}`;
    stub = await stripeStub(() => publicUrl);
    if (process.env.DATABASE_URL) database = await createFreshPostgresDatabase('favour_logs');
    server = spawnServer(port, {
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url ?? '',
      LOG_LEVEL: 'debug',
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_URL: stub.url,
      RATE_LIMIT_CHECKOUT_IP: '100/600',
    });
    await waitForReady(server);
    // The first start prints the demo dashboard key, once, on purpose.
    await waitForOutput(server, /API key (fav_[\w-]+)/);
    const apiKey = /API key (fav_[\w-]+)/.exec(server.output())![1]!;
    const article = `${publicUrl}/2026/story`;

    const json = (p: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        redirect: 'manual',
      });
    const form = (p: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${base}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
        redirect: 'manual',
      });
    const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers, redirect: 'manual' });
    const statuses: Record<string, number> = {};
    const note = async (name: string, response: Promise<Response>) => {
      const res = await response;
      await res.arrayBuffer();
      statuses[name] = res.status;
    };

    // Checkout: successes, Stripe refusing the reader's address, Stripe down, bad input.
    const valid = { publication: 'demo', amount: 1500, currency: 'eur', interval: 'once', article_url: article };
    await note(
      'checkout ok',
      json('/api/checkout', { ...valid, email: 'happy.reader@example.com' }, { 'idempotency-key': 'click-happy.reader@example.com' }),
    );
    await note('checkout form ok', form('/api/checkout', { ...valid, amount: '700', email: 'form.reader@example.com', interval: 'month' }));
    await note('checkout stripe 400', json('/api/checkout', { ...valid, amount: 4242, email: 'refused.reader@example.com' }));
    await note('checkout stripe 500', json('/api/checkout', { ...valid, amount: 5000, email: 'unlucky.reader@example.com' }));
    await note('checkout invalid amount', json('/api/checkout', { ...valid, amount: 'ten', email: 'typo.reader@example.com' }));
    await note('checkout invalid email', json('/api/checkout', { ...valid, email: 'half.address@' }));
    await note('checkout unknown field', json('/api/checkout', { ...valid, coupon: 'friend@example.com' }));
    await note('checkout broken json', json('/api/checkout', '{"publication":"demo","email":"broken.json@example.com",'));
    await note('checkout form invalid', form('/api/checkout', { ...valid, amount: '-1', email: 'form.typo@example.com' }));
    await note('checkout too large', json('/api/checkout', { ...valid, email: 'big.body@example.com', variant: 'x'.repeat(20_000) }));
    // A member who came from a newsletter link that carried their address (cs_test_stub3).
    await note(
      'checkout member',
      form('/api/checkout', { ...valid, amount: '800', interval: 'month', article_url: `${article}?ref=portal.reader@example.com` }),
    );

    // Webhooks full of e-mail addresses; a redelivery; forged and stale signatures.
    const now = Math.floor(Date.now() / 1000);
    const meta = { publication: 'demo', article_url: article };
    const events = [
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_logs_1',
          email: 'webhook.reader@example.com',
          name: 'Wanda Webhook',
          customer: 'cus_logs_1',
          created: now,
          ...meta,
        }),
        { id: 'evt_logs_1', created: now },
      ),
      stripeEvent('customer.updated', customer({ id: 'cus_logs_1', email: 'changed.address@example.org', name: 'Wanda W.' }), {
        id: 'evt_logs_2',
        created: now + 1,
        previous_attributes: { email: 'webhook.reader@example.com' },
      }),
      stripeEvent(
        'invoice.paid',
        invoice({
          id: 'in_logs_1',
          customer: 'cus_logs_2',
          subscription: 'sub_logs_2',
          amount: 900,
          email: 'member.reader@example.net',
          created: now,
          ...meta,
        }),
        { id: 'evt_logs_3', created: now },
      ),
      stripeEvent('checkout.session.completed', checkoutSession({ id: 'cs_logs_foreign', email: 'other.product@example.com' }), {
        id: 'evt_logs_4',
        created: now,
      }),
    ];
    for (const event of [...events, events[0]!]) {
      const payload = JSON.stringify(event);
      await note(
        `webhook ${event.id}`,
        json('/webhooks/stripe', payload, { 'stripe-signature': signPayload(payload, { secret: WEBHOOK_SECRET }) }),
      );
    }
    const forged = JSON.stringify(events[0]);
    await note(
      'webhook wrong secret',
      json('/webhooks/stripe', forged, { 'stripe-signature': signPayload(forged, { secret: 'whsec_not_the_right_one' }) }),
    );
    await note(
      'webhook stale',
      json('/webhooks/stripe', forged, { 'stripe-signature': signPayload(forged, { secret: WEBHOOK_SECRET, timestamp: now - 3600 }) }),
    );
    await note('webhook unsigned', json('/webhooks/stripe', forged));
    await note(
      'webhook signed garbage',
      json('/webhooks/stripe', '{"email":"garbage@example.com"}', {
        'stripe-signature': signPayload('{"email":"garbage@example.com"}', { secret: WEBHOOK_SECRET }),
      }),
    );

    // Stripe's deliveries are applied after they are acknowledged: the privacy requests below read what they wrote.
    await expect
      .poll(async () => ((await (await fetch(`${base}/readyz`)).json()) as { webhooks: { pending: number } }).webhooks.pending, {
        timeout: 20_000,
      })
      .toBe(0);

    // Reports and privacy requests with the key; a wrong key.
    const auth = { authorization: `Bearer ${apiKey}` };
    await note('summary', get('/api/reports/summary', auth));
    await note('supporters', get('/api/reports/supporters?q=webhook.reader@example.com', auth));
    await note('supporters.csv', get('/api/reports/supporters.csv', auth));
    await note('donations.csv', get('/api/reports/donations.csv', auth));
    await note('export raw', get('/api/supporters/export?email=changed.address@example.org', auth));
    await note('export encoded', get(`/api/supporters/export?${new URLSearchParams({ email: 'member.reader@example.net' })}`, auth));
    await note('erase', json('/api/supporters/erase', { email: 'nobody.here@example.com' }, auth));
    await note('wrong key', get('/api/reports/summary', { authorization: 'Bearer fav_this_is_not_a_valid_key_at_all' }));
    await note('other publication', get('/api/reports/summary?publication=italia', auth));

    // Pages, beacons and errors that carry addresses in the URL.
    await note('thanks', get('/thanks?session_id=cs_test_stub1&email=thanks.reader@example.com'));
    // The paying browser gets its pass on the thank-you page; Stripe refuses the second portal, quoting the address.
    const passOf = async (sessionId: string) => {
      const res = await get(`/thanks?session_id=${sessionId}`);
      await res.arrayBuffer();
      return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! };
    };
    await note('portal stranger', form('/billing-portal', { session_id: 'cs_test_stub2' }));
    await note('portal', form('/billing-portal', { session_id: 'cs_test_stub2' }, await passOf('cs_test_stub2')));
    await note('portal refused', form('/billing-portal', { session_id: 'cs_test_stub3' }, await passOf('cs_test_stub3')));
    await note('donate', get(`/donate/demo?article=${encodeURIComponent(`${article}?from=newsletter.reader@example.com`)}`));
    await note(
      'beacon',
      json('/api/events', { publication: 'demo', type: 'impression', article_url: `${article}?ref=beacon.reader@example.com` }),
    );
    await note('404 path', get('/nope/lost.reader@example.com'));
    await note('404 encoded path', get('/api/widget/who%40example.com'));
    await note('nul', get('/donate/%00?email=nul.reader@example.com'));

    expect(statuses).toMatchObject({
      'checkout ok': 201,
      'checkout form ok': 303,
      'checkout stripe 400': 502,
      'checkout stripe 500': 502,
      'checkout invalid amount': 400,
      'checkout broken json': 400,
      'webhook evt_logs_1': 200,
      'webhook wrong secret': 400,
      'webhook stale': 400,
      summary: 200,
      'export raw': 200,
      'export encoded': 200,
      'wrong key': 401,
      thanks: 200,
      'checkout member': 303,
      'portal stranger': 403,
      portal: 303,
      'portal refused': 502,
    });
    const exit = server.exited;
    server.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const output = server.output();
    if (process.env.HARDENING_LOG_DUMP) writeFileSync(process.env.HARDENING_LOG_DUMP, output);

    // The capture works: the run is in the log, with request lines, events and Stripe failures.
    expect(output).toContain('evt_logs_1');
    expect(output).toContain('stripe checkout session create failed');
    expect(output).toContain('billing portal session create failed');
    expect(output).toContain('report request');
    expect(output).toContain('/api/supporters/export');
    expect(output.split('\n').filter((line) => line.includes('"req":')).length).toBeGreaterThan(30);

    const lines = output.split('\n');
    const welcome = lines.filter((line) => line.includes(apiKey));
    expect(welcome, 'the key is printed once, in the welcome line').toHaveLength(1);
    expect(welcome[0]).toContain('(shown once)');
    const rest = lines.filter((line) => line !== welcome[0]).join('\n');
    const found = {
      secretKey: output.includes(SECRET_KEY) || /\b[sr]k_(?:test|live)_\w+/.test(output),
      webhookSecret: output.includes(WEBHOOK_SECRET) || /whsec_\w+/.test(output),
      apiKeys: rest.match(/fav_[\w-]{6,}/g) ?? [],
      signatures: output.match(/v1=[0-9a-f]+/g) ?? [],
      emails: output.match(EMAIL) ?? [],
    };
    expect(found).toEqual({ secretKey: false, webhookSecret: false, apiKeys: [], signatures: [], emails: [] });
  }, 120_000);
});

async function waitForOutput(s: ServerProcess, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(s.output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
