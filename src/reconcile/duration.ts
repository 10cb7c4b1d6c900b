const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Reads durations such as "72h", "15m", "30d", "900s" or plain seconds ("900"); returns seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(text.trim().toLowerCase());
  if (!match) throw new Error(`"${text}" is not a duration such as 15m, 72h or 30d`);
  return Math.round(Number(match[1]) * UNITS[match[2] || 's']!);
}
