import type { Response } from 'express';
import { minorToDecimalString } from '../money/currency.js';
import type { DonationExportRow, SupporterExportRow } from './csv-export.repository.js';

// Spreadsheet programs run cells starting with these as formulas (after leading spaces, which some trim):
// prefix them so they stay text. Full-width ＝ and ＋ too: some locales' Excel reads them as = and +.
const FORMULA_START = /^ *[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;
// RFC 4180: a cell holding a quote, a comma or a line break is quoted, its quotes doubled. So is one holding
// a semicolon or a tab: Excel in Italian and Serbian locales splits CSV files on `;`, and a cell like
// `x;=1+1` would start a formula there.
const NEEDS_QUOTES = /[",;\t\r\n]/;

/** Makes a value safe for a spreadsheet: text that would run as a formula gets a leading `'`. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** A cell as written to the file: csvCell, then RFC 4180 quoting when needed. */
export function csvField(value: string | number | null | undefined): string {
  const text = csvCell(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// Ids, times (ISO 8601 from the query), currency codes and amounts never need quotes. Only a negative amount would
// read as a formula: it is prefixed like any other cell.
function decimal(minor: number, currency: string): string {
  const text = minorToDecimalString(minor, currency);
  return minor < 0 ? `'${text}` : text;
}

export const SUPPORTER_CSV_HEADER = [
  'id',
  'email',
  'name',
  'first_supported_at',
  'last_supported_at',
  'membership_status',
  'currency',
  'payments',
  'lifetime_gross',
  'lifetime_refunded',
  'lifetime_net',
];

/** A supporter's CSV lines: one per currency (a supporter who gave in two currencies has two). */
export function supporterCsvLines(s: SupporterExportRow): string {
  const base = `${s.id},${csvField(s.email)},${csvField(s.name)},${s.first_paid_at ?? ''},${s.last_paid_at ?? ''},${csvField(s.membership_status)},`;
  if (!s.totals) return `${base},0,,,\r\n`;
  const entries = s.totals.split(';');
  // By currency: each entry starts with its code, and ':' sorts before any letter.
  if (entries.length > 1) entries.sort();
  let lines = '';
  for (const entry of entries) {
    const [currency, payments, gross, refunded] = entry.split(':') as [string, string, string, string];
    const [g, r] = [Number(gross), Number(refunded)];
    lines += `${base}${currency.toUpperCase()},${payments},${decimal(g, currency)},${decimal(r, currency)},${decimal(g - r, currency)}\r\n`;
  }
  return lines;
}

export const DONATION_CSV_HEADER = [
  'id',
  'paid_at',
  'created_at',
  'kind',
  'status',
  'currency',
  'amount',
  'refunded',
  'net',
  'dispute_status',
  'email',
  'name',
  'article_url',
  'variant',
  'subscription_id',
  'source_id',
  // Last, so files read by column position before it was added still line up.
  'fee_cover_amount',
];

/** A payment's CSV line; net is what was kept of a payment that went through (0 for pending or failed). */
export function donationCsvLine(d: DonationExportRow): string {
  const net = d.status === 'succeeded' || d.status === 'partially_refunded' || d.status === 'refunded' ? d.amount - d.refunded_amount : 0;
  return (
    `${d.id},${d.paid_at ?? ''},${d.created_at},${csvField(d.kind)},${csvField(d.status)},${d.currency.toUpperCase()},` +
    `${decimal(d.amount, d.currency)},${decimal(d.refunded_amount, d.currency)},${decimal(net, d.currency)},${csvField(d.dispute_status)},` +
    `${csvField(d.email)},${csvField(d.name)},${csvField(d.article_url)},${csvField(d.variant)},${csvField(d.subscription_id)},${csvField(d.source_id)},` +
    `${decimal(d.fee_cover_amount, d.currency)}\r\n`
  );
}

// Socket writes of ~64 kB (one write per record cost more than the formatting itself), from buffers with room for
// a whole batch past that mark.
const WRITE_BYTES = 64 * 1024;
const BUFFER_BYTES = 4 * WRITE_BYTES;

/**
 * Streams batches of rows as RFC 4180 CSV (CRLF) in UTF-8 with a byte-order mark, so spreadsheet programs read
 * Serbian and Italian names right. A batch's text is copied at once into a reused buffer that goes to the socket every
 * ~64 kB: text held in strings until written outlived young-generation GCs and cost more than the formatting. After a
 * batch, when the client reads slower than the database, the next one waits for the socket to drain: memory stays
 * flat however long the export. A client that goes away stops the read and releases the database cursor.
 */
export async function streamCsv<R>(
  res: Response,
  filename: string,
  header: readonly string[],
  batches: AsyncIterable<R[]>,
  toLines: (row: R) => string,
): Promise<void> {
  // The first batch is read before the 200 goes out, so a query that fails at once (a NUL in a filter, the database
  // down) still gets its proper error answer instead of a half-sent download that leaves the client waiting.
  const iterator = batches[Symbol.asyncIterator]();
  let next = await iterator.next();
  res.status(200);
  res.set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  });
  // Buffers come back once the socket has taken them: a handful serve the whole export.
  const spare: Buffer[] = [];
  let buffer: Buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = buffer.write(`\uFEFF${header.join(',')}\r\n`);
  let ready = true;
  const flush = () => {
    const full = buffer;
    ready = res.write(full.subarray(0, used), () => spare.push(full)) && ready;
    buffer = spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES);
    used = 0;
  };
  try {
    for (; !next.done; next = await iterator.next()) {
      let text = '';
      for (const row of next.value) text += toLines(row);
      // A UTF-16 unit takes at most 3 bytes in UTF-8.
      if (used > 0 && used + text.length * 3 > BUFFER_BYTES) flush();
      if (text.length * 3 > BUFFER_BYTES) ready = res.write(text) && ready;
      else used += buffer.write(text, used);
      if (used >= WRITE_BYTES) flush();
      if (!ready && !res.destroyed) await drainOrClose(res);
      ready = true;
      if (res.destroyed) return; // the client went away
    }
  } finally {
    // Stopped early (client gone, or an error): release the database cursor now.
    if (!next.done) await iterator.return?.(undefined);
  }
  res.end(buffer.subarray(0, used));
}

function drainOrClose(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
