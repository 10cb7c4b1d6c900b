/**
 * Hostile input at every endpoint (hardening issue, point 1). fast-check throws random and
 * malformed bodies, headers, query strings and paths at the app. For every answer:
 *   - never a 5xx; every JSON error is { error: { code, message } } without a stack trace;
 *   - invalid input never calls Stripe (nock has no interceptors; a 'no match' listener records
 *     every outgoing request that is not to 127.0.0.1);
 *   - invalid input never changes the database (a row count and checksum of every table, taken
 *     before and after each property).
 * The database holds real data (the reports' known history in "demo", another in "italia") so
 * lookups can find things. Runs scale with HARDENING_FUZZ_SCALE (default 1); HARDENING_FUZZ_SEED
 * replays a reported seed.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fc from 'fast-check';
import { widgetCountersOf } from '../../../src/app.js';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api-keys/api-key.service.js';
import type { PublicationRow } from '../../../src/db/tables/publication.table.js';
import { parseMajorAmount } from '../../../src/money/parse-amount.js';
import {
  brokenRecord,
  changedTables,
  checkAnswer,
  contentTypes,
  databaseFingerprint,
  extraHeaders,
  guardOutgoingCalls,
  headerText,
  hostileJsonValue,
  hostilePath,
  hostileQuery,
  hostileRecord,
  hostileSegment,
  hostileString,
  malformedJsonText,
  type OutgoingCall,
  send,
} from '../../helpers/hardening-fuzz.js';
import { italiaHistory } from '../../helpers/hardening-history.js';
import { deliverAll, knownHistory } from '../../helpers/report-history.js';
import { checkoutSession, stripeEvent } from '../../helpers/stripe-objects.js';
import { createTestApp, TEST_STRIPE_KEY, TEST_WEBHOOK_SECRET, type TestApp } from '../../helpers/test-app.js';
import { signPayload } from '../../helpers/webhook-delivery.js';

const SCALE = Number(process.env.HARDENING_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const fcOptions = (n: number) => ({
  numRuns: runs(n),
  ...(process.env.HARDENING_FUZZ_SEED ? { seed: Number(process.env.HARDENING_FUZZ_SEED) } : {}),
  // Shrinking replays requests; keep a failure report well inside the test timeout.
  interruptAfterTimeLimit: 60_000,
});

const NOW = new Date('2026-03-31T12:00:00Z');
let t: TestApp;
let server: Server;
let demo: PublicationRow;
let demoKey: string;
let italiaKey: string;
let knownEmails: Set<string>;
let guard: ReturnType<typeof guardOutgoingCalls>;
let port: number;
/** One request to the app, the path sent verbatim, redirects never followed. */
const http = (method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}) =>
  send(port, method, path, options);

beforeAll(async () => {
  // No SDK retries: an (unexpected) Stripe call fails at once instead of backing off.
  const stripe = new Stripe(TEST_STRIPE_KEY, { host: 'stripe.test', port: 80, protocol: 'http', maxNetworkRetries: 0 });
  t = await createTestApp({ now: () => NOW, stripe });
  await deliverAll(t.app, knownHistory());
  await deliverAll(t.app, italiaHistory());
  // A little widget traffic too, so the funnel counters are not empty.
  for (const type of ['impression', 'click'] as const) {
    await request(t.app)
      .post('/api/events')
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ publication: 'demo', type, article_url: 'https://news.example/2026/city-hall' }));
  }
  const pubs = await t.database.db.selectFrom('publications').selectAll().execute();
  demo = pubs.find((p) => p.slug === 'demo')!;
  const italia = pubs.find((p) => p.slug === 'italia')!;
  demoKey = (await createApiKey(t.database.db, demo.id, 'fuzz')).key;
  italiaKey = (await createApiKey(t.database.db, italia.id, 'fuzz')).key;
  // A key records its first use (then at most once a minute; the clock is frozen): use each once now.
  for (const key of [demoKey, italiaKey])
    await request(t.app).get('/api/reports/summary').set('authorization', `Bearer ${key}`).expect(200);
  knownEmails = new Set((await t.database.db.selectFrom('supporters').select('email').execute()).map((r) => r.email));
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
  guard = guardOutgoingCalls();
});

// A failed run may leave its calls behind: each test starts with a clean record.
beforeEach(() => void guard.take());

afterAll(async () => {
  guard?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
});

/** Runs a property and proves it left every table exactly as it found it. */
async function withoutDatabaseChange(run: () => Promise<void>): Promise<void> {
  await widgetCountersOf(t.app).flush();
  const before = await databaseFingerprint(t.database.db);
  await run();
  await widgetCountersOf(t.app).flush(); // beacon counts wait in memory for up to a second
  const after = await databaseFingerprint(t.database.db);
  expect(changedTables(before, after), 'tables changed by invalid input').toEqual([]);
}

/** No outgoing call since the last check (or only those `allowed` accepts). */
function expectNoStripeCall(what: string, allowed: (call: OutgoingCall) => boolean = () => false): void {
  const calls = guard.take();
  const refused = calls.filter((c) => !allowed(c));
  if (refused.length > 0) throw new Error(`${what} called out: ${JSON.stringify(refused)}`);
}

const describeInput = (o: unknown) => {
  try {
    return JSON.stringify(o, (_k, v) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v));
  } catch {
    return String(o);
  }
};

// ------------------------------------------------------------------------------------------------
// POST /api/checkout
// ------------------------------------------------------------------------------------------------

const CHECKOUT_FIELDS = [
  'publication',
  'amount',
  'other_amount',
  'currency',
  'interval',
  'article_url',
  'locale',
  'variant',
  'email',
] as const;

/** True when an amount (a JSON value or a form string) is one demo would accept. */
function isAcceptableAmount(value: unknown, currency = 'eur'): boolean {
  const settings = demo.currencies[currency];
  if (!settings) return false;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+(?:\.\d+)?$/.test(value.trim())
        ? Number(value.trim())
        : Number.NaN;
  return Number.isSafeInteger(n) && n >= settings.min && n <= settings.max;
}

function isOnDemoSite(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const text = value.trim();
  if (text.length === 0 || text.length > 490) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && demo.origins.includes(url.origin);
  } catch {
    return false;
  }
}

/**
 * Conservative, independent of the service's own validation: true only when some field is
 * certainly unacceptable for demo (so the service must answer 4xx without calling Stripe).
 */
function certainlyInvalidCheckout(body: Record<string, unknown>): boolean {
  const keys = Object.keys(body);
  if (keys.some((k) => !(CHECKOUT_FIELDS as readonly string[]).includes(k))) return true;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  // (A body for italia is judged by nobody here: never counted as certainly invalid.)
  if (body.publication === 'italia') return false;
  if (body.publication !== 'demo') return true;
  const currency = str(body.currency)?.trim().toLowerCase();
  if (!currency || !Object.keys(demo.currencies).includes(currency)) return true;
  if (!['once', 'month', 'year'].includes(str(body.interval) ?? '')) return true;
  if (!isOnDemoSite(body.article_url)) return true;
  if ('email' in body && (typeof body.email !== 'string' || !body.email.includes('@') || body.email.length > 254)) return true;
  if ('locale' in body && !/^[A-Z]{2,3}(?:-[A-Z0-9]{2,8})*$/i.test(str(body.locale)?.trim() ?? '!')) return true;
  if ('variant' in body && !/^[\w.-]{1,64}$/.test(str(body.variant)?.trim() ?? '!')) return true;
  if ('other_amount' in body) {
    const other = body.other_amount;
    if (typeof other !== 'string' || other.trim().length > 20) return true;
    if (other.trim() !== '') {
      const parsed = parseMajorAmount(other.trim(), currency);
      return parsed === undefined || !isAcceptableAmount(parsed, currency);
    }
  }
  return !isAcceptableAmount(body.amount, currency);
}

const VALID_CHECKOUT = {
  publication: 'demo',
  amount: 1000,
  currency: 'eur',
  interval: 'once',
  article_url: 'https://news.example/2026/city-hall',
};

const checkoutBreakers: Array<[string, fc.Arbitrary<unknown>]> = [
  ['publication', fc.oneof(hostileString, hostileJsonValue)],
  [
    'amount',
    fc.oneof(
      hostileJsonValue,
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.constantFrom(0, 49, -1, 10.5, 1e21, 2 ** 53, '500.5', '1e3', ' ', '0x1F4', '１０００'),
    ),
  ],
  ['currency', fc.oneof(hostileString, hostileJsonValue, fc.constantFrom('jpy', 'gbp', 'EUR ', 'eu r', 'usd\u0000'))],
  ['interval', fc.oneof(hostileString, hostileJsonValue, fc.constantFrom('ONCE', ' once', 'week', 'day'))],
  [
    'article_url',
    fc.oneof(
      hostileString,
      hostileJsonValue,
      fc.webUrl().map((u) => u.slice(0, 480)),
    ),
  ],
  ['email', fc.oneof(hostileString, hostileJsonValue)],
  ['locale', fc.oneof(hostileString, hostileJsonValue)],
  ['variant', fc.oneof(hostileString, hostileJsonValue)],
  [
    'other_amount',
    fc.oneof(hostileString, hostileJsonValue, fc.constantFrom('12.345', '-5', '0', '0,001', '1e3', 'ten', '99999999999999')),
  ],
];

const checkoutBody: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 3, arbitrary: brokenRecord(VALID_CHECKOUT, checkoutBreakers) },
  { weight: 1, arbitrary: hostileRecord(CHECKOUT_FIELDS) },
);

/** Encodes an object as an HTML form would (arrays as repeated keys, objects as JSON text). */
function toForm(body: Record<string, unknown>): { text: string; decoded: Record<string, unknown> } {
  const params = new URLSearchParams();
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const values = Array.isArray(value) ? (value.length > 0 ? value : ['[]']) : [value];
    const texts = values.map((v) => (typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)));
    for (const text of texts) params.append(key, text);
    decoded[key] = texts.length === 1 ? texts[0] : texts;
  }
  return { text: params.toString(), decoded };
}

describe('POST /api/checkout under hostile input', () => {
  it('answers malformed and invalid JSON bodies with a 4xx error, no Stripe call and no database change', async () => {
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { weight: 4, arbitrary: checkoutBody.map((b) => ({ kind: 'object' as const, body: b })) },
            { weight: 1, arbitrary: malformedJsonText.map((text) => ({ kind: 'text' as const, text })) },
          ),
          extraHeaders,
          async (input, headers) => {
            let payload: string;
            if (input.kind === 'object') {
              // JSON.parse on the server yields the same own keys (including a literal "__proto__").
              fc.pre(certainlyInvalidCheckout(JSON.parse(JSON.stringify(input.body)) as Record<string, unknown>));
              payload = JSON.stringify(input.body);
            } else {
              payload = input.text;
            }
            const res = await http('POST', '/api/checkout', { headers: { ...headers, 'content-type': 'application/json' }, body: payload });
            const what = `POST /api/checkout json ${describeInput(input)} ${describeInput(headers)}`;
            checkAnswer(res, what);
            expect(res.status, what).toBeGreaterThanOrEqual(400);
            expect(res.status, what).toBeLessThan(500);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(300),
      ),
    );
  }, 120_000);

  it('answers invalid HTML form posts with a 4xx, no Stripe call and no database change', async () => {
    const rawForm = fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...CHECKOUT_FIELDS), fc.string({ maxLength: 8 })), hostileString), { maxLength: 25 })
      .map((pairs) => {
        const params = new URLSearchParams();
        for (const [k, v] of pairs) params.append(k, v.replace(/[\ud800-\udfff]/g, '\u0000'));
        return params.toString();
      });
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            checkoutBody.map((b) => toForm(b)),
            rawForm.map((text) => ({ text, decoded: undefined })),
            fc
              .constantFrom(
                '%',
                '%zz=1',
                'a=%E0%A4%A',
                '&&&=&=',
                'publication=demo&publication=demo',
                `${'x=1&'.repeat(30)}`,
                'amount[]=1&amount[]=2',
              )
              .map((text) => ({ text, decoded: undefined })),
          ),
          async (form) => {
            if (form.decoded) fc.pre(certainlyInvalidCheckout(form.decoded));
            else fc.pre(!/publication=demo/.test(form.text) || !/article_url=/.test(form.text));
            const res = await http('POST', '/api/checkout', {
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: form.text,
            });
            const what = `POST /api/checkout form ${describeInput(form.text)}`;
            checkAnswer(res, what);
            expect(res.status, what).toBeGreaterThanOrEqual(400);
            expect(res.status, what).toBeLessThan(500);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(200),
      ),
    );
  }, 120_000);

  it('refuses a valid body sent with the wrong content type or a bad Idempotency-Key, without calling Stripe', async () => {
    const notAccepted = contentTypes.filter((type) => {
      const media = type.split(';')[0]!.trim().toLowerCase();
      return media !== 'application/json' && media !== 'application/x-www-form-urlencoded';
    });
    // Header values lose surrounding white space on the way: the bad character sits inside.
    const badIdempotencyKey = fc.oneof(
      fc.constant('x'.repeat(201)),
      fc.string({ maxLength: 30 }).map((s) => `a b${s}`),
      fc.string({ maxLength: 30 }).map((s) => `${s}a\tb`),
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            notAccepted.map((type) => ({ type, key: undefined as string | undefined })),
            badIdempotencyKey.map((key) => ({ type: 'application/json', key })),
          ),
          async ({ type, key }) => {
            const res = await http('POST', '/api/checkout', {
              headers: { 'content-type': type, ...(key !== undefined ? { 'idempotency-key': key } : {}) },
              body: JSON.stringify(VALID_CHECKOUT),
            });
            const what = `POST /api/checkout content-type ${JSON.stringify(type)} idempotency-key ${JSON.stringify(key)}`;
            checkAnswer(res, what);
            expect([400, 413, 415], what).toContain(res.status);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(100),
      ),
    );
  }, 60_000);
});

// ------------------------------------------------------------------------------------------------
// POST /webhooks/stripe
// ------------------------------------------------------------------------------------------------

const realEventPayload = JSON.stringify(
  stripeEvent(
    'checkout.session.completed',
    checkoutSession({
      id: 'cs_fuzz_forged',
      amount: 99_999,
      publication: 'demo',
      article_url: 'https://news.example/x',
      email: 'forged@example.com',
    }),
    {
      id: 'evt_fuzz_forged',
      created: Math.floor(Date.now() / 1000),
    },
  ),
);

const forgedSignature = fc.oneof(
  headerText,
  fc.constantFrom(
    't=',
    'v1=',
    't=1,v1=',
    't=abc,v1=def',
    `t=${Math.floor(Date.now() / 1000)}`,
    'v0=deadbeef',
    ',,,',
    't=1,t=2,v1=aa,v1=bb',
  ),
  fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.stringMatching(/^[0-9a-f]{64}$/)).map(([ts, hex]) => `t=${ts},v1=${hex}`),
  fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `t=${Math.floor(Date.now() / 1000)},v1=${hex}`),
);

describe('POST /webhooks/stripe under hostile input', () => {
  it('answers unsigned, forged, stale and tampered deliveries with 400 and writes nothing', async () => {
    const now = () => Math.floor(Date.now() / 1000);
    const attack = fc.oneof(
      // Random bodies, random or no signature header.
      fc
        .tuple(fc.oneof(malformedJsonText, fc.constant(realEventPayload)), fc.option(forgedSignature, { nil: undefined }))
        .map(([body, signature]) => ({ body, signature, label: 'random' })),
      // Signed with another secret.
      fc
        .oneof(
          fc.constant('whsec_someone_else'),
          fc.string({ minLength: 1, maxLength: 20 }).map((s) => `whsec_${s}`),
        )
        .map((secret) => ({ body: realEventPayload, signature: signPayload(realEventPayload, { secret }), label: 'wrong secret' })),
      // Correctly signed, but more than the 300 s tolerance ago: a replay. (A timestamp in the
      // future is accepted, as by Stripe's own libraries: producing one takes the secret.)
      fc.integer({ min: 302, max: 10_000_000 }).map((age) => ({
        body: realEventPayload,
        signature: signPayload(realEventPayload, { timestamp: now() - age }),
        label: `signed ${age}s ago`,
      })),
      // A genuine signature over other bytes: the body was tampered with.
      fc
        .constantFrom(
          realEventPayload.replace('99999', '99998'),
          `${realEventPayload} `,
          realEventPayload.replace('"demo"', '"italia"'),
          JSON.stringify(JSON.parse(realEventPayload), null, 2),
        )
        .map((tampered) => ({ body: tampered, signature: signPayload(realEventPayload), label: 'tampered' })),
      // Only a v0 scheme (test mode signatures Stripe no longer accepts) or the v1 moved to v0.
      fc
        .constant(null)
        .map(() => ({ body: realEventPayload, signature: signPayload(realEventPayload).replace('v1=', 'v0='), label: 'v0 only' })),
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          attack,
          fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', ''),
          extraHeaders,
          async ({ body, signature, label }, type, headers) => {
            const res = await http('POST', '/webhooks/stripe', {
              headers: {
                ...headers,
                ...(type ? { 'content-type': type } : {}),
                ...(signature !== undefined ? { 'stripe-signature': signature } : {}),
              },
              body,
            });
            const what = `webhook ${label} sig=${describeInput(signature)} body=${describeInput(body)}`;
            checkAnswer(res, what);
            expect(res.status, what).toBe(400);
            expect((res.body as { error: { code: string } }).error.code, what).toBe('invalid_signature');
            expectNoStripeCall(what);
          },
        ),
        fcOptions(300),
      ),
    );
  }, 120_000);

  it('answers correctly signed garbage without a 5xx, and garbage never reaches the domain tables', async () => {
    // A body signed with the real secret but not an event Stripe would send: not JSON, not an
    // object, an object without id/type/created/data, wrong types, NUL characters.
    const eventLike = fc.record(
      {
        id: fc.oneof(
          fc.string({ maxLength: 20 }).map((s) => `evt_${s}`),
          hostileJsonValue,
        ),
        object: fc.constantFrom('event', 'v2.core.event', 'nope'),
        type: fc.oneof(
          fc.constantFrom(
            'checkout.session.completed',
            'charge.refunded',
            'customer.updated',
            'invoice.paid',
            'v1.billing.meter.error_report_triggered',
          ),
          hostileString,
          hostileJsonValue,
        ),
        created: fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.double(), hostileJsonValue, fc.constant('2026-01-01T00:00:00Z')),
        livemode: hostileJsonValue,
        api_version: hostileJsonValue,
        data: fc.oneof(
          hostileJsonValue,
          fc.record({
            object: fc.oneof(hostileJsonValue, hostileRecord(['id', 'object', 'metadata', 'amount_total', 'currency', 'customer', 'mode'])),
          }),
        ),
      },
      { requiredKeys: [] },
    );
    const signedGarbage = fc.oneof(
      malformedJsonText,
      eventLike.map((e) => JSON.stringify(e)),
    );
    const domainTables = [
      'supporters',
      'payments',
      'memberships',
      'checkout_sessions',
      'stripe_customers',
      'membership_status_changes',
      'publications',
      'api_keys',
    ];
    const before = await databaseFingerprint(t.database.db);
    await fc.assert(
      fc.asyncProperty(signedGarbage, async (body) => {
        const res = await http('POST', '/webhooks/stripe', {
          headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, { secret: TEST_WEBHOOK_SECRET }) },
          body,
        });
        const what = `signed garbage ${describeInput(body)}`;
        checkAnswer(res, what);
        expect([200, 400], what).toContain(res.status);
        expectNoStripeCall(what);
      }),
      fcOptions(200),
    );
    const after = await databaseFingerprint(t.database.db);
    expect(changedTables(before, after).filter((table) => domainTables.includes(table))).toEqual([]);
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------
// The widget: GET /widget.js, GET /api/widget/:publication, POST /api/events
// ------------------------------------------------------------------------------------------------

const EVENT_FIELDS = ['publication', 'type', 'article_url', 'variant'] as const;
const VALID_EVENT = { publication: 'demo', type: 'impression', article_url: 'https://news.example/2026/city-hall' };

function certainlyInvalidEvent(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return true;
  const b = body as Record<string, unknown>;
  if (Object.keys(b).some((k) => !(EVENT_FIELDS as readonly string[]).includes(k))) return true;
  if (b.publication !== 'demo' || !['impression', 'click'].includes(String(b.type))) return true;
  if (
    typeof b.type !== 'string' ||
    !isOnDemoSite(b.article_url) ||
    (typeof b.article_url === 'string' && b.article_url !== b.article_url.trim())
  )
    return true;
  return 'variant' in b && !(typeof b.variant === 'string' && /^[\w.-]{1,64}$/.test(b.variant));
}

describe('widget endpoints under hostile input', () => {
  it('POST /api/events refuses bad beacons with a 4xx and counts nothing', async () => {
    const body = fc.oneof(
      brokenRecord(VALID_EVENT, [
        ['publication', fc.oneof(hostileString, hostileJsonValue)],
        ['type', fc.oneof(hostileString, hostileJsonValue)],
        ['article_url', fc.oneof(hostileString, hostileJsonValue)],
        ['variant', fc.oneof(hostileString, hostileJsonValue)],
      ]).map((b) => ({ text: JSON.stringify(b), parsed: JSON.parse(JSON.stringify(b)) as unknown })),
      hostileRecord(EVENT_FIELDS).map((b) => ({ text: JSON.stringify(b), parsed: JSON.parse(JSON.stringify(b)) as unknown })),
      malformedJsonText.map((text) => ({ text, parsed: undefined as unknown })),
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          body,
          fc.constantFrom(
            'text/plain',
            'application/json',
            'text/plain; charset=utf-8',
            'application/x-www-form-urlencoded',
            'text/html',
            '',
          ),
          extraHeaders,
          async ({ text, parsed }, type, headers) => {
            let isJson = true;
            try {
              JSON.parse(text);
            } catch {
              isJson = false;
            }
            if (isJson) fc.pre(certainlyInvalidEvent(parsed ?? JSON.parse(text)));
            const res = await http('POST', '/api/events', {
              headers: { ...headers, ...(type ? { 'content-type': type } : {}) },
              body: text,
            });
            const what = `POST /api/events ${type} ${describeInput(text)} ${describeInput(headers)}`;
            checkAnswer(res, what);
            expect(res.status, what).toBeGreaterThanOrEqual(400);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(200),
      ),
    );
  }, 120_000);

  it('GET /api/widget/:publication and GET /widget.js answer 200/304 or a JSON 4xx, never a 5xx', async () => {
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom('config', 'bundle'),
          hostileSegment,
          hostileQuery(['lang', 'v', 'publication']),
          extraHeaders,
          async (target, segment, query, headers) => {
            const path = target === 'config' ? `/api/widget/${segment}?${query}` : `/widget.js?${query}`;
            const res = await http('GET', path, { headers });
            const what = `GET ${path} ${describeInput(headers)}`;
            checkAnswer(res, what);
            if (target === 'bundle') expect([200, 304, 416], what).toContain(res.status);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(200),
      ),
    );
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------
// Pages: /donate/:publication, /thanks, /billing-portal, /demo, /
// ------------------------------------------------------------------------------------------------

const SESSION_ID = /^cs_(?:test_|live_)?[A-Za-z0-9]{1,200}$/;
/** The thank-you page may ask Stripe about a well-formed session id it does not know, and about nothing else. */
const retrieveOf = (sessionId: string | undefined) => (call: OutgoingCall) =>
  sessionId !== undefined &&
  SESSION_ID.test(sessionId) &&
  call.method === 'GET' &&
  call.path.startsWith(`/v1/checkout/sessions/${sessionId}`);

const sessionIds = fc.oneof(
  hostileString,
  fc.constantFrom(
    'cs_a',
    'cs_b',
    'cs_sub_m1',
    'cs_it_socio',
    'cs_foreign',
    'cs_test_unknown123',
    'cs_live_x',
    'CS_A',
    'cs_a ',
    ' cs_a',
    'cs_a\u0000',
    'cs_test_' + 'a'.repeat(250),
  ),
);

describe('pages under hostile input', () => {
  it('GET /donate/:publication, /demo and / render or answer 404, never a 5xx', async () => {
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom('donate', 'demo', 'index', 'theme'),
          hostileSegment,
          hostileQuery(['interval', 'currency', 'article', 'lang', 'publication']),
          extraHeaders,
          async (page, segment, query, headers) => {
            const path =
              { donate: `/donate/${segment}`, demo: '/demo', index: '/', theme: `/assets/theme/${segment}.css` }[page] + `?${query}`;
            const res = await http('GET', path, { headers });
            const what = `GET ${path} ${describeInput(headers)}`;
            checkAnswer(res, what);
            expect([200, 304, 400, 404], what).toContain(res.status);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(200),
      ),
    );
  }, 120_000);

  it('GET /thanks and POST /billing-portal never 5xx; Stripe is asked only about well-formed session ids', async () => {
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom('thanks', 'portal'),
          sessionIds,
          hostileQuery(['lang', 'session_id']),
          fc.array(fc.tuple(fc.oneof(fc.constant('session_id'), fc.string({ maxLength: 6 })), hostileString), { maxLength: 7 }),
          async (page, sessionId, query, extra) => {
            const clean = sessionId.replace(/[\ud800-\udfff]/g, '\u0000');
            let res: Awaited<ReturnType<typeof http>>;
            let what: string;
            if (page === 'thanks') {
              const path = `/thanks?session_id=${encodeURIComponent(clean)}&${query}`;
              what = `GET ${path}`;
              res = await http('GET', path);
              expect(res.status, what).toBe(200);
            } else {
              const form = new URLSearchParams({ session_id: clean });
              for (const [k, v] of extra) form.append(k, v.replace(/[\ud800-\udfff]/g, '\u0000'));
              what = `POST /billing-portal ${form.toString().slice(0, 300)}`;
              res = await http('POST', '/billing-portal', {
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: form.toString(),
              });
              expect([303, 400, 404, 409, 413], what).toContain(res.status);
            }
            checkAnswer(res, what);
            expectNoStripeCall(what, retrieveOf(page === 'thanks' || extra.every(([k]) => k !== 'session_id') ? clean : undefined));
          },
        ),
        fcOptions(200),
      ),
    );
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------
// The publisher API: reports, exports and privacy requests
// ------------------------------------------------------------------------------------------------

const REPORTS = ['summary', 'timeseries', 'supporters', 'donations', 'articles', 'supporters.csv', 'donations.csv'] as const;
const REPORT_KEYS = [
  'from',
  'to',
  'publication',
  'metric',
  'interval',
  'cursor',
  'limit',
  'order',
  'status',
  'one_off_only',
  'lapsed',
  'min_lifetime',
  'currency',
  'since',
  'q',
  'kind',
  'article_url',
  'variant',
  'sort',
  'email',
];

describe('the publisher API under hostile input', () => {
  it('answers every report query with 200 or a JSON 4xx, never a 5xx, and changes nothing', async () => {
    const auth = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.constantFrom('demo', 'italia').map((who) => ({ who, header: `Bearer ${who === 'demo' ? demoKey : italiaKey}` })),
      },
      { weight: 1, arbitrary: headerText.map((header) => ({ who: 'nobody', header })) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            'Bearer fav_x',
            `Bearer ${'fav_'.padEnd(300, 'x')}`,
            'Basic YTpi',
            'bearer',
            `Bearer ${demoKey}x`,
            `Bearer ${demoKey.slice(0, -1)}`,
            `Bearer ${demoKey} ${demoKey}`,
            `Token ${demoKey}`,
          )
          .map((header) => ({ who: 'nobody', header })),
      },
    );
    const goodValues = fc.constantFrom(
      '2026-01-01',
      '2026-03-31',
      'revenue',
      'supporters',
      'members',
      'mrr',
      'day',
      'week',
      'month',
      'eur',
      'usd',
      'jpy',
      'true',
      '0',
      '10',
      '500',
      'newest',
      'paid',
      'succeeded',
      'one_off',
      'a@example.com',
      'demo',
      'italia',
    );
    const query = fc.oneof(
      hostileQuery(REPORT_KEYS),
      fc
        .array(
          fc.tuple(
            fc.constantFrom(...REPORT_KEYS),
            fc.oneof(
              goodValues,
              hostileString.map((s) => s.replace(/[\ud800-\udfff]/g, '\u0000')),
            ),
          ),
          { maxLength: 5 },
        )
        .map((pairs) => new URLSearchParams(pairs).toString()),
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...REPORTS, 'export' as const), auth, query, async (report, { who, header }, q) => {
          const path = report === 'export' ? `/api/supporters/export?${q}` : `/api/reports/${report}?${q}`;
          // An export of a real supporter is a legitimate read; a hostile e-mail must not find one.
          const res = await http('GET', path, { headers: { authorization: header } });
          const what = `GET ${path} as ${who}`;
          checkAnswer(res, what);
          if (who === 'nobody') expect(res.status, what).toBe(401);
          else expect([200, 400, 403, 404], what).toContain(res.status);
          expectNoStripeCall(what);
        }),
        fcOptions(400),
      ),
    );
  }, 180_000);

  it('POST /api/supporters/erase refuses malformed requests and unknown e-mails without erasing anything', async () => {
    const body = fc.oneof(
      hostileRecord(['email', 'publication']).map((b) => JSON.stringify(b)),
      fc.oneof(hostileString, fc.emailAddress()).map((email) => JSON.stringify({ email })),
      malformedJsonText,
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          body,
          fc.constantFrom('demo', 'italia'),
          fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16'),
          async (text, who, type) => {
            // Never ask to erase someone who really is a supporter (that is a legitimate change).
            let email: unknown;
            try {
              email = (JSON.parse(text) as { email?: unknown } | null)?.email;
            } catch {
              email = undefined;
            }
            fc.pre(typeof email !== 'string' || !knownEmails.has(email.trim().toLowerCase()));
            const res = await http('POST', '/api/supporters/erase', {
              headers: { authorization: `Bearer ${who === 'demo' ? demoKey : italiaKey}`, 'content-type': type },
              body: text,
            });
            const what = `POST /api/supporters/erase as ${who} ${type} ${describeInput(text)}`;
            checkAnswer(res, what);
            expect([400, 404, 413, 415], what).toContain(res.status);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(150),
      ),
    );
  }, 120_000);
});

// ------------------------------------------------------------------------------------------------
// Operations and everything else
// ------------------------------------------------------------------------------------------------

describe('operations endpoints and unknown routes under hostile input', () => {
  it('/healthz, /readyz and /metrics answer 200 whatever the query and headers', async () => {
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/healthz', '/readyz', '/metrics'),
          hostileQuery(['verbose', 'name[]', 'format']),
          extraHeaders,
          async (path, q, headers) => {
            const res = await http('GET', `${path}?${q}`, { headers });
            const what = `GET ${path}?${q} ${describeInput(headers)}`;
            checkAnswer(res, what);
            // 304 when a conditional header matches (If-None-Match: *).
            expect([200, 304], what).toContain(res.status);
            expectNoStripeCall(what);
          },
        ),
        fcOptions(60),
      ),
    );
  }, 60_000);

  it('random methods and paths answer with a 2xx/3xx or a JSON 4xx, never a 5xx', async () => {
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;
    const knownPrefixes = fc.constantFrom(
      '',
      '/api',
      '/api/checkout',
      '/api/widget',
      '/api/events',
      '/api/reports',
      '/api/supporters',
      '/webhooks',
      '/webhooks/stripe',
      '/donate',
      '/thanks',
      '/billing-portal',
      '/assets',
      '/dashboard',
      '/metrics',
    );
    await withoutDatabaseChange(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...methods),
          knownPrefixes,
          hostilePath,
          hostileQuery(['a', 'publication']),
          extraHeaders,
          async (method, prefix, path, q, headers) => {
            const url = `${prefix}${path}?${q}`;
            // Bodies for the methods that carry one: something the routes will refuse.
            const withBody = ['POST', 'PUT', 'PATCH'].includes(method);
            const res = await http(
              method,
              url,
              withBody ? { headers: { ...headers, 'content-type': 'application/json' }, body: '{"publication":"nope"}' } : { headers },
            );
            const what = `${method} ${url} ${describeInput(headers)}`;
            checkAnswer(res, what, { method });
            expectNoStripeCall(what);
          },
        ),
        fcOptions(300),
      ),
    );
  }, 120_000);

  it('malformed HTTP that only a raw socket can send never gets a 5xx', async () => {
    const sendRaw = (raw: string | Buffer) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let answer = '';
        socket.setTimeout(1_500, () => socket.destroy());
        socket.on('data', (d) => (answer += d.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', () => resolve(answer));
        socket.end(raw);
      });
    const big = 'x'.repeat(20_000);
    const cases: Array<[string, string | Buffer]> = [
      ['garbage request line', 'HELLO\r\n\r\n'],
      ['absolute-form target', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n'],
      ['path with a raw space', 'GET /api/widget/de mo HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['path with raw UTF-8 and a NUL escape', 'GET /donate/\xc3\xa9%00 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['broken percent-encoding in a parameter', 'GET /api/widget/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['lone surrogate in a parameter', 'GET /donate/%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'],
      ['obsolete line folding', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
      [
        'two different content-lengths',
        'POST /api/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
      ],
      [
        'content-length and chunked',
        'POST /api/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      ],
      ['bad chunk size', 'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
      ['header over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`],
      ['control character in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'],
      ['HTTP/0.9 style', 'GET /healthz\r\n\r\n'],
      ['unknown HTTP version', 'GET /healthz HTTP/7.1\r\nHost: x\r\n\r\n'],
      [
        'gzip claimed, garbage sent',
        'POST /api/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
      ],
      [
        'unknown content encoding',
        'POST /webhooks/stripe HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: rot13\r\nContent-Length: 2\r\nStripe-Signature: t=1,v1=00\r\nConnection: close\r\n\r\n{}',
      ],
      [
        'body shorter than announced',
        'POST /api/checkout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"a":',
      ],
      [
        'a binary body',
        Buffer.concat([
          Buffer.from('POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nConnection: close\r\n\r\n'),
          Buffer.from([0, 255, 254, 0, 1, 2, 3, 0]),
        ]),
      ],
    ];
    const before = await databaseFingerprint(t.database.db);
    for (const [name, raw] of cases) {
      const answer = await sendRaw(raw);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
      // No answer at all (the server hung up) is acceptable for a broken message; a 5xx is not.
      expect(status === 0 || (status >= 200 && status < 500), `${name}: ${answer.slice(0, 200)}`).toBe(true);
      if (status >= 400 && /content-type: application\/json/i.test(answer))
        expect(answer, name).toMatch(/"error":\{"code":"[a-z_]+","message":"/);
      expectNoStripeCall(name);
    }
    expect(changedTables(before, await databaseFingerprint(t.database.db))).toEqual([]);
  }, 60_000);
});

describe('known hostile inputs', () => {
  // A NUL character cannot be stored or compared by Postgres: each must get a clear 4xx, and a CSV export must
  // not start a 200 it cannot finish.
  const nul = '%00';
  const cases: Array<[string, string, 'demo' | 'none']> = [
    ['GET', `/api/widget/${nul}`, 'none'],
    ['GET', `/api/widget/demo${nul}`, 'none'],
    ['GET', `/donate/${nul}`, 'none'],
    ['GET', `/assets/theme/${nul}.css`, 'none'],
    // (The CSV exports take a cursor parameter and ignore it.)
    ...REPORTS.flatMap((report) =>
      ['q', 'variant', 'article_url', 'cursor', 'publication']
        .filter((param) => !(param === 'cursor' && report.endsWith('.csv')))
        .map((param): [string, string, 'demo'] => ['GET', `/api/reports/${report}?${param}=a${nul}`, 'demo']),
    ),
    ['GET', `/api/supporters/export?email=a${nul}@example.com`, 'demo'],
  ];
  it.each(cases)('%s %s answers a JSON 4xx', async (method, path, who) => {
    const before = await databaseFingerprint(t.database.db);
    const res = await http(method, path, who === 'demo' ? { headers: { authorization: `Bearer ${demoKey}` } } : {});
    checkAnswer(res, `${method} ${path}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(changedTables(before, await databaseFingerprint(t.database.db))).toEqual([]);
  });

  it.each([
    [
      'a NUL in the body',
      (id: string) =>
        JSON.stringify({
          ...JSON.parse(realEventPayload),
          id,
          data: { object: { id: 'cs_nul', object: 'checkout.session', metadata: { publication: 'demo\u0000' } } },
        }),
    ],
    ['an empty object', () => '{}'],
    [
      'no data.object',
      (id: string) =>
        JSON.stringify({ id, object: 'event', type: 'checkout.session.completed', created: 1_767_225_600, livemode: false, data: {} }),
    ],
    [
      'created as a date string (a v2 "thin" event)',
      (id: string) =>
        JSON.stringify({
          id,
          object: 'v2.core.event',
          type: 'v1.billing.meter.no_meter_found',
          created: '2026-01-01T00:00:00.000Z',
          livemode: false,
          related_object: null,
        }),
    ],
  ])('a correctly signed webhook with %s answers 400 and stores nothing', async (_name, make) => {
    const body = make('evt_signed_garbage');
    const before = await databaseFingerprint(t.database.db);
    const res = await http('POST', '/webhooks/stripe', {
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body) },
      body,
    });
    checkAnswer(res, body);
    expect(res.status).toBe(400);
    expect(changedTables(before, await databaseFingerprint(t.database.db))).toEqual([]);
  });
});

describe('the fuzz harness itself', () => {
  it('sees a Stripe call when one is made, and a database change when one happens', async () => {
    // Guards the guards: a valid checkout does call Stripe (and fails here, with no interceptor);
    // a valid beacon does change a table.
    const res = await http('POST', '/api/checkout', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(VALID_CHECKOUT),
    });
    expect(res.status).toBe(502);
    expect(guard.take().map((c) => `${c.method} ${c.host}${c.path}`)).toEqual(['POST stripe.test/v1/checkout/sessions']);
    const before = await databaseFingerprint(t.database.db);
    expect(
      (await http('POST', '/api/events', { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(VALID_EVENT) })).status,
    ).toBe(202);
    await widgetCountersOf(t.app).flush();
    expect(changedTables(before, await databaseFingerprint(t.database.db))).toEqual([
      'article_monthly_funnel',
      'variant_daily_funnel',
      'widget_daily_counters',
      'widget_daily_totals',
    ]);
  });
});
