import { describe, expect, it } from 'vitest';
import { formatMinor, toMinor } from '../../../src/widget/client/money.js';

describe('toMinor: an amount typed by a person → integer minor units', () => {
  it.each([
    ['10', 2, 1000],
    ['10,50', 2, 1050],
    ['10.50', 2, 1050],
    ['10,5', 2, 1050],
    ['0,01', 2, 1],
    [',50', 2, 50],
    ['10.', 2, 1000],
    [' 25 ', 2, 2500],
    ['€ 5', 2, 500],
    ['5 €', 2, 500],
    ['$12.34', 2, 1234],
    ['1.000', 2, 100_000], // Italian/Serbian thousands: a thousand euros, not one
    ['1,000', 2, 100_000],
    ['1.000,50', 2, 100_050],
    ['1,000.50', 2, 100_050],
    ['1 000,50', 2, 100_050],
    ['1\u00a0000', 2, 100_000],
    ["1'000.50", 2, 100_050],
    ['1.000.000', 2, 100_000_000],
    ['500', 0, 500], // yen: no minor unit
    ['1,000', 0, 1000],
    ['1.500', 3, 1500], // three-decimal currencies read the last separator as decimal
    ['007', 2, 700],
  ])('%j (exponent %i) → %i', (text, exponent, expected) => {
    expect(toMinor(text, exponent)).toBe(expected);
  });

  it('has no floating-point error where parseFloat × 100 has one', () => {
    expect(parseFloat('1.005') * 1000).not.toBe(1005); // the trap: 1004.9999999999999
    expect(toMinor('1.005', 3)).toBe(1005);
    expect(parseFloat('4.35') * 100).not.toBe(435); // 434.99999999999994
    for (const [text, cents] of [
      ['0.29', 29],
      ['1.13', 113],
      ['4.35', 435],
      ['1234567.89', 123_456_789],
      ['9007199254740.99', 900_719_925_474_099],
    ] as const) {
      expect(toMinor(text, 2)).toBe(cents);
    }
  });

  it.each([
    ['', 2],
    ['   ', 2],
    ['abc', 2],
    ['ten', 2],
    ['-5', 2],
    ['5-', 2],
    ['+5', 2],
    ['1e3', 2],
    ['.', 2],
    [',', 2],
    ['10,5', 0],
  ])('%j is not an amount', (text, exponent) => {
    expect(toMinor(text, exponent)).toBeNaN();
  });

  it('rejects more decimals than the currency has and badly grouped digits', () => {
    expect(toMinor('10,5', 0)).toBeNaN(); // half a yen
    expect(toMinor('10.555', 3)).toBe(10_555);
    expect(toMinor('1.2345', 2)).toBeNaN();
    expect(toMinor('1,5,0', 2)).toBeNaN();
    expect(toMinor('12,34,567', 2)).toBeNaN();
    expect(toMinor('1.00.000', 2)).toBeNaN();
  });

  it('reads a mixed-up "1,000,00" as 1000.00 (the Donate button shows the amount before anyone pays)', () => {
    expect(toMinor('1,000,00', 2)).toBe(100_000);
  });

  it('reads absurdly long input as a huge number (then "too high"), never as garbage', () => {
    expect(toMinor('9'.repeat(40), 2)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatMinor', () => {
  it('shows whole amounts without decimals and others with the currency exponent', () => {
    expect(formatMinor(1000, 'eur', 2, 'en')).toBe('€10');
    expect(formatMinor(1050, 'eur', 2, 'en')).toBe('€10.50');
    expect(formatMinor(1050, 'eur', 2, 'it-IT')).toBe('10,50\u00a0€');
    expect(formatMinor(100_000, 'eur', 2, 'it-IT')).toBe('1000\u00a0€'); // CLDR: Italian groups from five digits
    expect(formatMinor(1_000_000, 'eur', 2, 'sr-Cyrl-RS')).toBe('10.000\u00a0€');
    expect(formatMinor(500, 'jpy', 0, 'en')).toBe('¥500');
    expect(formatMinor(500, 'usd', 2, 'en')).toBe('$5');
  });

  it('falls back to the default locale for a malformed one', () => {
    expect(formatMinor(500, 'eur', 2, 'not a locale!')).toMatch(/5/);
  });
});
