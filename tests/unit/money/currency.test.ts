import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMoney, isKnownCurrency, minorToDecimalString } from '../../../src/money/currency.js';

describe('currency helpers', () => {
  it('knows zero-, two- and three-decimal currencies', () => {
    expect(currencyExponent('jpy')).toBe(0);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('kwd')).toBe(3);
  });

  it('formats minor units for people in their locale', () => {
    expect(formatMoney(1050, 'eur', 'en')).toBe('€10.50');
    expect(formatMoney(1000, 'eur', 'en')).toBe('€10');
    expect(formatMoney(1050, 'eur', 'it')).toMatch(/^10,50\s€$/);
    expect(formatMoney(500, 'jpy', 'en')).toBe('¥500');
  });

  it('writes exact decimal strings without floating point', () => {
    expect(minorToDecimalString(1050, 'eur')).toBe('10.50');
    expect(minorToDecimalString(5, 'eur')).toBe('0.05');
    expect(minorToDecimalString(-5, 'usd')).toBe('-0.05');
    expect(minorToDecimalString(500, 'jpy')).toBe('500');
    expect(minorToDecimalString(900_719_925_474_099, 'eur')).toBe('9007199254740.99');
    expect(minorToDecimalString(1230, 'kwd')).toBe('1.230');
  });

  it('recognises ISO currency codes', () => {
    expect(isKnownCurrency('eur')).toBe(true);
    expect(isKnownCurrency('rsd')).toBe(true);
    expect(isKnownCurrency('eu')).toBe(false);
    expect(isKnownCurrency('e1r')).toBe(false);
  });
});
