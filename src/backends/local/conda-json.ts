// JSON text as conda-index writes it: Python's json.dumps(sort_keys=True, separators=(",", ":")) with its default
// ensure_ascii, and no trailing newline. Every character from U+007F up is a lowercase \uXXXX escape (astral ones as
// a surrogate pair), control characters use the same short escapes as JSON.stringify, keys sort by code point.
// Numbers are written as JavaScript writes them: index.json integers (every number conda records) come out the same.

/** Compare by Unicode code point, as Python sorts str (JavaScript's `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only surrogates (U+D800–DFFF) against U+E000–FFFF order differently by code unit and by code point.
    if (x >= 0xd800 && y >= 0xd800) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
    return x - y;
  }
  return a.length - b.length;
}

const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u007f-\uffff]/;

const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal with Python's ensure_ascii escaping. */
export function asciiString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`; // printable ASCII without " or \: as it is (every conda file name)
  const text = JSON.stringify(s);
  return HAS_NON_ASCII.test(text)
    ? text.replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
}

/**
 * Serialise `value` in conda-index's compact form. With `sortKeys` false, object keys keep their order (used for
 * records another writer left in an index: their fields stay where that writer put them).
 */
export function condaJson(value: unknown, sortKeys = true): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return asciiString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('a repodata value is not a finite number');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => condaJson(v, sortKeys)).join(',')}]`;
      const keys = Object.keys(value);
      if (sortKeys) keys.sort(compareCodePoints);
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of keys) if (obj[k] !== undefined) parts.push(`${asciiString(k)}:${condaJson(obj[k], sortKeys)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      throw new Error(`a repodata value of type ${typeof value} cannot be written as JSON`);
  }
}
