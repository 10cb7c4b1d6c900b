/**
 * `favour stripe setup` and `favour stripe check` (issue 11, point 10): favour's webhook endpoint is made through
 * Stripe's API with the pinned API version and exactly the event types favour handles, never by hand.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../src/cli/main.js';
import { STRIPE_API_VERSION } from '../../../src/stripe/stripe-client.js';
import { WANTED_EVENT_TYPES } from '../../../src/stripe/webhook-endpoint.service.js';
import { HANDLED_EVENT_TYPES } from '../../../src/webhooks/apply-event.js';

const URL_ = 'https://news.example/webhooks/stripe';
const saved = { STRIPE_SECRET_KEY: process.env.STRIPE_SECRET_KEY, STRIPE_API_URL: process.env.STRIPE_API_URL };
beforeAll(() => {
  process.env.STRIPE_SECRET_KEY = 'sk_test_favour_cli';
  process.env.STRIPE_API_URL = 'http://stripe.test';
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
});
afterEach(() => {
  nock.cleanAll();
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ out: string; exitCode: number }> {
  const out: string[] = [];
  const cli = buildCli({ out: (l) => out.push(l), err: (l) => out.push(l) }).exitOverride();
  await cli.parseAsync(['node', 'favour', ...args]);
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { out: out.join('\n'), exitCode };
}

function endpoint(o: { id: string; url?: string; api_version?: string | null; status?: string; enabled_events?: string[] }) {
  return {
    id: o.id,
    object: 'webhook_endpoint',
    url: o.url ?? URL_,
    api_version: o.api_version === undefined ? STRIPE_API_VERSION : o.api_version,
    status: o.status ?? 'enabled',
    enabled_events: o.enabled_events ?? [...WANTED_EVENT_TYPES],
    livemode: false,
    metadata: {},
    description: null,
    created: 1_767_225_600,
  };
}
const list = (...data: object[]) => ({ object: 'list', url: '/v1/webhook_endpoints', has_more: false, data });
const form = (body: string) => {
  const params = new URLSearchParams(body);
  const events = [...params.entries()].filter(([k]) => k.startsWith('enabled_events')).map(([, v]) => v);
  return { params, events };
};

describe('favour stripe setup', () => {
  it('creates the endpoint with the pinned API version and exactly the handled event types, and prints the secret once', async () => {
    let sent: ReturnType<typeof form> | undefined;
    const scope = nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(200, list(endpoint({ id: 'we_elsewhere', url: 'https://other.example/hook', api_version: null })))
      .post('/v1/webhook_endpoints', (body: string) => {
        sent = form(body);
        return true;
      })
      .reply(200, { ...endpoint({ id: 'we_new' }), secret: 'whsec_new_secret' });
    const { out, exitCode } = await run('stripe', 'setup', '--url', URL_);
    expect(scope.isDone()).toBe(true);
    expect(exitCode).toBe(0);
    expect(sent?.params.get('url')).toBe(URL_);
    expect(sent?.params.get('api_version')).toBe(STRIPE_API_VERSION);
    expect(sent?.events.sort()).toEqual([...HANDLED_EVENT_TYPES].sort());
    expect(out).toContain(`created we_new ${URL_} (API version ${STRIPE_API_VERSION}, ${HANDLED_EVENT_TYPES.length} event types, enabled)`);
    expect(out).toContain('STRIPE_WEBHOOK_SECRET=whsec_new_secret');
    expect(out).not.toContain('we_elsewhere'); // another URL's endpoint is none of favour's business
  });

  it('replaces an endpoint left on another API version (Stripe cannot change it) and says so, as JSON for scripts', async () => {
    const scope = nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(200, list(endpoint({ id: 'we_old', api_version: '2024-06-20' })))
      .post('/v1/webhook_endpoints')
      .reply(200, { ...endpoint({ id: 'we_new' }), secret: 'whsec_new_secret' })
      .delete('/v1/webhook_endpoints/we_old')
      .reply(200, { id: 'we_old', object: 'webhook_endpoint', deleted: true });
    const { out } = await run('stripe', 'setup', '--url', URL_, '--json');
    expect(scope.isDone()).toBe(true);
    expect(JSON.parse(out)).toMatchObject({
      action: 'created',
      endpoint: { id: 'we_new', url: URL_, api_version: STRIPE_API_VERSION, status: 'enabled' },
      secret: 'whsec_new_secret',
      removed: [{ id: 'we_old', api_version: '2024-06-20' }],
    });
  });

  it('updates favour’s endpoint in the right version (events, enabled) and keeps its secret', async () => {
    let sent: ReturnType<typeof form> | undefined;
    const partial = WANTED_EVENT_TYPES.filter((t) => !t.startsWith('charge.dispute')).concat('payment_intent.created');
    const scope = nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(200, list(endpoint({ id: 'we_keep', status: 'disabled', enabled_events: partial })))
      .post('/v1/webhook_endpoints/we_keep', (body: string) => {
        sent = form(body);
        return true;
      })
      .reply(200, endpoint({ id: 'we_keep' }));
    const { out } = await run('stripe', 'setup', '--url', URL_);
    expect(scope.isDone()).toBe(true);
    expect(sent?.events.sort()).toEqual([...WANTED_EVENT_TYPES]);
    expect(sent?.params.get('disabled')).toBe('false');
    expect(out).toContain('updated we_keep');
    expect(out).toContain('signing secret is unchanged');
    expect(out).not.toContain('whsec_');
  });

  it('refuses what is not a URL before asking Stripe', async () => {
    await expect(run('stripe', 'setup', '--url', 'news.example/webhooks')).rejects.toThrow(/not a URL/);
  });
});

describe('favour stripe check', () => {
  it('says what differs from what favour needs and exits 1', async () => {
    nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(
        200,
        list(endpoint({ id: 'we_default', api_version: null, enabled_events: WANTED_EVENT_TYPES.filter((t) => t !== 'invoice.paid') })),
      );
    const { out, exitCode } = await run('stripe', 'check', '--url', URL_);
    expect(exitCode).toBe(1);
    expect(out).toContain('we_default https://news.example/webhooks/stripe (API version account default');
    expect(out).toContain(`API version (the account's default), favour needs ${STRIPE_API_VERSION}`);
    expect(out).toContain('missing event types: invoice.paid');
    expect(out).toMatch(/not ok/);
  });

  it('reports a missing endpoint, and two for one URL, as JSON', async () => {
    nock('http://stripe.test').get('/v1/webhook_endpoints').query(true).reply(200, list());
    const none = await run('stripe', 'check', '--url', URL_, '--json');
    expect(none.exitCode).toBe(1);
    expect(JSON.parse(none.out)).toMatchObject({ ok: false, endpoints: [], problems: [expect.stringContaining('favour stripe setup')] });

    nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(200, list(endpoint({ id: 'we_a' }), endpoint({ id: 'we_b' })));
    const two = JSON.parse((await run('stripe', 'check', '--url', URL_, '--json')).out);
    expect(two.ok).toBe(false);
    expect(two.problems[0]).toMatch(/2 endpoints/);
  });

  it('is ok, exit 0, when the endpoint is what favour needs', async () => {
    nock('http://stripe.test')
      .get('/v1/webhook_endpoints')
      .query(true)
      .reply(200, list(endpoint({ id: 'we_good' })));
    const { out, exitCode } = await run('stripe', 'check', '--url', URL_);
    expect(exitCode).toBe(0);
    expect(out).toContain('we_good');
    expect(out.split('\n').at(-1)).toBe('ok');
  });
});
