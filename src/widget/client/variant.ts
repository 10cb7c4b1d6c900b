import type { WidgetVariant } from '../widget-config.js';

/**
 * Picks the appeal variant for a browser: the forced one (?favour-variant=ID, for previews) when it
 * exists, else by weight with the browser's stable random bucket in [0, 1). Undefined without variants.
 */
export function pickVariant(variants: readonly WidgetVariant[], bucket: number, forced?: string | null): WidgetVariant | undefined {
  let at = bucket * variants.reduce((sum, v) => sum + v.weight, 0);
  return variants.find((v) => v.id === forced) || variants.find((v) => (at -= v.weight) < 0) || variants[0];
}
