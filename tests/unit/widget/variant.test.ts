import { describe, expect, it } from 'vitest';
import { pickVariant } from '../../../src/widget/client/variant.js';

const copy = { heading: 'h', body: 'b' };
const variants = [
  { id: 'a', weight: 1, copy },
  { id: 'b', weight: 3, copy },
];

describe('pickVariant', () => {
  it('is undefined without variants (the publication copy is used)', () => {
    expect(pickVariant([], 0.5)).toBeUndefined();
    expect(pickVariant([], 0.5, 'a')).toBeUndefined();
  });

  it('splits the bucket range [0, 1) by weight', () => {
    expect(pickVariant(variants, 0)?.id).toBe('a');
    expect(pickVariant(variants, 0.2499)?.id).toBe('a');
    expect(pickVariant(variants, 0.25)?.id).toBe('b');
    expect(pickVariant(variants, 0.9999)?.id).toBe('b');
  });

  it('gives each variant its share of many browsers', () => {
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) counts[pickVariant(variants, i / 10_000)!.id]!++;
    expect(counts).toEqual({ a: 2500, b: 7500 });
  });

  it('is stable: the same bucket always gets the same variant', () => {
    const bucket = 0.6180339887;
    expect(new Set(Array.from({ length: 20 }, () => pickVariant(variants, bucket)?.id))).toEqual(new Set(['b']));
  });

  it('lets ?favour-variant= force a variant, ignoring an unknown id', () => {
    expect(pickVariant(variants, 0.99, 'a')?.id).toBe('a');
    expect(pickVariant(variants, 0, 'b')?.id).toBe('b');
    expect(pickVariant(variants, 0, 'nope')?.id).toBe('a');
    expect(pickVariant(variants, 0, null)?.id).toBe('a');
  });

  it('still picks one with a bucket out of range (tampered storage)', () => {
    expect(pickVariant(variants, 1)?.id).toBe('a');
    expect(pickVariant(variants, -3)?.id).toBe('a');
  });
});
