// Python fnmatch.fnmatchcase semantics: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is a literal. No other syntax.
const cache = new Map<string, RegExp>();

function escapeRegex(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

function translateClass(body: string): string {
  let negate = false;
  if (body.startsWith('!')) {
    negate = true;
    body = body.slice(1);
  }
  // Inside a class only `\`, `]`, `[` and a leading `^` are special to JS; `-` keeps its range meaning as in Python.
  const escaped = Array.from(body)
    .map((ch) => (ch === '\\' || ch === ']' || ch === '[' || ch === '^' ? `\\${ch}` : ch))
    .join('');
  return `[${negate ? '^' : ''}${escaped}]`;
}

export function translateGlob(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++]!;
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
      } else {
        out += translateClass(pattern.slice(i, j));
        i = j + 1;
      }
    } else {
      out += escapeRegex(c);
    }
  }
  const re = new RegExp(`^(?:${out})$`, 's');
  cache.set(pattern, re);
  return re;
}

export function fnmatchcase(name: string, pattern: string): boolean {
  return translateGlob(pattern).test(name);
}
