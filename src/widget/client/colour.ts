// WCAG 2.2 contrast arithmetic for the publication's accent colour. Pure: no DOM.

export type Rgb = [number, number, number];

/**
 * Parses rgb()/rgba() as getComputedStyle returns any CSS colour (the widget lets the browser
 * normalise hex, names, hsl …); undefined for anything else or a translucent colour.
 */
export function parseRgb(text: string): Rgb | undefined {
  const m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+%?)\s*)?\)$/i.exec(text.trim());
  if (!m || (m[4] && parseFloat(m[4]) < (m[4].endsWith('%') ? 100 : 1))) return undefined;
  return [m[1], m[2], m[3]].map((v) => Math.min(255, Math.round(+v!))) as Rgb;
}

export function luminance(c: Rgb): number {
  const [r, g, b] = c.map((v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: Rgb, b: Rgb): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

export const hex = (c: Rgb): string => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');

/** Black or white, whichever reads better on `bg` (always at least 4.5:1). */
export const textOn = (bg: Rgb): Rgb => (contrast(bg, [0, 0, 0]) >= contrast(bg, [255, 255, 255]) ? [0, 0, 0] : [255, 255, 255]);

/** `c` mixed towards black (light `bg`) or white (dark `bg`) just enough to reach `ratio` against `bg`. */
export function withContrast(c: Rgb, bg: Rgb, ratio: number): Rgb {
  const to = luminance(bg) > 0.18 ? 0 : 255;
  let out = c;
  for (let i = 1; i <= 20 && contrast(out, bg) < ratio; i++) out = c.map((v) => Math.round(v + (to - v) * (i / 20))) as Rgb;
  return out;
}
