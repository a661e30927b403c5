// Byte sizes in config ("32GiB", "512MiB", "1048576"): binary units only, so "GB" is never a guess.
const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
/** A size as config writes it (the config schema shows the same pattern to editors). */
export const SIZE = /^([1-9][0-9]*)(B|KiB|MiB|GiB|TiB)?$/;

/** Bytes for a size string, or null when it is not one. */
export function parseSize(text: string): number | null {
  const m = SIZE.exec(text);
  if (!m) return null;
  const bytes = Number(m[1]) * UNIT[m[2] ?? 'B']!;
  return Number.isSafeInteger(bytes) ? bytes : null;
}
