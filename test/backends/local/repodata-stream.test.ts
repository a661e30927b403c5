// The streamed index rewrite: byte for byte what parsing the whole index, merging and serialising writes (the old
// path, kept here as the reference), conda-index's own json.dumps for an index conda-index wrote, and a clear error
// for every malformed or oversized input the scanner's rules refuse.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decompress } from 'zstd-napi';
import { asciiString, compareCodePoints, condaJson } from '../../../src/backends/local/conda-json.js';
import { RepodataError, RepodataScanner, type ScanSink } from '../../../src/backends/local/repodata-scan.js';
import { NO_CHANGES, rewriteIndex, sectionOf, type IndexChanges } from '../../../src/backends/local/repodata-write.js';
import type { RepodataRecord } from '../../../src/backends/local/repodata.js';

const work = mkdtempSync(join(tmpdir(), 'fg-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
async function streamed(text: string | Buffer | null, changes: IndexChanges): Promise<Buffer> {
  const id = n++;
  const jsonPath = join(work, `in-${id}.json`);
  if (text !== null) writeFileSync(jsonPath, text);
  const tmpJson = join(work, `out-${id}.json`);
  const tmpZst = join(work, `out-${id}.json.zst`);
  const r = await rewriteIndex({ jsonPath, subdir: 'linux-64', changes, tmpJson, tmpZst });
  const out = readFileSync(tmpJson);
  // The .zst written beside it holds exactly the same bytes.
  expect(decompress(readFileSync(tmpZst)).equals(out)).toBe(true);
  expect(r.bytes).toBe(out.length);
  return out;
}

/** The old path: the whole index as objects, changed in memory, then written (existing values keep key order). */
function reference(text: string | null, changes: IndexChanges): Buffer {
  const doc = (text === null ? {} : JSON.parse(text)) as Record<string, unknown>;
  const out: [string, string][] = [];
  const sections = new Set(['packages', 'packages.conda']);
  const mergeSection = (section: 'packages' | 'packages.conda', old: Record<string, unknown>): string => {
    const removed = new Set((Array.isArray(doc['removed']) ? doc['removed'] : []) as string[]);
    const fresh = [...changes.add]
      .filter(([f]) => sectionOf(f) === section && old[f] === undefined && !removed.has(f))
      .sort(([a], [b]) => compareCodePoints(a, b));
    const parts: string[] = [];
    let k = 0;
    for (const [f, r] of Object.entries(old)) {
      while (k < fresh.length && compareCodePoints(fresh[k]![0], f) < 0) {
        parts.push(`${asciiString(fresh[k]![0])}:${condaJson(fresh[k]![1])}`);
        k++;
      }
      if (!changes.drop.has(f)) parts.push(`${asciiString(f)}:${condaJson(r, false)}`);
    }
    for (; k < fresh.length; k++) parts.push(`${asciiString(fresh[k]![0])}:${condaJson(fresh[k]![1])}`);
    return `{${parts.join(',')}}`;
  };
  const removedValue = (v: unknown): string => {
    const names = [...((Array.isArray(v) ? v : []) as string[]), ...changes.remove];
    return condaJson([...new Set(names)].sort(compareCodePoints));
  };
  for (const [key, value] of Object.entries(doc)) {
    if (sections.has(key)) out.push([key, mergeSection(key as 'packages', value as Record<string, unknown>)]);
    else if (key === 'removed' && changes.remove.size > 0) out.push([key, removedValue(value)]);
    else out.push([key, condaJson(value, false)]);
  }
  const defaults: [string, () => string][] = [
    ['info', () => condaJson({ subdir: 'linux-64' })],
    ['packages', () => mergeSection('packages', {})],
    ['packages.conda', () => mergeSection('packages.conda', {})],
    ['removed', () => removedValue([])],
    ['repodata_version', () => '1'],
  ];
  for (const [key, value] of defaults) if (!(key in doc)) out.push([key, value()]);
  return Buffer.from(`{${out.map(([k, v]) => `${asciiString(k)}:${v}`).join(',')}}`, 'latin1');
}

function record(name: string, version: string, build: string, extra: Record<string, unknown> = {}): RepodataRecord {
  return {
    name,
    version,
    build,
    build_number: 0,
    depends: ['python >=3.12,<3.13.0a0', 'libzlib >=1.3.1,<2.0a0'],
    subdir: 'linux-64',
    md5: 'd41d8cd98f00b204e9800998ecf8427e',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    size: 1234,
    timestamp: 1_700_000_000_000,
    ...extra,
  };
}

/** An index of `count` records, each section sorted, as conda-index writes it. */
function condaIndexDoc(count: number): Record<string, unknown> {
  const packages: Record<string, unknown> = {};
  const conda: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const name = `pkg${i % 17}`;
    const fn = `${name}-1.${i}-h${i}_0`;
    if (i % 3 === 0) packages[`${fn}.tar.bz2`] = record(name, `1.${i}`, `h${i}_0`);
    else conda[`${fn}.conda`] = record(name, `1.${i}`, `h${i}_0`, { license: 'MIT', constrains: ['x >=1'] });
  }
  return {
    info: { subdir: 'linux-64' },
    packages,
    'packages.conda': conda,
    removed: ['gone-1.0-0.conda'],
    repodata_version: 1,
  };
}

const ADD: IndexChanges = {
  ...NO_CHANGES,
  add: new Map([
    ['aaa-0.1-h0_0.conda', record('aaa', '0.1', 'h0_0', { license: 'Zlib' })],
    ['pkg3-1.5-h9_0.conda', record('pkg3', '1.5', 'h9_0', { summary: 'café ☕ 🎉' })],
    ['zzz-9-0.tar.bz2', record('zzz', '9', '0')],
    ['gone-1.0-0.conda', record('gone', '1.0', '0')], // listed in removed: stays out
  ]),
};

describe('the streamed index rewrite', () => {
  it('writes, for an index conda-index wrote, exactly what conda-index json.dumps writes for the merged index', async () => {
    const doc = condaIndexDoc(200);
    // conda-index's own serialisation, by Python: the input, and the expected output after the merge.
    const py = (value: unknown): string => {
      const r = spawnSync(
        'python3',
        [
          '-c',
          'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":")))',
        ],
        { input: JSON.stringify(value), encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const input = py(doc);
    const merged = structuredClone(doc) as {
      packages: Record<string, unknown>;
      'packages.conda': Record<string, unknown>;
    };
    for (const [f, r] of ADD.add) if (f !== 'gone-1.0-0.conda') merged[sectionOf(f)][f] = r;
    const out = await streamed(input, ADD);
    expect(out.toString('latin1')).toBe(py(merged));
    expect(out).toEqual(reference(input, ADD));
  });

  const inputs: [string, string | null][] = [
    ['no repodata.json yet', null],
    ['conda-index compact form', condaJson(condaIndexDoc(50))],
    [
      'the old forgegate form (unsorted keys, new records appended, a trailing newline)',
      `${JSON.stringify({
        info: { subdir: 'linux-64' },
        packages: {},
        'packages.conda': {
          'zeta-1-0.conda': { version: '1', name: 'zeta', build: '0', depends: [], md5: 'a', sha256: 'b', size: 1 },
          'alpha-1-0.conda': { name: 'alpha', version: '1', build: '0', depends: ['zeta'], size: 2, md5: 'c' },
        },
        removed: [],
        repodata_version: 1,
      })}\n`,
    ],
    [
      'conda-index indent=2 form with escapes, non-ASCII text, floats and another top-level key',
      `{
  "info": {"subdir": "linux-64", "base_url": "https://example.invalid/x/"},
  "packages": {
    "b\\u0041d-1-0.tar.bz2": {"name": "bAd", "version": "1", "build": "0", "depends": [], "x": 1.0, "y": -0, "z": 1e3,
      "s": "caf\\u00E9 \\/ \\u0009 ☕ 😀", "big": 123456789012345678}
  },
  "packages.conda": {},
  "removed": [],
  "repodata_version": 1,
  "signatures": {"b\\u0041d-1-0.tar.bz2": {"k": "v"}}
}
`,
    ],
    [
      'an index without removed, packages or info',
      '{"packages.conda":{"x-1-0.conda":{"name":"x"}},"repodata_version":1}',
    ],
  ];
  for (const [name, text] of inputs) {
    for (const [what, changes] of [
      ['adds records', ADD],
      ['changes nothing', NO_CHANGES],
      [
        'drops a record and lists it as removed',
        {
          ...NO_CHANGES,
          drop: new Set(['zeta-1-0.conda', 'pkg1-1.1-h1_0.conda']),
          remove: new Set(['zeta-1-0.conda', 'pkg1-1.1-h1_0.conda']),
        },
      ],
    ] as [string, IndexChanges][]) {
      it(`is byte-identical to parsing and serialising the whole index: ${name}, ${what}`, async () => {
        const out = await streamed(text, changes);
        expect(out).toEqual(reference(text, changes));
        JSON.parse(out.toString('latin1')); // valid JSON, ASCII only
        expect(out.every((b) => b < 0x7f)).toBe(true);
      });
    }
  }

  it('never overwrites a record: a new one under a name the index holds is left out, even in an unsorted section', async () => {
    const text = JSON.stringify({
      info: { subdir: 'linux-64' },
      packages: {},
      'packages.conda': { 'z-1-0.conda': { name: 'z', md5: 'old' }, 'b-1-0.conda': { name: 'b', md5: 'old' } },
      removed: [],
      repodata_version: 1,
    });
    const changes = { ...NO_CHANGES, add: new Map([['b-1-0.conda', record('b', '1', '0')]]) };
    const out = JSON.parse((await streamed(text, changes)).toString('latin1')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(out['packages.conda']).toEqual({
      'z-1-0.conda': { name: 'z', md5: 'old' },
      'b-1-0.conda': { name: 'b', md5: 'old' },
    });
  });

  it('keeps the records of a large index as bytes while memory holds one record (scanned in 1-byte chunks too)', () => {
    const text = Buffer.from(condaJson(condaIndexDoc(300)));
    const seen = (chunk: number): string[] => {
      const events: string[] = [];
      const sink: ScanSink = {
        value: (k, b, c) => events.push(`v ${k} ${b.toString('latin1')} ${c}`),
        sectionStart: (s) => events.push(`[ ${s}`),
        record: (s, f, b, c) => events.push(`r ${s} ${f} ${b.length} ${c}`),
        sectionEnd: (s) => events.push(`] ${s}`),
      };
      const scanner = new RepodataScanner(sink);
      for (let i = 0; i < text.length; i += chunk) scanner.feed(text.subarray(i, i + chunk));
      scanner.end();
      return events;
    };
    const whole = seen(text.length);
    expect(whole.filter((e) => e.startsWith('r '))).toHaveLength(300);
    expect(whole.every((e) => !e.startsWith('r ') || e.endsWith(' true'))).toBe(true);
    expect(seen(1)).toEqual(whole);
    expect(seen(4093)).toEqual(whole);
  });
});

describe('the scanner refuses, with the rule and the byte offset', () => {
  const cases: [string, string | Buffer, string][] = [
    ['truncated text', '{"packages":{"a-1-0.conda":{"name":"a"', 'scan.json'],
    ['an empty file', '', 'scan.top'],
    ['a top-level array', '[]', 'scan.top'],
    ['text after the object', '{"repodata_version":1} {}', 'scan.top'],
    ['a section that is not an object', '{"packages":[]}', 'scan.section'],
    ['a record that is not an object', '{"packages.conda":{"a-1-0.conda":"x"}}', 'scan.section'],
    ['a file name listed twice', '{"packages":{"a-1-0.tar.bz2":{},"a-1-0.tar.bz2":{}}}', 'scan.duplicate'],
    [
      'a file name listed twice in an unsorted section',
      '{"packages":{"b-1-0.tar.bz2":{},"a-1-0.tar.bz2":{},"b-1-0.tar.bz2":{}}}',
      'scan.duplicate',
    ],
    ['a top-level key twice', '{"removed":[],"removed":[]}', 'scan.duplicate'],
    ['a bad literal', '{"packages":{"a-1-0.tar.bz2":{"x":tru}}}', 'scan.json'],
    ['a bad number', '{"packages":{"a-1-0.tar.bz2":{"x":01}}}', 'scan.json'],
    ['a bad escape', '{"packages":{"a-1-0.tar.bz2":{"x":"\\q"}}}', 'scan.json'],
    ['a raw control character in a string', '{"packages":{"a-1-0.tar.bz2":{"x":"a\nb"}}}', 'scan.json'],
    ['a missing colon', '{"packages" {}}', 'scan.json'],
    ['a trailing comma', '{"packages":{"a-1-0.tar.bz2":{"x":1,}}}', 'scan.json'],
    ['mismatched brackets', '{"packages":{"a-1-0.tar.bz2":{"x":[1}}}', 'scan.json'],
    [
      'nesting deeper than the limit',
      `{"packages":{"a-1-0.tar.bz2":{"x":${'['.repeat(100)}${']'.repeat(100)}}}}`,
      'scan.depth',
    ],
    [
      'invalid UTF-8 in a record',
      Buffer.concat([
        Buffer.from('{"packages":{"a-1-0.tar.bz2":{"x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}}}'),
      ]),
      'scan.json',
    ],
  ];
  for (const [what, text, rule] of cases) {
    it(what, async () => {
      const err = await streamed(text, NO_CHANGES).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RepodataError);
      expect((err as RepodataError).rule).toBe(rule);
      expect((err as Error).message).toMatch(/^repodata\.json: /);
    });
  }

  it('a record or a key over its size limit, before the memory is spent', () => {
    const sink: ScanSink = { value() {}, sectionStart() {}, record() {}, sectionEnd() {} };
    const big = new RepodataScanner(sink, { record: 1000 });
    big.feed(Buffer.from('{"packages":{"a-1-0.tar.bz2":{"x":"'));
    expect(() => big.feed(Buffer.alloc(2000, 0x61))).toThrow(expect.objectContaining({ rule: 'scan.record-size' }));
    const key = new RepodataScanner(sink, { key: 100 });
    expect(() => key.feed(Buffer.from(`{"packages":{"${'a'.repeat(200)}":{}}}`))).toThrow(
      expect.objectContaining({ rule: 'scan.value-size' }),
    );
    const value = new RepodataScanner(sink, { value: 100 });
    expect(() => value.feed(Buffer.from(`{"removed":[${'"x",'.repeat(100)}"y"]}`))).toThrow(
      expect.objectContaining({ rule: 'scan.value-size' }),
    );
  });
});
