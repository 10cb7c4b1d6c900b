// Amounts as people type them and as they read them. Pure: no DOM, so unit tests run in Node.

/**
 * Converts an amount typed by a person in major units ("10", "10,50", "10.50", "1.000,50", "€ 5")
 * to integer minor units without floating point: 10,50 eur (exponent 2) → 1050.
 * The last "." or "," is the decimal separator unless exactly three digits follow it (then it groups
 * thousands: "1.000" is a thousand euros, not one); other separators must group by three.
 * Returns NaN when the text is not an amount (letters, a minus sign, more decimals than the currency has).
 */
export function toMinor(text: string, exponent: number): number {
  // Spaces (incl. no-break ones), apostrophes (Swiss thousands) and currency signs are noise.
  const s = text.replace(/[\s'’\p{Sc}]/gu, '');
  const at = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  const tail = s.length - at - 1;
  const decimal = at >= 0 && (tail != 3 || exponent >= 3);
  const int = decimal ? s.slice(0, at) : s;
  const frac = decimal ? s.slice(at + 1) : '';
  if (!/\d/.test(s) || !/^\d*(?:[.,]\d{3})*$/.test(int) || /\D/.test(frac) || frac.length > exponent) return NaN;
  return +(int.replace(/\D/g, '') + frac.padEnd(exponent, '0'));
}

/** Formats minor units for people with Intl: whole amounts without decimals (€10, 10,50 €). */
export function formatMinor(minor: number, currency: string, exponent: number, locale?: string): string {
  const whole = minor % 10 ** exponent === 0;
  const digits = whole ? 0 : exponent;
  const options = {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  } as const;
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, options);
  } catch {
    format = new Intl.NumberFormat(undefined, options);
  }
  return format.format(minor / 10 ** exponent);
}
