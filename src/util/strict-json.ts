// JSON as every reader reads it alike: valid UTF-8, one value, and no object with the same key twice. JSON.parse keeps
// the last of two equal keys where other readers keep the first or refuse, so it is always paired with a key check.

export type StrictJson = { ok: true; value: unknown } | { ok: false; detail: string };

/** The key that some object in `text` (already valid JSON) holds twice, or null. Keys are compared decoded. */
export function duplicateKey(text: string): string | null {
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let at = 0; at < text.length; at++) {
    const c = text[at];
    if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ keys: null, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack.at(-1);
      if (top?.keys) top.expectKey = true;
    } else if (c === '"') {
      let end = at + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys && top.expectKey) {
        // "a" and "\u0061" are one key: compare what the string means, not how it is written.
        const key = JSON.parse(text.slice(at, end + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      at = end;
    }
  }
  return null;
}

/** Parse `bytes` strictly: UTF-8 (fatal), one JSON value, no duplicate key in any object. Never throws. */
export function parseJsonStrict(bytes: Uint8Array, what: string): StrictJson {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    return { ok: false, detail: `${what} is not UTF-8 JSON` };
  }
  const twice = duplicateKey(text);
  if (twice !== null) return { ok: false, detail: `${what} has an object with the key ${JSON.stringify(twice)} twice` };
  return { ok: true, value };
}
