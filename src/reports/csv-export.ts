import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import { minorToDecimalString } from '../money/currency.js';
import type { DonationRow } from './report.repository.js';

// Spreadsheet programs run cells starting with these as formulas: prefix them so they stay text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** Makes a value safe and unambiguous for a CSV cell. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * Streams rows as RFC 4180 CSV (CRLF, quoted when needed) in UTF-8 with a byte-order mark, so
 * spreadsheet programs read Serbian and Italian names right. Rows are pulled one at a time from
 * the database cursor and written as the client reads: memory stays flat however long the export.
 */
export async function streamCsv<T>(res: Response, filename: string, header: string[], rows: AsyncIterable<T>, toCells: (row: T) => unknown[]): Promise<void> {
  // The first row is read before the 200 goes out, so a query that fails at once (a NUL in a
  // filter, the database down) still gets its proper error answer instead of a half-sent download
  // (found by the hardening fuzz tests: donations.csv?variant=%00 left the client waiting forever).
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.status(200);
  res.set({
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  });
  const csv = stringify({ record_delimiter: '\r\n', quoted_match: /[",\r\n]/ });
  csv.pipe(res);
  res.write('\uFEFF');
  const write = (record: string[]) =>
    csv.write(record) ? Promise.resolve() : new Promise<void>((resolve) => csv.once('drain', () => resolve()));
  await write(header);
  for (let next = first; !next.done; next = await iterator.next()) {
    if (res.destroyed) {
      await iterator.return?.(); // releases the database cursor
      break;
    }
    await write(toCells(next.value).map(csvCell));
  }
  await new Promise<void>((resolve) => {
    res.once('finish', () => resolve());
    res.once('close', () => resolve());
    csv.end();
  });
}

export const DONATION_CSV_HEADER = ['id', 'paid_at', 'created_at', 'kind', 'status', 'currency', 'amount', 'refunded', 'net', 'dispute_status', 'email', 'name', 'article_url', 'variant', 'subscription_id', 'source_id'];

export function donationCsvCells(d: DonationRow): unknown[] {
  const net = d.status === 'succeeded' || d.status === 'partially_refunded' || d.status === 'refunded' ? d.amount - d.refunded_amount : 0;
  return [
    d.id,
    d.paid_at,
    d.created_at,
    d.kind,
    d.status,
    d.currency.toUpperCase(),
    minorToDecimalString(d.amount, d.currency),
    minorToDecimalString(d.refunded_amount, d.currency),
    minorToDecimalString(net, d.currency),
    d.dispute_status,
    d.email,
    d.name,
    d.article_url,
    d.variant,
    d.subscription_id,
    d.source_id,
  ];
}

export const SUPPORTER_CSV_HEADER = ['id', 'email', 'name', 'first_supported_at', 'last_supported_at', 'membership_status', 'currency', 'payments', 'lifetime_gross', 'lifetime_refunded', 'lifetime_net'];

/** One line per supporter and currency (a supporter who gave in two currencies has two lines). */
export function supporterCsvLines(s: { id: number; email: string; name: string | null; first_paid_at: Date | null; last_paid_at: Date | null; totals: string | null; membership_status: string | null }): unknown[][] {
  const base = [s.id, s.email, s.name, s.first_paid_at, s.last_paid_at, s.membership_status];
  if (!s.totals) return [[...base, '', 0, '', '', '']];
  return s.totals.split(';').map((entry) => {
    const [currency, payments, gross, refunded] = entry.split(':') as [string, string, string, string];
    const [g, r] = [Number(gross), Number(refunded)];
    return [...base, currency.toUpperCase(), Number(payments), minorToDecimalString(g, currency), minorToDecimalString(r, currency), minorToDecimalString(g - r, currency)];
  });
}
