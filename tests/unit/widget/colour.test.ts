import { describe, expect, it } from 'vitest';
import { contrast, hex, parseRgb, textOn, withContrast, type Rgb } from '../../../src/widget/client/colour.js';

const WHITE: Rgb = [255, 255, 255];
const DARK: Rgb = [29, 29, 32]; // the widget's dark background

describe('colour', () => {
  it('parses rgb()/rgba() as getComputedStyle returns colours', () => {
    expect(parseRgb('rgb(11, 92, 173)')).toEqual([11, 92, 173]);
    expect(parseRgb('rgba(11, 92, 173, 1)')).toEqual([11, 92, 173]);
    expect(parseRgb('rgb(11 92 173 / 100%)')).toEqual([11, 92, 173]);
    expect(parseRgb('rgba(0, 0, 0, 0)')).toBeUndefined(); // transparent: no accent
    expect(parseRgb('oklch(0.5 0.1 200)')).toBeUndefined();
    expect(parseRgb('#0b5cad')).toBeUndefined();
  });

  it('computes WCAG contrast ratios', () => {
    expect(contrast(WHITE, [0, 0, 0])).toBeCloseTo(21, 5);
    expect(contrast([118, 118, 118], WHITE)).toBeCloseTo(4.54, 2);
    expect(hex([11, 92, 173])).toBe('#0b5cad');
  });

  it('picks black or white text with at least 4.5:1 on any accent', () => {
    for (let r = 0; r < 256; r += 15) {
      for (let g = 0; g < 256; g += 15) {
        for (let b = 0; b < 256; b += 15) {
          const accent: Rgb = [r, g, b];
          expect(contrast(textOn(accent), accent)).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
    expect(textOn([11, 92, 173])).toEqual(WHITE);
    expect(textOn([255, 229, 0])).toEqual([0, 0, 0]); // a yellow brand
  });

  it('darkens (light theme) or lightens (dark theme) an accent just enough for 3:1 against the card', () => {
    const yellow: Rgb = [255, 229, 0];
    const navy: Rgb = [11, 40, 90];
    expect(contrast(yellow, WHITE)).toBeLessThan(3);
    expect(contrast(withContrast(yellow, WHITE, 3), WHITE)).toBeGreaterThanOrEqual(3);
    expect(contrast(withContrast(navy, DARK, 3), DARK)).toBeGreaterThanOrEqual(3);
    expect(withContrast([11, 92, 173], WHITE, 3)).toEqual([11, 92, 173]); // already fine: unchanged
    for (let i = 0; i < 256; i += 5) {
      for (const bg of [WHITE, DARK]) {
        expect(contrast(withContrast([i, 255 - i, (i * 7) % 256], bg, 3), bg)).toBeGreaterThanOrEqual(3);
      }
    }
  });
});
