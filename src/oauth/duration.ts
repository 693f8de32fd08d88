const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90`, `90s`, `15m`, `24h`, `30d` into seconds; returns undefined when the text is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}
