import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { feeCoverAmount } from '../../../src/widget/fee-cover.js';

/** What the processor takes from a total, rounded as card processors do (to the nearest minor unit). */
const feeOn = (total: number, percent: number, fixed: number) => Math.round((total * percent) / 100) + fixed;

describe('feeCoverAmount', () => {
  it('adds what makes the newsroom net the gift: €5 at 1.5% + €0.25 is €0.33, €10 is €0.41', () => {
    const rate = { percent: 1.5, fixed: { eur: 25 } };
    expect(feeCoverAmount(500, 'eur', rate)).toBe(33);
    expect(feeCoverAmount(1000, 'eur', rate)).toBe(41);
    // No fixed part for a currency: the percent alone, rounded up (¥1,000 at 1.5% is ¥1,015.2…: ¥16).
    expect(feeCoverAmount(1000, 'jpy', rate)).toBe(16);
    expect(feeCoverAmount(0, 'eur', rate)).toBe(0);
    expect(feeCoverAmount(Number.NaN, 'eur', rate)).toBe(0);
  });

  it('is the smallest addition after which the fee on the total leaves at least the gift', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000_000 }),
        fc.integer({ min: 0, max: 1000 }).map((hundredths) => hundredths / 100),
        fc.integer({ min: 0, max: 500 }),
        (gift, percent, fixed) => {
          const cover = feeCoverAmount(gift, 'eur', { percent, fixed: { eur: fixed } });
          const exact = (total: number) => total - (total * percent) / 100 - fixed;
          expect(exact(gift + cover)).toBeGreaterThanOrEqual(gift - 1e-6);
          if (cover > 0) expect(exact(gift + cover - 1)).toBeLessThan(gift);
          // Under a processor's rounding the newsroom is at most a minor unit short.
          expect(gift + cover - feeOn(gift + cover, percent, fixed)).toBeGreaterThanOrEqual(gift - 1);
        },
      ),
    );
  });
});
