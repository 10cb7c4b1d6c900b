import express from 'express';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressJsonAnswers, negotiateEncoding } from '../../../src/http/compression.js';
import { rawRequest } from '../../helpers/raw-http.js';

describe('negotiateEncoding', () => {
  it('takes what the client accepts, by q-value, the server preferring brotli on a tie', () => {
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('gzip')).toBe('gzip');
    expect(negotiateEncoding('br;q=0.5, gzip;q=0.8')).toBe('gzip');
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0.1, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('identity')).toBeUndefined();
    expect(negotiateEncoding('')).toBeUndefined();
    expect(negotiateEncoding(undefined)).toBeUndefined();
    expect(negotiateEncoding('gzip, br', ['gzip'])).toBe('gzip');
    expect(negotiateEncoding('gzip, br', [])).toBeUndefined();
  });
});

describe('compressJsonAnswers', () => {
  const big = { rows: Array.from({ length: 100 }, (_, i) => ({ article_url: `https://news.example/story-${i}`, amount: i * 100 })) };
  const app = express();
  app.use(compressJsonAnswers());
  app.get('/big', (_req, res) => res.json(big));
  app.get('/small', (_req, res) => res.json({ ok: true }));
  app.get('/text', (_req, res) => res.type('text/plain').send('x'.repeat(5000)));
  let base: string;
  let server: Server;
  beforeAll(async () => {
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());
  const raw = (path: string, acceptEncoding: string, headers: Record<string, string> = {}) =>
    rawRequest(base + path, { 'accept-encoding': acceptEncoding, ...headers });

  it('compresses JSON over 1 KB with what the client accepts, and says it varies', async () => {
    const plain = await raw('/big', 'identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    expect(JSON.parse(plain.body.toString())).toEqual(big);
    const br = await raw('/big', 'gzip, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(big);
    const gzip = await raw('/big', 'gzip');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gzip.body).toString())).toEqual(big);
    // Revalidation works on what was sent.
    const again = await raw('/big', 'br', { 'if-none-match': br.headers.etag! });
    expect(again.status).toBe(304);
  });

  it('leaves small answers and other types alone', async () => {
    const small = await raw('/small', 'br');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toBeUndefined();
    const text = await raw('/text', 'br');
    expect(text.headers['content-encoding']).toBeUndefined();
  });
});
