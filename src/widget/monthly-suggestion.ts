// "Make it monthly": the monthly amount to suggest instead of a one-off gift. Pure, so the widget and the hosted
// thank-you page share the rule.

/** A third of a one-off gift, as a monthly amount, gives about the same within the first quarter. */
export const DEFAULT_MONTHLY_FRACTION = 1 / 3;

/**
 * The monthly preset nearest to `fraction` of a one-off `gift` (the smaller one on a tie: never push), or undefined
 * when there are no monthly presets.
 */
export function suggestMonthly(
  gift: number,
  monthlyPresets: readonly number[] | undefined,
  fraction = DEFAULT_MONTHLY_FRACTION,
): number | undefined {
  const wanted = gift * fraction;
  let best: number | undefined;
  for (const preset of monthlyPresets ?? []) {
    const closer = best === undefined || Math.abs(preset - wanted) < Math.abs(best - wanted);
    const tieButSmaller = best !== undefined && Math.abs(preset - wanted) === Math.abs(best - wanted) && preset < best;
    if (closer || tieButSmaller) best = preset;
  }
  return best;
}
