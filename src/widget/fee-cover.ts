// Covering the fees: what to add to a gift so the newsroom nets all of it. Pure, so the widget, the checkout and the
// hosted donate page share the rule.

/** A processor's price for one payment: a share of the amount plus a fixed amount per currency (minor units). */
export interface FeeRate {
  /** Percent of the amount charged, e.g. 1.5; at most two decimals. */
  percent: number;
  /** The fixed part per lower-case currency code, in minor units; 0 where absent. */
  fixed: Partial<Record<string, number>>;
}

/**
 * The smallest addition to `gift` (minor units) such that the total minus the fee on the total is at least the gift:
 * total = ⌈(gift + fixed) / (1 − percent/100)⌉, rounded up to the minor unit. The percent is taken in hundredths, so
 * €10 at 1.5% + €0.25 is exactly 41 cents.
 */
export function feeCoverAmount(gift: number, currency: string, rate: FeeRate): number {
  const hundredthsOfPercent = Math.round(rate.percent * 100);
  const keep = 10_000 - hundredthsOfPercent;
  const fixed = rate.fixed[currency] ?? 0;
  if (!(gift > 0) || keep <= 0) return 0;
  // Both operands are exact integers and the quotient is at least 1/keep away from any integer it is not: the ceil of
  // the correctly rounded division is exact.
  return Math.ceil(((gift + fixed) * 10_000) / keep) - gift;
}
