// info/index.json as solvers read it: conda (Python's json, its PackageRecord model) and rattler (serde_json into
// IndexJson / PackageRecord). Every key either one types is typed here the way both accept it; a package whose
// record one of them cannot read would break every solve that touches its name, so it is refused, naming the key.
import type { IndexJson } from '../model.js';
import { parseArtifactFilename } from './filename.js';
import { broke, type RuleTable } from './problem.js';

const REBUILD = 'rebuild with conda-build or rattler-build, which write it correctly';

export const INDEX_RULES: RuleTable = {
  'index.json': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`info/index.json` is one JSON object in UTF-8 (no byte-order mark), each key once, every integer within ' +
      '±2^53: where Python keeps the last duplicate and serde_json refuses it, or one reads a big integer exactly ' +
      'and another rounds it, clients would disagree.',
    fix: `info/index.json is not strict JSON: ${REBUILD}; do not edit it by hand.`,
  },
  'index.identity': {
    reason: 'ARTIFACT_INVALID',
    text: '`name`, `version` and `build` are strings equal to the file name’s `<name>-<version>-<build>`.',
    fix:
      'The file was renamed after it was built, or the recipe sets another name, version or build string: upload ' +
      'the file under the name the builder gave it.',
  },
  'index.subdir': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`subdir`, when present, is the subdir the statement (or staging folder) names. When absent (old ' +
      'conda-build and hand-made packages), that subdir is taken and written into the record, with a note.',
    fix:
      'Sign and upload the file for the subdir its info/index.json names (`forgegate sign --subdir`), or ' +
      'rebuild it for the subdir you meant.',
  },
  'index.build_number': {
    reason: 'ARTIFACT_INVALID',
    text: '`build_number` is a non-negative integer written as one (`3`, not `3.0` or `"3"`).',
    fix: `info/index.json has no integer build_number: ${REBUILD}.`,
  },
  'index.timestamp': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`timestamp`, when present, is null or an integer (seconds, or milliseconds after year 9999 in seconds) ' +
      'between year -9999 and 9999: rattler refuses anything else.',
    fix: `info/index.json has a timestamp rattler cannot read: ${REBUILD}.`,
  },
  'index.lists': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`depends`, `constrains` and `flags`, when present, are lists of strings; `extra_depends` is an object of ' +
      'lists of strings; `purls` a list of package URLs (`pkg:<type>/…<name>`), as rattler parses them.',
    fix: `info/index.json has a dependency list of the wrong type: ${REBUILD}.`,
  },
  'index.features': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`track_features` is a string or a list of strings (both clients accept both); `features` is a string or ' +
      'null (rattler refuses a list).',
    fix: 'Write track_features as a string or list of strings and features as one string in the recipe, and rebuild.',
  },
  'index.strings': {
    reason: 'ARTIFACT_INVALID',
    text: '`license`, `license_family`, `arch`, `platform` and `python_site_packages_path` are strings or null.',
    fix: `info/index.json has a non-string where clients expect text: ${REBUILD}.`,
  },
  'index.noarch': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`noarch`, when present, is `"python"`, `"generic"`, `true`, `false` or null (rattler refuses other ' +
      'spellings, conda lowercases them).',
    fix: 'Set noarch to python or generic (lowercase) in the recipe, and rebuild.',
  },
  'index.run_exports': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`run_exports`, when present in index.json, is an object whose `weak`, `strong`, `noarch`, ' +
      '`weak_constrains` and `strong_constrains` are lists of strings.',
    fix: `info/index.json carries a run_exports of the wrong shape: ${REBUILD}.`,
  },
  'index.digests': {
    reason: 'ARTIFACT_INVALID',
    text: '`legacy_bz2_md5`, when present, is 32 hex digits; `legacy_bz2_size` a non-negative integer.',
    fix: `info/index.json carries legacy_bz2_* keys of the wrong type: ${REBUILD}.`,
  },
};

const fail = (rule: string, detail: string): never => {
  throw broke(INDEX_RULES, rule, detail);
};

// ---------------------------------------------------------------- a strict JSON reader

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_DEPTH = 64;
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const MAX_INTEGER = Number.MAX_SAFE_INTEGER;
/** Python's json keeps a lone surrogate escape (`"\ud800"`); serde_json refuses it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A JSON value, with where each top-level key's value is a number written with a fraction or exponent. */
interface Parsed {
  value: Record<string, unknown>;
  /** Top-level keys whose value is a number literal that is not an integer literal. */
  nonIntegers: Set<string>;
}

/** RFC 8259 JSON, refusing what readers take differently: duplicate keys, lone surrogates, big integers. */
function parseStrict(text: string): Parsed {
  let at = 0;
  const nonIntegers = new Set<string>();
  const ws = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  const bad = (what: string): never => fail('index.json', `info/index.json is not valid JSON (${what} at ${at})`);
  const str = (): string => {
    const end = findStringEnd(text, at);
    if (end === -1) bad('an unterminated string');
    let s: unknown;
    try {
      s = JSON.parse(text.slice(at, end + 1));
    } catch {
      bad('a malformed string');
    }
    at = end + 1;
    if (LONE_SURROGATE.test(s as string)) fail('index.json', 'info/index.json holds a lone UTF-16 surrogate');
    return s as string;
  };
  const value = (depth: number, key: string | null): unknown => {
    if (depth > MAX_DEPTH) bad('nesting too deep');
    ws();
    const c = text[at];
    if (c === '{') {
      at++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[at] === '}') {
        at++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[at] !== '"') bad('a key that is not a string');
        const k = str();
        if (Object.hasOwn(obj, k)) fail('index.json', `info/index.json has key ${JSON.stringify(k)} twice`);
        ws();
        if (text[at++] !== ':') bad('a missing ":"');
        const v = value(depth + 1, depth === 0 ? k : null);
        Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        const sep = text[at++];
        if (sep === '}') return obj;
        if (sep !== ',') bad('a missing "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const arr: unknown[] = [];
      ws();
      if (text[at] === ']') {
        at++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1, null));
        ws();
        const sep = text[at++];
        if (sep === ']') return arr;
        if (sep !== ',') bad('a missing "," or "]"');
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = at;
    const m = NUMBER.exec(text);
    if (m === null) return bad('an unexpected character');
    at += m[0].length;
    const n = Number(m[0]);
    const integer = m[2] === undefined && m[3] === undefined;
    if (integer && Math.abs(n) > MAX_INTEGER) {
      fail('index.json', `info/index.json holds the integer ${m[0]}, beyond what every reader reads exactly`);
    }
    if (!integer && key !== null) nonIntegers.add(key);
    return n;
  };
  const v = value(0, null);
  ws();
  if (at !== text.length) bad('data after the object');
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail('index.json', 'info/index.json is not a JSON object');
  return { value: v as Record<string, unknown>, nonIntegers };
}

/** Index of the closing quote of the string starting at `from` (a `"`), or -1. */
function findStringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

// ---------------------------------------------------------------- typing the keys solvers read

const isStringList = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');
const shown = (v: unknown): string => {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
};

/** A package URL as rattler reads one: `pkg:`, a type, and a non-empty name (`pkg:type/namespace/name@v?q#s`). */
function isPurl(text: string): boolean {
  if (!text.startsWith('pkg:')) return false;
  const path = text.slice(4).split('#')[0]!.split('?')[0]!;
  const slash = path.indexOf('/');
  if (slash === -1 || !/^[A-Za-z][A-Za-z0-9.+-]*$/.test(path.slice(0, slash))) return false;
  const rest = path.slice(slash + 1);
  const at = rest.lastIndexOf('@');
  const name = (at === -1 ? rest : rest.slice(0, at)).split('/').pop()!;
  return name !== '';
}

/** What verify-artifact expects of the package: its file name and subdir. */
export interface IndexExpectation {
  filename: string;
  subdir: string;
}

/** Parse and type info/index.json; returns the index (subdir filled in where absent) and notes for the admin. */
export function parseIndex(bytes: Buffer, expect: IndexExpectation): { index: IndexJson; notes: string[] } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return fail('index.json', 'info/index.json is not valid UTF-8');
  }
  if (text.startsWith('\uFEFF')) fail('index.json', 'info/index.json starts with a byte-order mark');
  const { value: i, nonIntegers } = parseStrict(text);
  const notes: string[] = [];
  const has = (k: string): boolean => Object.hasOwn(i, k);

  const parsed = parseArtifactFilename(expect.filename)!;
  for (const f of ['name', 'version', 'build'] as const) {
    if (typeof i[f] !== 'string') fail('index.identity', `info/index.json has no string "${f}"`);
    if (i[f] !== parsed[f]) {
      fail(
        'index.identity',
        `info/index.json says ${f} ${JSON.stringify(i[f])}, the file name says ${JSON.stringify(parsed[f])}`,
      );
    }
  }

  if (!has('subdir') || i['subdir'] === null) {
    i['subdir'] = expect.subdir;
    notes.push(`info/index.json names no subdir; ${JSON.stringify(expect.subdir)} (the statement's) is recorded`);
  } else if (i['subdir'] !== expect.subdir) {
    fail(
      'index.subdir',
      `info/index.json says subdir ${shown(i['subdir'])}, expected ${JSON.stringify(expect.subdir)}`,
    );
  }

  const bn = i['build_number'];
  if (typeof bn !== 'number' || !Number.isSafeInteger(bn) || bn < 0 || nonIntegers.has('build_number')) {
    fail('index.build_number', `info/index.json has build_number ${shown(bn)}, not a non-negative integer`);
  }

  if (has('timestamp') && i['timestamp'] !== null) {
    const t = i['timestamp'];
    if (typeof t !== 'number' || nonIntegers.has('timestamp') || t < -377_705_116_800 || t > 253_402_300_799_999) {
      fail('index.timestamp', `info/index.json has timestamp ${shown(t)}, not an integer time rattler reads`);
    }
  }

  for (const k of ['depends', 'constrains', 'flags', 'purls']) {
    if (has(k) && !isStringList(i[k]))
      fail('index.lists', `info/index.json has ${k} ${shown(i[k])}, not a list of strings`);
  }
  const badPurl = has('purls') ? (i['purls'] as string[]).find((p) => !isPurl(p)) : undefined;
  if (badPurl !== undefined) fail('index.lists', `info/index.json has purl ${shown(badPurl)}, not a package URL`);
  if (has('extra_depends')) {
    const e = i['extra_depends'];
    if (typeof e !== 'object' || e === null || Array.isArray(e) || !Object.values(e).every(isStringList)) {
      fail('index.lists', `info/index.json has extra_depends ${shown(e)}, not an object of lists of strings`);
    }
  }

  if (has('track_features') && typeof i['track_features'] !== 'string' && !isStringList(i['track_features'])) {
    fail(
      'index.features',
      `info/index.json has track_features ${shown(i['track_features'])}, not text or a list of text`,
    );
  }
  if (has('features') && i['features'] !== null && typeof i['features'] !== 'string') {
    fail('index.features', `info/index.json has features ${shown(i['features'])}, not a string`);
  }

  for (const k of ['license', 'license_family', 'arch', 'platform', 'python_site_packages_path']) {
    if (has(k) && i[k] !== null && typeof i[k] !== 'string') {
      fail('index.strings', `info/index.json has ${k} ${shown(i[k])}, not a string`);
    }
  }

  if (has('noarch') && ![null, true, false, 'python', 'generic'].includes(i['noarch'] as never)) {
    fail('index.noarch', `info/index.json has noarch ${shown(i['noarch'])}`);
  }

  if (has('run_exports')) {
    const r = i['run_exports'];
    const lists = ['weak', 'strong', 'noarch', 'weak_constrains', 'strong_constrains'];
    if (
      typeof r !== 'object' ||
      r === null ||
      Array.isArray(r) ||
      !lists.every((k) => !Object.hasOwn(r, k) || isStringList((r as Record<string, unknown>)[k]))
    ) {
      fail('index.run_exports', `info/index.json has run_exports ${shown(r)}, not an object of lists of strings`);
    }
  }

  if (
    has('legacy_bz2_md5') &&
    !(typeof i['legacy_bz2_md5'] === 'string' && /^[0-9a-fA-F]{32}$/.test(i['legacy_bz2_md5']))
  ) {
    fail('index.digests', `info/index.json has legacy_bz2_md5 ${shown(i['legacy_bz2_md5'])}, not an md5`);
  }
  if (has('legacy_bz2_size')) {
    const s = i['legacy_bz2_size'];
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || nonIntegers.has('legacy_bz2_size')) {
      fail('index.digests', `info/index.json has legacy_bz2_size ${shown(s)}, not a size`);
    }
  }
  return { index: i as IndexJson, notes };
}
