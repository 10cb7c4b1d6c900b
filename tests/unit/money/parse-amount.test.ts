import { describe, expect, it } from 'vitest';
import { parseMajorAmount } from '../../../src/money/parse-amount.js';

describe('parseMajorAmount', () => {
  it.each([
    ['12', 'eur', 1200],
    ['12.5', 'eur', 1250],
    ['12,50', 'eur', 1250],
    ['0.07', 'eur', 7],
    ['1 000', 'eur', 100_000],
    ['19.99', 'usd', 1999],
    ['500', 'jpy', 500],
    ['1.250', 'kwd', 1250],
  ])('reads %s %s as %i minor units', (text, currency, expected) => {
    expect(parseMajorAmount(text, currency)).toBe(expected);
  });

  it.each([
    ['12.345', 'eur'],
    ['5.5', 'jpy'],
    ['-5', 'eur'],
    ['1e3', 'eur'],
    ['', 'eur'],
    ['abc', 'eur'],
    ['1.000,50', 'eur'],
  ])('rejects %s in %s', (text, currency) => {
    expect(parseMajorAmount(text, currency)).toBeUndefined();
  });
});
