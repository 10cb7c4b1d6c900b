import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import express, { type Response } from 'express';
import Cursor from 'pg-cursor';
import { openDatabase } from '../../src/db/create-database.js';
import { csvCell, streamCsv, SUPPORTER_CSV_HEADER, supporterCsvLines } from '../../src/reports/csv-export.js';
import { minorToDecimalString } from '../../src/money/currency.js';
import { streamSupporters } from '../../src/reports/report.repository.js';
import { isMainModule } from './report.js';

/*
 * A/B of the supporters.csv writer, for the reports bench's recommendation (not part of any bench run by default):
 *   GET /current  — exactly what GET /api/reports/supporters.csv does after authentication: streamSupporters (Kysely,
 *                   pg-cursor, 1,000 rows a fetch) → supporterCsvLines → streamCsv (csv-stringify, one record at a time);
 *   GET /batched  — the same rows, lines and cells (csvCell), but the CSV text is built with a plain quoting function
 *                   and written to the socket in ~64 kB chunks, waiting for 'drain' only when the socket says so;
 *   GET /sql      — Postgres builds each CSV line (same cells: formula prefix, RFC 4180 quoting, ISO-8601 UTC times
 *                   to the millisecond, amounts as exact decimals in the currency's exponent, one line per supporter
 *                   and currency); Node reads them through pg-cursor 1,000 at a time and writes ~64 kB chunks;
 *   GET /lean     — the repository's query with the two times rendered by Postgres as ISO-8601 text; the next 1,000
 *                   rows are requested before the current ones are formatted (Postgres and Node work at the same
 *                   time), each batch is formatted in one synchronous loop (csvCell's rules, minorToDecimalString)
 *                   and written in ~64 kB chunks;
 *   GET /copy     — the same lines streamed by COPY (…) TO STDOUT (text format: no round trip per batch of rows);
 *                   Node only undoes COPY's backslash escapes and ends each line with CRLF. Needs pg-copy-streams,
 *                   which is not a dependency of favour: PG_COPY_STREAMS=<path to its index.js> (else 501).
 * All must produce byte-identical bodies (the bench compares them). Run as a child process:
 *   DATABASE_URL=… PUBLICATION_ID=1 TIME_ZONE=Europe/Rome PORT=… npx tsx bench/lib/reports-csv-prototype.ts
 */

const QUOTE = /[",\r\n]/;
const cell = (value: unknown): string => {
  const text = csvCell(value);
  return QUOTE.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

async function streamCsvBatched(res: Response, filename: string, header: string[], rows: AsyncIterable<unknown[]>): Promise<void> {
  res.status(200);
  res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' });
  let chunk = `\uFEFF${header.map(cell).join(',')}\r\n`;
  for await (const cells of rows) {
    if (res.destroyed) return;
    chunk += `${cells.map(cell).join(',')}\r\n`;
    if (chunk.length >= 65_536) {
      const ok = res.write(chunk);
      chunk = '';
      if (!ok) await once(res, 'drain');
    }
  }
  res.end(chunk);
}

// csvCell (formula prefix) then RFC 4180 quoting, in SQL. E'' strings: \t and \r are the real characters.
const sqlCell = (x: string) =>
  `(SELECT CASE WHEN v ~ E'[",\\r\\n]' THEN '"' || replace(v, '"', '""') || '"' ELSE v END
    FROM (SELECT CASE WHEN w ~ E'^[=+@\\t\\r-]' THEN '''' || w ELSE w END AS v FROM (SELECT coalesce((${x})::text, '') AS w) a) b)`;
const iso = (x: string) => `coalesce(to_char((${x}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')`;
const exponent = (c: string) =>
  `CASE WHEN ${c} IN ('bif','clp','djf','gnf','jpy','kmf','krw','mga','pyg','rwf','ugx','vnd','vuv','xaf','xof','xpf') THEN 0 WHEN ${c} IN ('bhd','jod','kwd','omr','tnd') THEN 3 ELSE 2 END`;
const decimal = (amount: string, c: string) =>
  `CASE ${exponent(c)} WHEN 0 THEN (${amount})::text WHEN 3 THEN ((${amount})::numeric / 1000)::numeric(30,3)::text ELSE ((${amount})::numeric / 100)::numeric(30,2)::text END`;

/** The supporters.csv lines of a publication, newest supporter first, built by Postgres. */
export const SUPPORTER_CSV_LINES_SQL = `
  SELECT s.id::text || ',' || ${sqlCell('s.email')} || ',' || ${sqlCell('s.name')} || ',' || ${iso('s.first_paid_at')} || ',' || ${iso('s.last_paid_at')} || ','
    || ${sqlCell('ms.status')} || ',' || coalesce(upper(t.currency), '') || ',' || coalesce(t.payments::text, '0') || ','
    || coalesce(${decimal('t.gross', 't.currency')}, '') || ',' || coalesce(${decimal('t.refunded', 't.currency')}, '') || ','
    || coalesce(${decimal('t.gross - t.refunded', 't.currency')}, '') AS line
  FROM supporters s
  LEFT JOIN LATERAL (SELECT m.status FROM memberships m WHERE m.supporter_id = s.id
    ORDER BY (m.status IN ('active', 'trialing', 'past_due')) DESC, m.started_at DESC LIMIT 1) ms ON true
  LEFT JOIN LATERAL (SELECT * FROM supporter_totals t WHERE t.supporter_id = s.id ORDER BY t.currency) t ON true
  WHERE s.publication_id = $1
  ORDER BY s.id DESC, t.currency`;

// COPY's text format escapes backslash and control characters; a real line feed ends a row.
const UNESCAPE: Record<string, string> = { '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
function copyTextToCsv(text: string): string {
  return text.indexOf('\\') === -1 ? text.replaceAll('\n', '\r\n') : text.replace(/\\(.)|\n/gs, (_m, c: string | undefined) => (c === undefined ? '\r\n' : (UNESCAPE[c] ?? c)));
}

type CopyTo = (sql: string) => NodeJS.ReadableStream & { submit: unknown };
async function loadCopyTo(): Promise<CopyTo | undefined> {
  const where = process.env.PG_COPY_STREAMS;
  try {
    const mod = (await import(where ? pathToFileURL(where).href : 'pg-copy-streams')) as { to?: CopyTo; default?: { to: CopyTo } };
    return mod.to ?? mod.default?.to;
  } catch {
    return undefined;
  }
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
/** report.repository.ts streamSupporters' statement, with first/last_paid_at as text (what csvCell's toISOString gives). */
export const SUPPORTERS_LEAN_SQL = `
  SELECT s.id, s.email, s.name, to_char(s.first_paid_at AT TIME ZONE 'UTC', ${ISO}) AS first_paid_at,
    to_char(s.last_paid_at AT TIME ZONE 'UTC', ${ISO}) AS last_paid_at,
    (SELECT string_agg(t.currency || ':' || t.payments || ':' || t.gross || ':' || t.refunded, ';' ORDER BY t.currency)
       FROM supporter_totals t WHERE t.supporter_id = s.id) AS totals,
    (SELECT m.status FROM memberships m WHERE m.supporter_id = s.id
       ORDER BY (m.status IN ('active', 'trialing', 'past_due')) DESC, m.started_at DESC LIMIT 1) AS membership_status
  FROM supporters s WHERE s.publication_id = $1 ORDER BY s.id DESC`;

const FORMULA = /^[=+\-@\t\r]/;
const text = (v: string | null): string => {
  if (v === null) return '';
  const t = FORMULA.test(v) ? `'${v}` : v;
  return QUOTE.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

interface LeanRow {
  id: number | string;
  email: string;
  name: string | null;
  first_paid_at: string | null;
  last_paid_at: string | null;
  totals: string | null;
  membership_status: string | null;
}

function leanLines(rows: LeanRow[]): string {
  let out = '';
  for (const r of rows) {
    const base = `${r.id},${text(r.email)},${text(r.name)},${r.first_paid_at ?? ''},${r.last_paid_at ?? ''},${text(r.membership_status)},`;
    if (!r.totals) {
      out += `${base},0,,,\r\n`;
      continue;
    }
    for (const entry of r.totals.split(';')) {
      const [currency, payments, gross, refunded] = entry.split(':') as [string, string, string, string];
      const g = Number(gross);
      const f = Number(refunded);
      out += `${base}${currency.toUpperCase()},${payments},${minorToDecimalString(g, currency)},${minorToDecimalString(f, currency)},${minorToDecimalString(g - f, currency)}\r\n`;
    }
  }
  return out;
}

if (isMainModule(import.meta.url)) {
  const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolSize: 4 });
  const scope = { publicationId: Number(process.env.PUBLICATION_ID), timeZone: process.env.TIME_ZONE ?? 'UTC' };
  const app = express();
  const lines = async function* () {
    for await (const row of streamSupporters(database.db, scope, {})) yield* supporterCsvLines(row);
  };
  app.get('/health', (_req, res) => void res.json({ ok: true }));
  app.get('/current', async (_req, res) => {
    await streamCsv(res, 'bench-supporters.csv', SUPPORTER_CSV_HEADER, lines(), (cells) => cells);
  });
  app.get('/batched', async (_req, res) => {
    await streamCsvBatched(res, 'bench-supporters.csv', SUPPORTER_CSV_HEADER, lines());
  });
  app.get('/lean', async (_req, res) => {
    const client = await database.pgPool!.connect();
    try {
      const cursor = client.query(new Cursor<LeanRow>(SUPPORTERS_LEAN_SQL, [scope.publicationId]));
      res.status(200);
      res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="bench-supporters.csv"', 'Cache-Control': 'no-store' });
      let chunk = `\uFEFF${SUPPORTER_CSV_HEADER.map(cell).join(',')}\r\n`;
      try {
        let next = cursor.read(1000);
        for (;;) {
          const rows = await next;
          if (rows.length === 0 || res.destroyed) break;
          next = cursor.read(1000); // Postgres prepares the next rows while these are formatted
          chunk += leanLines(rows);
          if (chunk.length >= 65_536) {
            const ok = res.write(chunk);
            chunk = '';
            if (!ok) await once(res, 'drain');
          }
        }
      } finally {
        await cursor.close();
      }
      res.end(chunk);
    } finally {
      client.release();
    }
  });
  const copyTo = await loadCopyTo();
  app.get('/copy', async (_req, res) => {
    if (!copyTo) {
      res.status(501).json({ error: 'pg-copy-streams not available (set PG_COPY_STREAMS)' });
      return;
    }
    const client = await database.pgPool!.connect();
    try {
      // COPY takes no bind parameters: the publication id is an integer from the environment.
      const stream = client.query(copyTo(`COPY (${SUPPORTER_CSV_LINES_SQL.replace('$1', String(Math.trunc(scope.publicationId)))}) TO STDOUT`) as never) as unknown as AsyncIterable<Buffer>;
      res.status(200);
      res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="bench-supporters.csv"', 'Cache-Control': 'no-store' });
      res.write(`\uFEFF${SUPPORTER_CSV_HEADER.map(cell).join(',')}\r\n`);
      const decoder = new StringDecoder('utf8');
      let carry = '';
      for await (const buf of stream) {
        let text = carry + decoder.write(buf);
        carry = '';
        // An escape cut in two by the chunk boundary waits for the next chunk.
        const trailing = text.length - text.replace(/\\+$/, '').length;
        if (trailing % 2 === 1) {
          carry = '\\';
          text = text.slice(0, -1);
        }
        if (!res.write(copyTextToCsv(text))) await once(res, 'drain');
      }
      res.end(copyTextToCsv(carry + decoder.end()));
    } finally {
      client.release();
    }
  });
  app.get('/sql', async (_req, res) => {
    const client = await database.pgPool!.connect();
    try {
      const cursor = client.query(new Cursor(SUPPORTER_CSV_LINES_SQL, [scope.publicationId]));
      res.status(200);
      res.set({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="bench-supporters.csv"', 'Cache-Control': 'no-store' });
      let chunk = `\uFEFF${SUPPORTER_CSV_HEADER.map(cell).join(',')}\r\n`;
      try {
        for (;;) {
          const rows = (await cursor.read(1000)) as { line: string }[];
          if (rows.length === 0 || res.destroyed) break;
          for (const r of rows) chunk += `${r.line}\r\n`;
          if (chunk.length >= 65_536) {
            const ok = res.write(chunk);
            chunk = '';
            if (!ok) await once(res, 'drain');
          }
        }
      } finally {
        await cursor.close();
      }
      res.end(chunk);
    } finally {
      client.release();
    }
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1');
  const stop = () => {
    server.close(() => void database.close().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
