/**
 * Building blocks for the hostile-input tests: fast-check arbitraries for malformed strings,
 * bodies, headers and paths; a fingerprint of every table (to prove a request changed nothing);
 * a guard that records any outgoing Stripe call; and the invariants every answer must keep.
 */
import { Agent, request as httpRequest } from 'node:http';
import { sql } from 'kysely';
import fc from 'fast-check';
import nock from 'nock';
import type { Db } from '../../src/db/database.js';

// ------------------------------------------------------------------------------------------------
// Strings
// ------------------------------------------------------------------------------------------------

/** Inputs that have broken web services before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'demo\u0000',
  '\u0000demo',
  'a\u0000b@example.com',
  '%00',
  '%',
  '%%',
  '%zz',
  '%ff%fe',
  '%c0%af',
  '%ed%a0%80',
  '\ud800',
  '\udfff',
  '\uffff',
  '\ufeff',
  '𝕏𝕏',
  '\u202e',
  '..',
  '../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '\\..\\..\\windows',
  "' OR '1'='1",
  "'; DROP TABLE supporters; --",
  '" OR ""="',
  '\\',
  '\\\\\\',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  'data:text/html,<b>x</b>',
  '{{7*7}}',
  '${7*7}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '0x10',
  '1e309',
  '9007199254740993',
  '-9007199254740993',
  '1.0000000000000002',
  '0.1e1',
  '10.',
  '.5',
  '１０００',
  'true',
  '[]',
  '{}',
  '{"$gt":""}',
  'a'.repeat(64),
  'a'.repeat(300),
  'a'.repeat(5_000),
  'DEMO',
  ' demo ',
  'demo ',
  'Demo',
  'ıtalia',
  'italia\n',
  'line\r\nbreak',
  '\t',
  'cs_test_',
  'cs_',
  'cs_test_a\u0000',
  'cs_live_' + 'A'.repeat(201),
  'fav_',
  'fav_' + 'x'.repeat(32),
  'eur',
  'EUR',
  'eu',
  'euro',
  'once',
  'ONCE',
  'weekly',
  'reader@example.com',
  'READER@EXAMPLE.COM',
  'a@b',
  '@',
  'x@x.x',
  'https://news.example/',
  'https://news.example.evil.example/x',
  'https://evil.example/phish',
  'http://news.example@evil.example/',
  'https://user:pw@news.example/x',
  '//evil.example/x',
  '/relative',
  'https://news.example/' + 'p'.repeat(600),
  'https://[::1]/',
  'http://127.0.0.1:5432/',
  'file:///etc/passwd',
  '2026-02-30',
  '2026-13-01',
  '0000-01-01',
  '9999-12-31',
  '2026-01-01T00:00:00Z',
  '1970-01-01',
] as const;

/** Any string: nasty ones, random unicode (lone surrogates and NULs included), ASCII noise. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom('\u0000', '\ud800', '\udc00', '%', '/', '\\', '"', "'", '<', 'a', '@', '.', ' '),
      maxLength: 20,
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
);

/** Text that fits in an HTTP header value (visible ASCII, spaces and tabs). */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 }),
  fc.constantFrom('', ' ', '\t', 'x'.repeat(4000), 'Bearer', 'Bearer ', 'Bearer  fav_', 'null', '*', '../..', '%00', ';;;', '=,=,='),
);

// ------------------------------------------------------------------------------------------------
// JSON values and bodies
// ------------------------------------------------------------------------------------------------

const deepNest = (depth: number, open: string, close: string, inner = '0') => open.repeat(depth) + inner + close.repeat(depth);

/** Strings that are not what a JSON body parser hopes for. */
export const malformedJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '}',
    '{"publication":',
    '{"publication":"demo",}',
    "{'publication':'demo'}",
    '{"a":1}{"b":2}',
    'null',
    'true',
    '0',
    '"demo"',
    '[]',
    '[1,2,3]',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"amount":1e309}',
    '{"amount":-0}',
    '{"amount":NaN}',
    '{"publication":"\\u0000"}',
    '{"publication":"\\ud800"}',
    '\ufeff{"publication":"demo"}',
    '\u0000',
    deepNest(2_000, '[', ']'),
    deepNest(1_500, '{"a":', '}'),
    `{"publication":"${'x'.repeat(20_000)}"}`,
  ),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v).slice(0, -1)),
);

/** Any JSON value, including the awkward ones (big and tiny numbers, deep nesting, long strings). */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      true,
      false,
      0,
      -0,
      1,
      -1,
      0.5,
      1e21,
      -1e21,
      2 ** 53,
      2 ** 53 + 2,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      10.5,
      499.999,
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 3 }) },
);

/** Field names a body may carry: the real ones, prototype tricks and noise. */
export function fieldNames(real: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...real) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'hasOwnProperty',
        'publication[]',
        'amount[0]',
        'a.b',
        '$where',
        'email ',
        ' Publication',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
}

/** Objects with real and fake fields holding hostile values. */
export function hostileRecord(real: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fieldNames(real), hostileJsonValue, { maxKeys: 8 });
}

/**
 * A valid object with exactly one field made invalid in a way the service must reject: each
 * `breakers` entry is [field, arbitrary of values that are wrong for it].
 */
export function brokenRecord(
  valid: Record<string, unknown>,
  breakers: Array<[string, fc.Arbitrary<unknown>]>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    ...breakers.map(([field, bad]) => bad.map((value) => ({ ...valid, [field]: value }))),
    // A required field dropped.
    fc.constantFrom(...Object.keys(valid)).map((field) => {
      const copy = { ...valid };
      delete copy[field];
      return copy;
    }),
    // An unknown field added.
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !(k in valid) && k !== '__proto__'),
        hostileJsonValue,
      )
      .map(([k, v]) => ({ ...valid, [k]: v })),
  );
}

// ------------------------------------------------------------------------------------------------
// Paths and query strings
// ------------------------------------------------------------------------------------------------

const pathSegmentText = fc.oneof(
  fc.constantFrom(
    'demo',
    'italia',
    'nope',
    '..',
    '.',
    '%2e%2e',
    '%2f',
    '%00',
    '%ff',
    '%c0%ae',
    '%25',
    '%',
    '%u0000',
    'widget.js',
    'api',
    'reports',
    'summary',
    '*',
    '~',
    ';',
    ';x=1',
    'a%20b',
    '%E2%80%AE',
    '%F0%9F%92%A9',
    'x'.repeat(300),
  ),
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.~!$&'()*+,;=:@%".split('')), maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 10 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
);

/** A URL path (always starting with "/", already percent-encoded where needed). */
export const hostilePath: fc.Arbitrary<string> = fc
  .array(pathSegmentText, { minLength: 0, maxLength: 6 })
  .map((segments) => `/${segments.join('/')}`);

/** One already-encoded path segment (for /donate/:publication and the like). */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  pathSegmentText,
  hostileString.filter((s) => s.length > 0).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\u0000'))),
  fc.constantFrom('%ed%a0%80', '%c3%28', '%80', '%fe%ff', '%E0%80%AF', '%00demo', 'demo%00', 'DEMO', 'dem%6f'),
);

/** A raw query string (without "?"): repeated keys, arrays, bracket syntax, malformed escapes. */
export function hostileQuery(keys: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...keys) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'a[b]', 'a[]', 'constructor[prototype]', 'x', '') },
  );
  const value = fc.oneof(
    { weight: 3, arbitrary: hostileString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\u0000'))) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ff', '%00', '%ed%a0%80', '', '[]', '%5B%5D', '1&1', 'a%26b=c') },
  );
  const pair = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
    fc.tuple(key, value).map(([k, v]) => `${k}[]=${v}`),
    fc.tuple(key, value).map(([k, v]) => `${k}[x]=${v}`),
    key,
  );
  return fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join('&'));
}

// ------------------------------------------------------------------------------------------------
// Headers
// ------------------------------------------------------------------------------------------------

export const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=klingon',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'text/plain',
    'text/html',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/octet-stream',
    'application/vnd.api+json',
    'application/json-patch+json',
    '*/*',
    'json',
    ';',
    'application/',
  ),
  headerText,
);

/** Extra request headers, some hostile, that must never turn a 4xx into a 5xx. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom(
    'accept',
    'accept-language',
    'accept-encoding',
    'origin',
    'referer',
    'x-request-id',
    'x-forwarded-for',
    'x-forwarded-proto',
    'x-forwarded-host',
    'cookie',
    'if-none-match',
    'if-modified-since',
    'range',
    'idempotency-key',
    'authorization',
    'user-agent',
    'content-language',
    'x-http-method-override',
  ),
  fc.oneof(
    headerText,
    fc.constantFrom(
      'https://news.example',
      'https://favore.example',
      'null',
      'https://evil.example',
      'it-IT,it;q=0.9,en;q=0.8',
      '*;q=0',
      'bytes=0-0',
      'bytes=-1,5-',
      'W/"x"',
      '*',
      'gzip, br',
    ),
  ),
  { maxKeys: 4 },
);

// ------------------------------------------------------------------------------------------------
// The database fingerprint
// ------------------------------------------------------------------------------------------------

/** Row count and a checksum of the full content of every table of the schema. */
export async function databaseFingerprint(db: Db): Promise<Record<string, string>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const out: Record<string, string> = {};
  for (const { table_name } of tables.rows) {
    const row = await sql<{ n: number; digest: string | null }>`
      SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${sql.table(table_name)} t`.execute(db);
    out[table_name] = `${row.rows[0]!.n}:${row.rows[0]!.digest ?? '-'}`;
  }
  return out;
}

/** The tables whose fingerprint differs, for a readable failure. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((t) => before[t] !== after[t]).sort();
}

// ------------------------------------------------------------------------------------------------
// Outgoing calls: nock with no interceptors for Stripe, and a 'no match' listener that records them
// ------------------------------------------------------------------------------------------------

export interface OutgoingCall {
  method: string;
  host: string;
  path: string;
}

const LOOPBACK = /^(?:127\.0\.0\.1|localhost|::1|\[::1\])(?::\d+)?$/;

function describeRequest(arg: unknown): OutgoingCall {
  const a = arg as {
    method?: string;
    host?: string;
    hostname?: string;
    path?: string;
    options?: { host?: string; hostname?: string; path?: string; method?: string };
  };
  const o = a.options ?? a;
  return {
    method: String(o.method ?? a.method ?? 'GET'),
    host: String(o.hostname ?? o.host ?? a.hostname ?? a.host ?? ''),
    path: String(o.path ?? a.path ?? ''),
  };
}

/**
 * Blocks the network except loopback and records every request nock could not match to an
 * interceptor that is not for 127.0.0.1: with no Stripe interceptors, that is every Stripe call.
 */
export function guardOutgoingCalls(): { calls: OutgoingCall[]; take(): OutgoingCall[]; stop(): void } {
  const calls: OutgoingCall[] = [];
  const listener = (arg: unknown) => {
    const call = describeRequest(arg);
    if (!LOOPBACK.test(call.host)) calls.push(call);
  };
  nock.disableNetConnect();
  nock.enableNetConnect(LOOPBACK);
  nock.emitter.on('no match', listener);
  return {
    calls,
    take: () => calls.splice(0, calls.length),
    stop: () => {
      nock.emitter.removeListener('no match', listener);
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A plain HTTP client: the path goes out byte for byte (no URL parsing or normalising on the way)
// and redirects are never followed.
// ------------------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body when it is JSON. */
  body: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function send(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(options.headers ?? {}) };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (String(res.headers['content-type'] ?? '').includes('json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

// ------------------------------------------------------------------------------------------------
// What every answer must look like
// ------------------------------------------------------------------------------------------------

/** Never a 5xx; every JSON error has { error: { code, message } } and no stack trace. */
export function checkAnswer(res: Answer, what: string, options: { allow5xx?: number[]; method?: string } = {}): void {
  const context = `${what} -> ${res.status} ${String(res.text ?? '').slice(0, 300)}`;
  if (res.status >= 500 && !(options.allow5xx ?? []).includes(res.status)) throw new Error(`5xx answer: ${context}`);
  if (res.status < 200 || res.status >= 600) throw new Error(`unexpected status: ${context}`);
  const type = String(res.headers['content-type'] ?? '');
  if (res.status >= 400 && type.includes('application/json') && options.method !== 'HEAD') {
    const error = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (
      !error ||
      typeof error.code !== 'string' ||
      !/^[a-z_]+$/.test(error.code) ||
      typeof error.message !== 'string' ||
      error.message.length === 0
    ) {
      throw new Error(`error answer without { error: { code, message } }: ${context}`);
    }
  }
  if (/\bat .+\.(?:ts|js):\d+/.test(String(res.text ?? ''))) throw new Error(`stack trace in the answer: ${context}`);
}
