import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/http/http-error.js';
import { errorHandler } from '../../../src/http/error-middleware.js';
import type { DonationExportRow, SupporterExportRow } from '../../../src/reports/csv-export.repository.js';
import { csvField, donationCsvLine, streamCsv, supporterCsvLines } from '../../../src/reports/csv-export.js';

describe('csvField', () => {
  it.each([
    ['Ana', 'Ana'],
    ['', ''],
    [null, ''],
    [42, '42'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['cr\ronly', '"cr\ronly"'],
    ['=1+1', "'=1+1"],
    ['+44 20', "'+44 20"],
    ['-5', "'-5"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', `"'\tcmd"`],
    // Excel in Italian and Serbian locales splits on `;`: quoted, the cell stays one cell there too.
    ['x;=1+1;', '"x;=1+1;"'],
    ['a\tb', '"a\tb"'],
    // DDE payloads, with and without leading spaces (which some spreadsheet programs trim).
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ["  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ["@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"],
    ['\n=1+1', `"'\n=1+1"`],
    ['＝1+1', "'＝1+1"],
    ['\rcmd', `"'\rcmd"`],
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['=a,b', `"'=a,b"`],
    ['a=b', 'a=b'],
    ['Јована Ђорђевић, Čačak', '"Јована Ђорђевић, Čačak"'],
    ['Јована Ђорђевић', 'Јована Ђорђевић'],
  ])('writes %j as %j', (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });
});

const supporter = (o: Partial<SupporterExportRow>): SupporterExportRow => ({
  id: 7,
  email: 'ana@example.com',
  name: 'Ana',
  first_paid_at: '2026-01-02T03:04:05.006Z',
  last_paid_at: '2026-03-04T05:06:07.890Z',
  totals: null,
  membership_status: null,
  ...o,
});

describe('supporterCsvLines', () => {
  it('writes one line per currency, by currency, with exact decimals for two-, zero- and three-decimal currencies', () => {
    const lines = supporterCsvLines(supporter({ totals: 'kwd:1:1250:0;eur:3:4500:300;jpy:1:3000:0', membership_status: 'active' }));
    expect(lines).toBe(
      '7,ana@example.com,Ana,2026-01-02T03:04:05.006Z,2026-03-04T05:06:07.890Z,active,EUR,3,45.00,3.00,42.00\r\n' +
        '7,ana@example.com,Ana,2026-01-02T03:04:05.006Z,2026-03-04T05:06:07.890Z,active,JPY,1,3000,0,3000\r\n' +
        '7,ana@example.com,Ana,2026-01-02T03:04:05.006Z,2026-03-04T05:06:07.890Z,active,KWD,1,1.250,0.000,1.250\r\n',
    );
  });

  it('keeps a hostile name in one text cell whether the file is split on commas or on semicolons', () => {
    const line = supporterCsvLines(supporter({ name: 'x;=1+1;', email: "=cmd|' /C calc'!A0@example.com", totals: 'eur:1:100:0' }));
    expect(line).toContain(`,'=cmd|' /C calc'!A0@example.com,"x;=1+1;",`);
    // Split as Excel in an Italian locale would: every `;` inside the name is inside quotes.
    const outsideQuotes = line
      .split('"')
      .filter((_, i) => i % 2 === 0)
      .join('');
    expect(outsideQuotes).not.toContain(';');
  });

  it('writes a supporter without payments as one line with empty totals', () => {
    expect(supporterCsvLines(supporter({ name: null, first_paid_at: null, last_paid_at: null }))).toBe('7,ana@example.com,,,,,,0,,,\r\n');
  });

  it('quotes and neutralises names and e-mails, and prefixes a negative amount', () => {
    const lines = supporterCsvLines(supporter({ email: '=x@example.com', name: 'Јована "Ђорђевић", Čačak', totals: 'eur:1:100:250' }));
    expect(lines).toBe(
      `7,'=x@example.com,"Јована ""Ђорђевић"", Čačak",2026-01-02T03:04:05.006Z,2026-03-04T05:06:07.890Z,,EUR,1,1.00,2.50,'-1.50\r\n`,
    );
  });
});

const donation = (o: Partial<DonationExportRow>): DonationExportRow => ({
  id: 3,
  paid_at: '2026-01-02T03:04:05.006Z',
  created_at: '2026-01-02T03:04:00.000Z',
  kind: 'one_off',
  status: 'succeeded',
  currency: 'eur',
  amount: 1000,
  refunded_amount: 0,
  dispute_status: null,
  email: 'ana@example.com',
  name: 'Ana',
  article_url: 'https://news.example/a,b',
  variant: '-urgent',
  subscription_id: null,
  source_id: 'cs_1',
  fee_cover_amount: 0,
  ...o,
});

describe('donationCsvLine', () => {
  it('writes every column, with net = amount - refunded for money that went through', () => {
    expect(donationCsvLine(donation({ status: 'partially_refunded', refunded_amount: 300 }))).toBe(
      `3,2026-01-02T03:04:05.006Z,2026-01-02T03:04:00.000Z,one_off,partially_refunded,EUR,10.00,3.00,7.00,,ana@example.com,Ana,"https://news.example/a,b",'-urgent,,cs_1,0.00\r\n`,
    );
  });

  it("ends with the part of the amount that covered the fees, in the currency's decimals", () => {
    expect(donationCsvLine(donation({ amount: 1041, fee_cover_amount: 41 })).endsWith(',cs_1,0.41\r\n')).toBe(true);
    expect(donationCsvLine(donation({ currency: 'jpy', amount: 1041, fee_cover_amount: 41 })).endsWith(',cs_1,41\r\n')).toBe(true);
  });

  it.each([
    ['succeeded', '10.00'],
    ['refunded', '0.00'],
    ['disputed', '0.00'],
    ['pending', '0.00'],
    ['failed', '0.00'],
  ])('nets a %s payment to %s', (status, net) => {
    const refunded = status === 'refunded' ? 1000 : 0;
    const line = donationCsvLine(donation({ status, refunded_amount: refunded, paid_at: null, email: null, name: null }));
    expect(line.split(',').slice(6, 9)).toEqual(['10.00', refunded ? '10.00' : '0.00', net]);
    expect(line.startsWith('3,,2026-01-02T03:04:00.000Z,')).toBe(true);
  });
});

/** An app whose one route streams `batches` through streamCsv. */
function appStreaming<R>(batches: () => AsyncIterable<R[]>, toLines: (row: R) => string) {
  const app = express();
  app.get('/export.csv', async (_req, res) => {
    await streamCsv(res, 'export.csv', ['a', 'b'], batches(), toLines);
  });
  app.use(errorHandler);
  return app;
}

const asLine = (row: string) => `${row}\r\n`;

describe('streamCsv', () => {
  it('writes the BOM, the header and every batch, however many 64 kB chunks they take', async () => {
    const batches = Array.from({ length: 7 }, (_, b) =>
      Array.from({ length: 1000 - b * 100 }, (_, i) => `${b}-${i},Ђорђе ${'x'.repeat(i % 50)}`),
    );
    // A batch larger than the writer's buffer, and a row larger than it on its own.
    batches.splice(
      3,
      0,
      Array.from({ length: 3000 }, (_, i) => `big-${i},${'Ћ'.repeat(40)}`),
      [`huge,${'Ж'.repeat(100_000)}`],
    );
    const app = appStreaming(async function* () {
      yield* batches;
    }, asLine);
    const res = await request(app)
      .get('/export.csv')
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="export.csv"');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = (res.body as Buffer).toString('utf8');
    expect(Buffer.byteLength(body)).toBeGreaterThan(8 * 64 * 1024);
    expect(body).toBe(`\uFEFFa,b\r\n${batches.flat().map(asLine).join('')}`);
  });

  it('writes only the header when there are no rows', async () => {
    const res = await request(appStreaming(async function* () {}, asLine)).get('/export.csv');
    expect(res.status).toBe(200);
    expect(res.text).toBe('\uFEFFa,b\r\n');
  });

  it('answers a query that fails on the first batch with a JSON error, not a half-sent 200', async () => {
    const app = appStreaming(async function* (): AsyncGenerator<string[]> {
      throw new HttpError(400, 'invalid_request', 'bad filter');
    }, asLine);
    const res = await request(app).get('/export.csv');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: 'bad filter' } });
  });

  it('stops reading and releases the source when the client goes away mid-export', async () => {
    let batchesRead = 0;
    let released!: () => void;
    const whenReleased = new Promise<void>((resolve) => (released = resolve));
    const app = appStreaming(async function* () {
      try {
        // Endless: only the client going away ends it.
        for (;;) {
          batchesRead++;
          yield Array.from({ length: 1000 }, (_, i) => `${i},${'y'.repeat(100)}`);
        }
      } finally {
        released();
      }
    }, asLine);
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/export.csv' }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      });
      await whenReleased;
      const readWhenReleased = batchesRead;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(batchesRead).toBe(readWhenReleased);
    } finally {
      server.close();
    }
  });
});
