// "Did you mean": the closest known word by edit distance, for typos in commands, flags and views.

/** Levenshtein distance (insert, delete, substitute), with a transposition counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, or null when none is close: within a third of the word's length (at least 1, at
 * most 3 edits), or one the word is a prefix of (`recon` → `reconcile`).
 */
export function closest(word: string, candidates: Iterable<string>): string | null {
  const w = word.toLowerCase();
  let best: { c: string; d: number } | null = null;
  for (const c of candidates) {
    const d = c.startsWith(w) && w.length >= 3 ? 0.5 : editDistance(w, c.toLowerCase());
    if (best === null || d < best.d) best = { c, d };
  }
  if (best === null) return null;
  return best.d <= Math.min(3, Math.max(1, Math.floor(w.length / 3))) ? best.c : null;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>, show = (c: string) => c): string {
  const c = closest(word, candidates);
  return c === null ? '' : ` (did you mean ${show(c)}?)`;
}
