// A one-pass, validating scanner for repodata.json that never holds the index as objects: it hands each record of
// `packages` and `packages.conda` to a sink as the bytes the file holds, and every other top-level value likewise,
// with memory bounded by the largest single record. A channel folder can be written by another indexer (or an
// attacker with write access to it), so the whole text is checked as JSON while it streams.
//
// | rule | accepted | refused (RepodataError with its byte offset) |
// |---|---|---|
// | scan.json | RFC 8259 JSON text in UTF-8 (escapes, numbers, literals, whitespace) | other bytes, truncation |
// | scan.top | one object at the top | an array or a scalar at the top, text after the object |
// | scan.section | `packages`, `packages.conda`: an object whose values are objects | any other value there |
// | scan.duplicate | each top-level key, and each file name of a section, once | a repeat (which one wins?) |
// | scan.record-size | a record of at most 16 MiB | a larger one |
// | scan.value-size | any other top-level value of at most 64 MiB, a key of at most 4 KiB | larger ones |
// | scan.depth | nesting of at most 64 levels | deeper |
//
// A record is "canonical" when its bytes are already what conda-index's compact writer would emit for its parsed
// value with its keys in their order: no whitespace, ASCII only, only the escapes Python emits, integers of at most
// 15 digits. Canonical bytes are carried as they are; others are parsed and written again (repodata-write.ts).

export type Section = 'packages' | 'packages.conda';

export interface ScanSink {
  /** A top-level value other than the two sections, with its key. */
  value(key: string, bytes: Buffer, canonical: boolean): void;
  sectionStart(section: Section): void;
  record(section: Section, filename: string, bytes: Buffer, canonical: boolean): void;
  sectionEnd(section: Section): void;
}

export class RepodataError extends Error {
  constructor(
    readonly rule: string,
    detail: string,
  ) {
    super(`repodata.json: ${detail} (${rule})`);
    this.name = 'RepodataError';
  }
}

export const SCAN_LIMITS = { record: 16 * 1024 * 1024, value: 64 * 1024 * 1024, key: 4096, depth: 64 };

const enum S {
  Value,
  ObjFirst,
  ObjKey,
  Colon,
  After,
  ArrFirst,
  Str,
  Esc,
  Hex,
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  E,
  ESign,
  Exp,
  Lit,
  Done,
}

const OBJ = 1;
const ARR = 2;
const SECTIONS: ReadonlySet<string> = new Set(['packages', 'packages.conda']);
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode a JSON string literal's bytes (quotes included). */
function decodeString(bytes: Buffer, plain: boolean): string {
  if (plain) return bytes.toString('latin1', 1, bytes.length - 1);
  try {
    return JSON.parse(fatalUtf8.decode(bytes)) as string;
  } catch {
    throw new RepodataError('scan.json', 'a key is not valid UTF-8');
  }
}

/** Parse bytes the scanner has checked as JSON, refusing invalid UTF-8 (which toString would silently replace). */
export function parseChecked(bytes: Buffer): unknown {
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch {
    throw new RepodataError('scan.json', 'a value is not valid UTF-8');
  }
  return JSON.parse(text);
}

/**
 * The file names of a section as 64-bit hashes (two 32-bit FNV-1a variants) in an open-addressing table: 16 bytes
 * a name at most, where a Set of 500,000 strings takes about 50 MB.
 */
class NameHashes {
  #table = new Uint32Array(2 * 1024);
  #count = 0;

  /** Add `name`; true when its hash was there already. */
  add(name: string): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    h1 >>>= 0;
    h2 = (h2 | 1) >>> 0; // never 0, which marks an empty slot
    if (this.#count * 4 >= this.#table.length) this.#grow();
    return this.#insert(this.#table, h1, h2);
  }

  #insert(table: Uint32Array, h1: number, h2: number): boolean {
    const mask = table.length / 2 - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      if (table[2 * i + 1] === 0) {
        table[2 * i] = h1;
        table[2 * i + 1] = h2;
        this.#count++;
        return false;
      }
      if (table[2 * i] === h1 && table[2 * i + 1] === h2) return true;
    }
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Uint32Array(old.length * 2);
    this.#count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.#insert(this.#table, old[i]!, old[i + 1]!);
  }
}

export class RepodataScanner {
  #sink: ScanSink;
  #state = S.Value;
  #stack = new Uint8Array(256);
  #depth = 0;
  #offset = 0; // bytes of the file before the current chunk
  /** Whether the string being read is a key, and whether it holds only plain ASCII without escapes. */
  #isKey = false;
  #plain = true;
  #hex = 0;
  #hexValue = 0;
  #lit = '';
  #litAt = 0;
  #digits = 0;
  // The capture in progress: a key, a record or a top-level value, as parts of chunks.
  #cap: 'none' | 'key' | 'value' = 'none';
  #capDepth = 0;
  #capStart = 0;
  #capParts: Buffer[] = [];
  #capLen = 0;
  #capLimit = 0;
  #canonical = true;
  // Where the scan is in the document.
  #topKey = '';
  #filename = '';
  #section: Section | null = null;
  #seenTop = new Set<string>();
  #seenFiles = new NameHashes();
  /** The section's last file name, while its names only increase (then no name can repeat an earlier one). */
  #lastFile: string | null = '';

  #limits: typeof SCAN_LIMITS;

  constructor(sink: ScanSink, limits: Partial<typeof SCAN_LIMITS> = {}) {
    this.#sink = sink;
    this.#limits = { ...SCAN_LIMITS, ...limits };
  }

  #fail(rule: string, detail: string, at: number): never {
    throw new RepodataError(rule, `${detail} at byte ${this.#offset + at}`);
  }

  #startCapture(kind: 'key' | 'value', at: number, limit: number): void {
    this.#cap = kind;
    this.#capDepth = this.#depth;
    this.#capStart = at;
    this.#capParts = [];
    this.#capLen = 0;
    this.#capLimit = limit;
    this.#canonical = true;
  }

  #takeCapture(chunk: Buffer, end: number): Buffer {
    const last = chunk.subarray(this.#capStart, end);
    this.#capLen += last.length;
    if (this.#capLen > this.#capLimit) this.#tooBig(end);
    const bytes = this.#capParts.length === 0 ? Buffer.from(last) : Buffer.concat([...this.#capParts, last]);
    this.#cap = 'none';
    this.#capParts = [];
    return bytes;
  }

  #tooBig(at: number): never {
    const l = this.#limits;
    if (this.#cap === 'key') this.#fail('scan.value-size', `a key longer than ${l.key} bytes`, at);
    if (this.#section !== null && this.#depth >= 2)
      this.#fail('scan.record-size', `the record of ${this.#filename} is larger than ${l.record} bytes`, at);
    this.#fail('scan.value-size', `"${this.#topKey}" is larger than ${l.value} bytes`, at);
  }

  /** A key string ended at `end` (exclusive). */
  #keyDone(chunk: Buffer, end: number): void {
    const bytes = this.#takeCapture(chunk, end);
    const key = decodeString(bytes, this.#plain);
    if (this.#depth === 1) {
      if (this.#seenTop.has(key)) this.#fail('scan.duplicate', `the top-level key "${key}" appears twice`, end);
      this.#seenTop.add(key);
      this.#topKey = key;
    } else {
      // Exact while the section is sorted (as every indexer writes it); a 64-bit hash of each name otherwise.
      const increasing = this.#lastFile !== null && key > this.#lastFile;
      this.#lastFile = increasing ? key : null;
      if (this.#seenFiles.add(key) && !increasing)
        this.#fail('scan.duplicate', `${this.#section} lists ${key} twice`, end);
      this.#filename = key;
    }
    this.#state = S.Colon;
  }

  /** A value ended at `end` (exclusive), in the container at the current depth. */
  #valueDone(chunk: Buffer, end: number): void {
    this.#state = this.#depth === 0 ? S.Done : S.After;
    if (this.#cap !== 'value' || this.#depth !== this.#capDepth) return;
    const canonical = this.#canonical;
    const bytes = this.#takeCapture(chunk, end);
    if (this.#depth === 2) this.#sink.record(this.#section!, this.#filename, bytes, canonical);
    else this.#sink.value(this.#topKey, bytes, canonical);
  }

  /** A value begins at `at` with byte `b`: note where it belongs (a section, a record, another top-level value). */
  #valueStart(b: number, at: number): void {
    if (this.#depth === 1) {
      if (SECTIONS.has(this.#topKey)) {
        if (b !== 0x7b) this.#fail('scan.section', `"${this.#topKey}" is not an object`, at);
        this.#section = this.#topKey as Section;
        this.#seenFiles = new NameHashes();
        this.#lastFile = '';
        this.#sink.sectionStart(this.#section);
      } else this.#startCapture('value', at, this.#limits.value);
    } else if (this.#depth === 2 && this.#section !== null) {
      if (b !== 0x7b) this.#fail('scan.section', `the record of ${this.#filename} is not an object`, at);
      this.#startCapture('value', at, this.#limits.record);
    }
  }

  #push(kind: number, at: number): void {
    const max = Math.min(this.#limits.depth, 255);
    if (this.#depth >= max) this.#fail('scan.depth', `nesting deeper than ${max}`, at);
    this.#stack[++this.#depth] = kind;
  }

  /** Close the container at the top of the stack with byte `b` at `at`. */
  #pop(chunk: Buffer, b: number, at: number): void {
    const kind = this.#stack[this.#depth];
    if ((b === 0x7d ? OBJ : ARR) !== kind) this.#fail('scan.json', `unexpected "${String.fromCharCode(b)}"`, at);
    this.#depth--;
    if (this.#depth === 1 && this.#section !== null) {
      this.#sink.sectionEnd(this.#section);
      this.#section = null;
      this.#state = S.After;
      return;
    }
    this.#valueDone(chunk, at + 1);
  }

  feed(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const b = chunk[i]!;
      switch (this.#state) {
        case S.Str: {
          // The hot path: most of an index is string bytes.
          let j = i;
          while (j < n) {
            const c = chunk[j]!;
            if (c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x7f) break;
            j++;
          }
          if (j === n) {
            i = n;
            continue;
          }
          const c = chunk[j]!;
          if (c === 0x22) {
            i = j + 1;
            if (this.#isKey && this.#cap === 'key') this.#keyDone(chunk, i);
            else if (this.#isKey) this.#state = S.Colon;
            else this.#valueDone(chunk, i);
          } else if (c === 0x5c) {
            this.#plain = false;
            this.#state = S.Esc;
            i = j + 1;
          } else if (c < 0x20) {
            this.#fail('scan.json', 'a control character inside a string', j);
          } else {
            // DEL or a UTF-8 byte: valid JSON, but Python escapes it (and UTF-8 is checked when the bytes are parsed).
            this.#plain = false;
            this.#canonical = false;
            i = j + 1;
          }
          continue;
        }
        case S.Esc:
          if (b === 0x75) {
            this.#state = S.Hex;
            this.#hex = 0;
            this.#hexValue = 0;
          } else if (b === 0x22 || b === 0x5c || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) {
            this.#state = S.Str;
          } else if (b === 0x2f) {
            this.#canonical = false; // "\/": valid, never written by Python
            this.#state = S.Str;
          } else this.#fail('scan.json', 'an invalid escape in a string', i);
          i++;
          continue;
        case S.Hex: {
          let v: number;
          if (b >= 0x30 && b <= 0x39) v = b - 0x30;
          else if (b >= 0x61 && b <= 0x66) v = b - 0x57;
          else if (b >= 0x41 && b <= 0x46) {
            v = b - 0x37;
            this.#canonical = false;
          } else this.#fail('scan.json', 'an invalid \\u escape', i);
          this.#hexValue = this.#hexValue * 16 + v;
          if (++this.#hex === 4) {
            const u = this.#hexValue;
            // Python writes printable ASCII as itself and \b \t \n \f \r in their short forms.
            if ((u >= 0x20 && u < 0x7f) || u === 8 || u === 9 || u === 10 || u === 12 || u === 13)
              this.#canonical = false;
            this.#state = S.Str;
          }
          i++;
          continue;
        }
        default:
          break;
      }
      // Whitespace between tokens: valid anywhere but inside a token; never inside a canonical value.
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) {
        if (this.#state >= S.Minus && this.#state <= S.Exp) {
          this.#endNumber(chunk, i);
          continue;
        }
        if (this.#state === S.Lit) this.#fail('scan.json', 'an unknown literal', i);
        if (this.#cap === 'value') this.#canonical = false;
        i++;
        continue;
      }
      switch (this.#state) {
        case S.Value:
        case S.ArrFirst:
          if (this.#state === S.ArrFirst && b === 0x5d) {
            this.#pop(chunk, b, i);
            i++;
            continue;
          }
          if (this.#depth === 0 && b !== 0x7b) this.#fail('scan.top', 'the index is not a JSON object', i);
          this.#valueStart(b, i);
          this.#startValue(b, i);
          i++;
          continue;
        case S.ObjFirst:
        case S.ObjKey:
          if (b === 0x7d && this.#state === S.ObjFirst) {
            this.#pop(chunk, b, i);
            i++;
            continue;
          }
          if (b !== 0x22) this.#fail('scan.json', 'an object key is not a string', i);
          this.#isKey = true;
          this.#plain = true;
          if (this.#depth === 1 || (this.#depth === 2 && this.#section !== null))
            this.#startCapture('key', i, this.#limits.key);
          this.#state = S.Str;
          i++;
          continue;
        case S.Colon:
          if (b !== 0x3a) this.#fail('scan.json', 'expected ":" after a key', i);
          this.#state = S.Value;
          i++;
          continue;
        case S.After:
          if (b === 0x2c) {
            this.#state = this.#stack[this.#depth] === OBJ ? S.ObjKey : S.Value;
          } else if (b === 0x7d || b === 0x5d) {
            this.#pop(chunk, b, i);
          } else this.#fail('scan.json', `unexpected "${String.fromCharCode(b)}" after a value`, i);
          i++;
          continue;
        case S.Minus:
          if (b === 0x30) this.#state = S.Zero;
          else if (b >= 0x31 && b <= 0x39) this.#state = S.Int;
          else this.#fail('scan.json', 'a malformed number', i);
          this.#canonical = false; // "-0" and negative numbers are rare; parse them to be sure of their form
          i++;
          continue;
        case S.Zero:
        case S.Int:
          if (b >= 0x30 && b <= 0x39 && this.#state === S.Int) {
            if (++this.#digits > 15) this.#canonical = false;
            i++;
          } else if (b === 0x2e) {
            this.#state = S.Dot;
            this.#canonical = false;
            i++;
          } else if (b === 0x65 || b === 0x45) {
            this.#state = S.E;
            this.#canonical = false;
            i++;
          } else this.#endNumber(chunk, i);
          continue;
        case S.Dot:
        case S.Frac:
          if (b >= 0x30 && b <= 0x39) {
            this.#state = S.Frac;
            i++;
          } else if (this.#state === S.Frac && (b === 0x65 || b === 0x45)) {
            this.#state = S.E;
            i++;
          } else this.#endNumber(chunk, i);
          continue;
        case S.E:
          if (b === 0x2b || b === 0x2d) this.#state = S.ESign;
          else if (b >= 0x30 && b <= 0x39) this.#state = S.Exp;
          else this.#fail('scan.json', 'a malformed number', i);
          i++;
          continue;
        case S.ESign:
        case S.Exp:
          if (b >= 0x30 && b <= 0x39) {
            this.#state = S.Exp;
            i++;
          } else this.#endNumber(chunk, i);
          continue;
        case S.Lit:
          if (b !== this.#lit.charCodeAt(this.#litAt)) this.#fail('scan.json', 'an unknown literal', i);
          i++;
          if (++this.#litAt === this.#lit.length) this.#valueDone(chunk, i);
          continue;
        case S.Done:
          this.#fail('scan.top', 'text after the index object', i);
        // falls through: #fail never returns
        default:
          this.#fail('scan.json', 'an internal scanner state', i);
      }
    }
    // Keep the part of a capture this chunk holds: the next chunk continues it.
    if (this.#cap !== 'none') {
      const part = Buffer.from(chunk.subarray(this.#capStart));
      this.#capLen += part.length;
      if (this.#capLen > this.#capLimit) this.#tooBig(n);
      this.#capParts.push(part);
      this.#capStart = 0;
    }
    this.#offset += n;
  }

  #startValue(b: number, at: number): void {
    if (b === 0x7b) {
      this.#push(OBJ, at);
      this.#state = S.ObjFirst;
    } else if (b === 0x5b) {
      this.#push(ARR, at);
      this.#state = S.ArrFirst;
    } else if (b === 0x22) {
      this.#isKey = false;
      this.#plain = true;
      this.#state = S.Str;
    } else if (b === 0x2d) {
      this.#digits = 0;
      this.#state = S.Minus;
    } else if (b === 0x30) {
      this.#digits = 1;
      this.#state = S.Zero;
    } else if (b >= 0x31 && b <= 0x39) {
      this.#digits = 1;
      this.#state = S.Int;
    } else if (b === 0x74 || b === 0x66 || b === 0x6e) {
      this.#lit = b === 0x74 ? 'true' : b === 0x66 ? 'false' : 'null';
      this.#litAt = 1;
      this.#state = S.Lit;
    } else this.#fail('scan.json', `unexpected "${String.fromCharCode(b)}"`, at);
  }

  /** A number ends before byte `at` (not consumed): check it is complete. */
  #endNumber(chunk: Buffer, at: number): void {
    const s = this.#state;
    if (s === S.Minus || s === S.Dot || s === S.E || s === S.ESign) this.#fail('scan.json', 'a malformed number', at);
    this.#valueDone(chunk, at);
  }

  /** The file ended: it must have held one complete object. */
  end(): void {
    if (this.#state === S.Done) return;
    if (this.#state === S.Value && this.#depth === 0 && this.#offset === 0)
      throw new RepodataError('scan.top', 'repodata.json is empty');
    throw new RepodataError('scan.json', `the index ends early, at byte ${this.#offset}`);
  }
}
