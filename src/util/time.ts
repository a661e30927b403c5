// Durations ("24h", "5m", "7d", "90s", "1h30m") and strict RFC 3339 UTC times.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** A duration as config writes it (the config schema shows the same pattern to editors). */
export const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/** Milliseconds for a duration string, or null when it is not one. */
export function parseDuration(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Epoch ms for an RFC 3339 UTC time with `Z`, or null (rejects offsets, lowercase, impossible dates). */
export function parseUtcTime(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = RFC3339_UTC.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) + (m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return null;
  }
  return ms;
}

/** A duration for people: its two largest units, e.g. `3d 4h`, `25m`, `40s`. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000));
  for (const [unit, s] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= s || (unit === 's' && parts.length === 0)) parts.push(`${Math.floor(rest / s)}${unit}`);
    rest %= s;
  }
  return parts.slice(0, 2).join(' ');
}

export function toUtcString(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
