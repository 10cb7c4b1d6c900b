// Stripe's zero-decimal currencies: amounts are already whole units (https://docs.stripe.com/currencies).
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
// Stripe's three-decimal currencies (amounts must end in 0, but are still counted in thousandths).
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** How many minor units make one major unit, as a power of ten (eur → 2, jpy → 0). */
export function currencyExponent(currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

let knownCurrencies: Set<string> | undefined;

/** True for an ISO 4217 currency code (any case) that this runtime knows. */
export function isKnownCurrency(currency: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));
  return knownCurrencies.has(currency.toLowerCase());
}

/** Formats an integer amount of minor units for people, e.g. formatMoney(1050, 'eur', 'it') → "10,50 €". */
export function formatMoney(amountMinor: number, currency: string, locale = 'en'): string {
  const exponent = currencyExponent(currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: amountMinor % 10 ** exponent === 0 ? 0 : exponent,
    maximumFractionDigits: exponent,
  }).format(amountMinor / 10 ** exponent);
}

/** An integer amount of minor units as an exact decimal string: 1050 eur → "10.50", 500 jpy → "500". */
export function minorToDecimalString(amountMinor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === 0) return String(amountMinor);
  const sign = amountMinor < 0 ? '-' : '';
  const digits = String(Math.abs(amountMinor)).padStart(exponent + 1, '0');
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
