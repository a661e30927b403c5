// Python fnmatch.fnmatchcase semantics: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is a literal. No other syntax.
// Matched without regular expressions: a backtracking regex takes exponential time on a pattern with many `*`, and
// this matcher only ever goes back to the last `*`, so it takes at most len(name) × len(pattern) steps.

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'never' }
  | { kind: 'char'; cp: number }
  | { kind: 'set'; negate: boolean; chars: Set<number>; ranges: [number, number][] };

const cache = new Map<string, Token[]>();
const cp = (s: string): number => s.codePointAt(0)!;

/**
 * A `[...]` body as Python's fnmatch._translate reads it: split at range hyphens (a hyphen right after a range is a
 * literal), ranges whose ends are reversed removed with their ends, a trailing hyphen literal.
 */
function setToken(pat: string[], start: number, end: number): Token {
  let chunks: string[][];
  if (!pat.slice(start, end).includes('-')) {
    chunks = [pat.slice(start, end)];
  } else {
    chunks = [];
    let i = start;
    let k = pat[start] === '!' ? start + 2 : start + 1;
    for (;;) {
      k = pat.indexOf('-', k);
      if (k < 0 || k >= end) break;
      chunks.push(pat.slice(i, k));
      i = k + 1;
      k += 3;
    }
    const last = pat.slice(i, end);
    if (last.length > 0) chunks.push(last);
    else chunks[chunks.length - 1]!.push('-');
    for (let k2 = chunks.length - 1; k2 > 0; k2--) {
      const [a, b] = [chunks[k2 - 1]!, chunks[k2]!];
      if (cp(a[a.length - 1]!) > cp(b[0]!)) {
        chunks[k2 - 1] = [...a.slice(0, -1), ...b.slice(1)];
        chunks.splice(k2, 1);
      }
    }
  }
  const flat = chunks.flat();
  if (flat.length === 0) return { kind: 'never' };
  if (flat.length === 1 && flat[0] === '!') return { kind: 'any' };
  const negate = flat[0] === '!';
  if (negate) chunks[0] = chunks[0]!.slice(1);
  const chars = new Set(chunks.flat().map(cp));
  const ranges: [number, number][] = [];
  for (let k = 1; k < chunks.length; k++) ranges.push([cp(chunks[k - 1]!.at(-1)!), cp(chunks[k]![0]!)]);
  return { kind: 'set', negate, chars, ranges };
}

function compile(pattern: string): Token[] {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const pat = Array.from(pattern);
  const tokens: Token[] = [];
  let i = 0;
  while (i < pat.length) {
    const c = pat[i++]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      let j = i;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) {
        tokens.push({ kind: 'char', cp: cp('[') });
      } else {
        tokens.push(setToken(pat, i, j));
        i = j + 1;
      }
    } else {
      tokens.push({ kind: 'char', cp: cp(c) });
    }
  }
  cache.set(pattern, tokens);
  return tokens;
}

function matchesOne(t: Token, c: number): boolean {
  switch (t.kind) {
    case 'any':
      return true;
    case 'never':
    case 'star':
      return false;
    case 'char':
      return t.cp === c;
    case 'set': {
      const inSet = t.chars.has(c) || t.ranges.some(([lo, hi]) => lo <= c && c <= hi);
      return inSet !== t.negate;
    }
  }
}

export function fnmatchcase(name: string, pattern: string): boolean {
  const tokens = compile(pattern);
  const text = Array.from(name, cp);
  let p = 0;
  let n = 0;
  // Where to resume after the last `*`: the token after it, and the next name position it may swallow up to.
  let starP = -1;
  let starN = 0;
  while (n < text.length || p < tokens.length) {
    const t = tokens[p];
    if (t?.kind === 'star') {
      starP = p++;
      starN = n;
      continue;
    }
    if (t !== undefined && n < text.length && matchesOne(t, text[n]!)) {
      p++;
      n++;
      continue;
    }
    // Mismatch: let the last `*` swallow one more character and retry from just after it.
    if (starP >= 0 && starN < text.length) {
      p = starP + 1;
      n = ++starN;
      continue;
    }
    return false;
  }
  return true;
}
