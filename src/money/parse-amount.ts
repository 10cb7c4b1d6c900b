import { currencyExponent } from './currency.js';

/**
 * Reads an amount a person typed in major units ("12", "12.5", "12,50", "1 000") into integer minor
 * units without floating point. Returns undefined when it is not a plain non-negative amount.
 */
export function parseMajorAmount(text: string, currency: string): number | undefined {
  const exponent = currencyExponent(currency);
  const compact = text.replace(/[\s']/g, '');
  const match = /^(\d{1,12})(?:[.,](\d+))?$/.exec(compact);
  if (!match) return undefined;
  const [, whole, fraction = ''] = match;
  if (fraction.length > exponent) return undefined;
  return Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
}
