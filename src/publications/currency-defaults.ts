import type { CurrencySettings } from '../db/tables/publication.table.js';
import { currencyExponent } from '../money/currency.js';

// Lowest amount Stripe accepts per currency, in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
// Other currencies fall back to roughly one euro's worth in their own units, never below these.
const STRIPE_MINIMUMS: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  chf: 50,
  cad: 50,
  aud: 50,
  nzd: 50,
  sgd: 50,
  hkd: 400,
  jpy: 50,
  dkk: 250,
  nok: 300,
  sek: 300,
  pln: 200,
  czk: 1500,
  huf: 17500,
  ron: 200,
  bgn: 100,
  mxn: 1000,
  brl: 50,
  inr: 50,
  aed: 200,
  thb: 1000,
  myr: 200,
  rsd: 6000,
};

// One "unit" of a typical gift in each currency's minor units, so presets look natural (5, 10, 25 …).
const GIFT_UNIT: Record<string, number> = {
  jpy: 100,
  huf: 30_000,
  czk: 2_500,
  rsd: 10_000,
  sek: 1_000,
  nok: 1_000,
  dkk: 750,
  pln: 400,
  inr: 8_000,
  mxn: 2_000,
};

/** Sensible limits and presets for a currency a publication starts accepting. */
export function defaultCurrencySettings(currency: string): CurrencySettings {
  const c = currency.toLowerCase();
  const unit = GIFT_UNIT[c] ?? 10 ** currencyExponent(c);
  const stripeMinimum = STRIPE_MINIMUMS[c] ?? unit;
  return {
    min: Math.max(stripeMinimum, unit),
    max: unit * 10_000,
    presets: {
      once: [5 * unit, 10 * unit, 25 * unit],
      month: [3 * unit, 5 * unit, 10 * unit],
      year: [30 * unit, 50 * unit, 100 * unit],
    },
  };
}

/** Stripe's own minimum for a currency, in minor units (undefined when we do not know it). */
export function stripeMinimumAmount(currency: string): number | undefined {
  return STRIPE_MINIMUMS[currency.toLowerCase()];
}
