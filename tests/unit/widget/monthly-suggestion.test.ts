import { describe, expect, it } from 'vitest';
import { suggestMonthly } from '../../../src/widget/monthly-suggestion.js';

describe('suggestMonthly', () => {
  it('is the monthly preset nearest a third of the gift, the smaller on a tie', () => {
    expect(suggestMonthly(1500, [300, 500, 1000])).toBe(500);
    expect(suggestMonthly(3000, [300, 500, 1000])).toBe(1000);
    expect(suggestMonthly(500, [300, 500, 1000])).toBe(300);
    expect(suggestMonthly(1200, [300, 500])).toBe(300); // 400 is as near 300 as 500: never the larger
    expect(suggestMonthly(6000, [300, 500, 1000], 0.25)).toBe(1000);
  });

  it('is undefined without monthly presets', () => {
    expect(suggestMonthly(1500, [])).toBeUndefined();
    expect(suggestMonthly(1500, undefined)).toBeUndefined();
  });
});
