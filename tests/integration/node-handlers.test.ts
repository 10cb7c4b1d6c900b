/**
 * The requests that come in floods, as the server runs them: article views (issue 10, point 7) and Stripe deliveries,
 * answered on node:http ahead of Express (requestListener), with the same answers, errors, headers, logs and metrics
 * as every other endpoint.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestListener, widgetCountersOf } from '../../src/app.js';
import { memoryRateLimit } from '../../src/http/rate-limit.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { rawRequest } from '../helpers/raw-http.js';
import { signPayload } from '../helpers/webhook-delivery.js';

let t: TestApp;
let server: Server;
let base: string;
beforeAll(async () => {
  t = await createTestApp({ rateLimits: { eventsPerIp: memoryRateLimit(1000, 60) } });
  server = createServer(requestListener(t.app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

const beaconBody = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ publication: 'demo', type: 'impression', article_url: 'https://news.example/story', ...o });
const beacon = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://news.example', ...headers },
    body,
  });

const rawGet = (path: string, headers: Record<string, string>) => rawRequest(`${base}${path}`, headers);

describe('GET /api/widget/:publication ahead of Express', () => {
  it('compresses the configuration (over 1 KB) by Accept-Encoding, with Vary', async () => {
    const plain = await rawGet('/api/widget/demo?lang=sr-Cyrl', { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(plain.body.length).toBeGreaterThan(1024);
    const br = await rawGet('/api/widget/demo?lang=sr-Cyrl', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(plain.body.length / 2);
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    const gzip = await rawGet('/api/widget/demo?lang=sr-Cyrl', { 'accept-encoding': 'br;q=0, gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
  });

  it('answers from memory with an ETag, 304 on revalidation, HEAD without a body, and a request id', async () => {
    const res = await fetch(`${base}/api/widget/demo?lang=it`, { headers: { 'x-request-id': 'req-abc.1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=3600');
    expect(res.headers.get('x-request-id')).toBe('req-abc.1');
    const body = (await res.json()) as { publication: string; lang: string };
    expect(body).toMatchObject({ publication: 'demo', lang: 'it' });
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);

    const again = await fetch(`${base}/api/widget/demo?lang=it`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const english = await fetch(`${base}/api/widget/demo?lang=en`);
    expect(english.headers.get('etag')).not.toBe(etag);

    const head = await fetch(`${base}/api/widget/demo?lang=it`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(JSON.stringify(body)));
    expect(await head.text()).toBe('');
  });

  it('serves a changed publication at once, under a new ETag', async () => {
    const before = await fetch(`${base}/api/widget/demo`);
    await t.changePublication('demo', { name: 'The Renamed Gazette' });
    const deadline = Date.now() + 5_000;
    let after = await fetch(`${base}/api/widget/demo`);
    while (((await after.clone().json()) as { name: string }).name !== 'The Renamed Gazette' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = await fetch(`${base}/api/widget/demo`);
    }
    expect(((await after.json()) as { name: string }).name).toBe('The Renamed Gazette');
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
  });

  it('answers errors as every endpoint does, and leaves other paths to Express', async () => {
    const unknown = await fetch(`${base}/api/widget/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*'); // the widget must read it to hide itself
    expect(await unknown.json()).toEqual({
      error: { code: 'unknown_publication', message: 'publication: no publication "nope".', field: 'publication' },
    });
    const deeper = await fetch(`${base}/api/widget/demo/extra`);
    expect(deeper.status).toBe(404);
    expect(((await deeper.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const badEscape = await fetch(`${base}/api/widget/%E0%A4%A`);
    expect(badEscape.status).toBeGreaterThanOrEqual(400);
    expect(badEscape.status).toBeLessThan(500);
  });
});

describe('POST /api/events ahead of Express', () => {
  it('counts a beacon, with CORS for the publication’s site only', async () => {
    const ok = await beacon(beaconBody());
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ accepted: true });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://news.example');
    expect(ok.headers.get('vary')).toBe('Origin');
    const evil = await beacon(beaconBody(), { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    await widgetCountersOf(t.app).flush();
    const rows = await t.database.db.selectFrom('widget_daily_counters').select(['impressions']).execute();
    expect(rows.reduce((n, r) => n + r.impressions, 0)).toBe(1);
  });

  it('refuses bad bodies with a clear 4xx and counts nothing', async () => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['{not json', {}, 400, 'invalid_json'],
      [beaconBody(), { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'invalid_json'],
      [beaconBody({ extra: 1 }), {}, 400, 'invalid_request'],
      [beaconBody({ article_url: 'https://elsewhere.example/a' }), {}, 400, 'invalid_article_url'],
      [beaconBody({ publication: 'nope' }), {}, 404, 'unknown_publication'],
      [beaconBody({ article_url: `https://news.example/${'x'.repeat(3000)}` }), {}, 413, 'payload_too_large'],
    ];
    for (const [body, headers, status, code] of cases) {
      const res = await beacon(body, headers);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
    }
  });

  it('refuses a body over 2 KB sent without a length (chunked) before reading it all', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { port, host: '127.0.0.1', method: 'POST', path: '/api/events', headers: { 'content-type': 'text/plain' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.write('x'.repeat(1500));
      req.write('x'.repeat(1500));
      // Never ended: the answer must come anyway.
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('leaves the CORS preflight to Express', async () => {
    const res = await fetch(`${base}/api/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://news.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://news.example');
  });

  it('is timed in /metrics under its route and logged with its request id, like every request', async () => {
    t.logs.length = 0;
    await beacon(beaconBody(), { 'x-request-id': 'beacon-log-1' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/favour_http_request_duration_seconds_count\{method="POST",route="\/api\/events",status="202"\} [1-9]/);
    expect(metrics).toMatch(
      /favour_http_request_duration_seconds_count\{method="GET",route="\/api\/widget\/:publication",status="200"\} [1-9]/,
    );
    const line = t.logs
      .map((l) => JSON.parse(l) as { req?: { id: string; url: string }; res?: { statusCode: number } })
      .find((l) => l.req?.id === 'beacon-log-1');
    expect(line).toMatchObject({ req: { id: 'beacon-log-1', url: '/api/events' }, res: { statusCode: 202 } });
  });
});

describe('POST /webhooks/stripe ahead of Express', () => {
  const event = stripeEvent(
    'checkout.session.completed',
    checkoutSession({ id: 'cs_node_1', amount: 1200, publication: 'demo', article_url: 'https://news.example/a' }),
    { id: 'evt_node_1' },
  );
  const deliver = (payload: string, signature = signPayload(payload)) =>
    fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });

  it('stores and acknowledges a signed event once, and is timed under its route', async () => {
    const payload = JSON.stringify(event);
    const first = await deliver(payload);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, duplicate: false });
    expect(await (await deliver(payload)).json()).toEqual({ received: true, duplicate: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/favour_http_request_duration_seconds_count\{method="POST",route="\/webhooks\/stripe",status="200"\} 2/);
  });

  it('refuses a forged signature, a body that is not an event, and one over 1 MB, writing nothing', async () => {
    const before = await t.database.db.selectFrom('stripe_events').select('id').execute();
    const payload = JSON.stringify({ ...event, id: 'evt_node_2' });
    const forged = await deliver(payload, signPayload(payload, { secret: 'whsec_someone_else' }));
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    const notEvent = JSON.stringify({ hello: 'world' });
    const shapeless = await deliver(notEvent);
    expect([shapeless.status, ((await shapeless.json()) as { error: { code: string } }).error.code]).toEqual([400, 'invalid_request']);
    const huge = JSON.stringify({ ...event, id: 'evt_node_3', padding: 'x'.repeat(1024 * 1024) });
    const tooLarge = await deliver(huge);
    expect([tooLarge.status, ((await tooLarge.json()) as { error: { code: string } }).error.code]).toEqual([413, 'payload_too_large']);
    expect(await t.database.db.selectFrom('stripe_events').select('id').execute()).toEqual(before);
  });
});
