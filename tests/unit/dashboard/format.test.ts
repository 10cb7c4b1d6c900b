// The dashboard's pure helpers (src/dashboard/client/format.ts, range.ts): the currency exponents agree
// with the server's, money shows in major units, ranges and buckets are the API's.
import { describe, expect, it } from 'vitest';
import { exponentOf, formatMoney, formatRate, toMajor } from '../../../src/dashboard/client/format.js';
import { addDays, intervalFor, isDay, presetOf, presetRange, rangeProblem } from '../../../src/dashboard/client/range.js';
import { filenameOf, url } from '../../../src/dashboard/client/api.js';
import { currencyExponent } from '../../../src/money/currency.js';
import { addDays as serverAddDays } from '../../../src/reports/report-query.schema.js';

describe('money', () => {
  it('uses the same exponent as the server for every currency the runtime knows', () => {
    const codes = Intl.supportedValuesOf('currency').map((c) => c.toLowerCase());
    expect(codes.length).toBeGreaterThan(100);
    for (const code of codes) expect(exponentOf(code), code).toBe(currencyExponent(code));
  });

  it('shows minor units in major units with all of the currency’s decimals', () => {
    expect(formatMoney(10700, 'eur', 'en-US')).toBe('€107.00');
    expect(formatMoney(3000, 'jpy', 'en-US')).toBe('¥3,000');
    expect(formatMoney(1234, 'kwd', 'en-US')).toMatch(/^KWD\s1\.234$/);
    expect(formatMoney(-300, 'usd', 'en-US')).toBe('-$3.00');
    expect(formatMoney(10700, 'eur', 'it-IT')).toBe('107,00\u00a0€');
    expect(toMajor(1833, 'eur')).toBe(18.33);
    expect(toMajor(500, 'jpy')).toBe(500);
  });

  it('shows rates as percentages and no rate as a dash', () => {
    expect(formatRate(0.4, 'en-US')).toBe('40%');
    expect(formatRate(0.857143, 'en-US')).toBe('85.7%');
    expect(formatRate(0.012345, 'en-US')).toBe('1.23%');
    expect(formatRate(null, 'en-US')).toBe('—');
  });
});

describe('ranges', () => {
  const today = '2026-03-31';
  it('names the presets as the API counts days (inclusive)', () => {
    expect(presetRange('30d', today)).toEqual({ from: '2026-03-02', to: today }); // the API's default range
    expect(presetRange('90d', today)).toEqual({ from: '2026-01-01', to: today });
    expect(presetRange('12m', today)).toEqual({ from: '2025-04-01', to: today });
    expect(presetRange('ytd', today)).toEqual({ from: '2026-01-01', to: today });
    expect(presetRange('12m', '2028-02-29')).toEqual({ from: '2027-03-02', to: '2028-02-29' });
    expect(presetOf({ from: '2026-01-01', to: today }, today)).toBe('90d');
    expect(presetOf({ from: '2026-01-02', to: today }, today)).toBeUndefined();
  });

  it('picks a bucket size from the length of the range', () => {
    expect(intervalFor({ from: '2026-03-02', to: today })).toBe('day');
    expect(intervalFor({ from: '2026-01-01', to: today })).toBe('week');
    expect(intervalFor({ from: '2025-04-01', to: today })).toBe('week');
    expect(intervalFor({ from: '2024-01-01', to: today })).toBe('month');
  });

  it('adds days like the server and refuses what the API would', () => {
    for (const [day, n] of [
      ['2026-02-28', 1],
      ['2024-02-28', 1],
      ['2026-01-01', -1],
      ['2026-03-29', 7],
    ] as const) {
      expect(addDays(day, n)).toBe(serverAddDays(day, n));
    }
    expect(isDay('2026-02-30')).toBe(false);
    expect(rangeProblem({ from: '2026-03-01', to: '2026-01-01' })).toContain('after');
    expect(rangeProblem({ from: '2000-01-01', to: '2026-01-01' })).toContain('3,700');
    expect(rangeProblem({ from: '', to: today })).toContain('first day');
    expect(rangeProblem({ from: '2026-01-01', to: today })).toBeUndefined();
  });
});

describe('api', () => {
  it('puts parameters in the query string, leaving out empty ones, and never a key', () => {
    expect(url('/api/reports/supporters', { q: 'b@example.com', status: undefined, lapsed: false, limit: 25, cursor: null })).toBe(
      '/api/reports/supporters?q=b%40example.com&limit=25',
    );
    expect(url('/api/reports/summary')).toBe('/api/reports/summary');
  });

  it('reads the file name of a download, refusing anything but a plain name', () => {
    expect(filenameOf('attachment; filename="demo-supporters.csv"')).toBe('demo-supporters.csv');
    expect(filenameOf('attachment; filename="../../etc/passwd"')).toBeUndefined();
    expect(filenameOf(null)).toBeUndefined();
  });
});
