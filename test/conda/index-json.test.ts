// One test per INDEX_RULES row, both sides, each checked against the solver itself: a record that rattler's
// PackageRecord cannot read breaks every solve that touches the name, so the gate refuses exactly those (and the
// forms both conda and rattler read are accepted and reach the record as written).
import { PackageRecord, type PackageRecordJson } from '@conda-org/rattler';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FILTERED_INDEX_KEYS, recordFor } from '../../src/backends/local/repodata.js';
import { INDEX_RULES } from '../../src/conda/index-json.js';
import { packageBytes } from '../helpers/packages.js';
import { FILE_RULES, verifyArtifact } from '../../src/conda/verify-artifact.js';
import type { ArtifactCheck } from '../../src/model.js';

const BASE = { name: 'pkg', version: '1.0', build: 'h0_0', build_number: 0, subdir: 'linux-64' };

/** A .conda whose info/index.json is exactly `text`. */
async function verifyIndexText(text: string, subdir = 'linux-64'): Promise<ArtifactCheck> {
  const { filename, bytes } = packageBytes({ ...BASE, format: 'conda', zstdLevel: 1, indexJsonText: text });
  return verifyArtifact(Readable.from([bytes]), { filename, subdir, size: bytes.length });
}
const verifyIndex = (fields: Record<string, unknown>, subdir?: string): Promise<ArtifactCheck> =>
  verifyIndexText(JSON.stringify(fields), subdir);

/** Does rattler read this index.json as a repodata record (what solvers read)? */
function rattlerReads(index: Record<string, unknown>): boolean {
  try {
    new PackageRecord({ subdir: 'linux-64', ...index } as unknown as PackageRecordJson);
    return true;
  } catch {
    return false;
  }
}

/** Refused with `rule`; `rattler` says whether rattler's own record parser refuses the same fields. */
const REFUSED: Record<string, [string, Record<string, unknown> | string, boolean?][]> = {
  'index.json': [
    ['a key twice (Python keeps the last, serde_json refuses)', '{"name":"pkg","name":"pkg","version":"1.0"}'],
    ['a byte-order mark', '\uFEFF{"name":"pkg"}'],
    ['an integer beyond 2^53', `{"name":"pkg","version":"1.0","build":"h0_0","build_number":0,"x":9007199254740993}`],
    ['a lone surrogate', '{"name":"pkg","version":"1.0","build":"h0_0","build_number":0,"license":"\\ud800"}'],
    ['NaN', '{"name":"pkg","version":"1.0","build":"h0_0","build_number":NaN}'],
    ['an array', '[1]'],
    ['trailing data', '{"name":"pkg"} {}'],
  ],
  'index.identity': [
    ['another version', { ...BASE, version: '2.0' }, true],
    ['a name that is not a string', { ...BASE, name: 7 }, false],
  ],
  'index.subdir': [['another subdir', { ...BASE, subdir: 'osx-64' }, true]],
  'index.build_number': [
    ['a float literal', `{"name":"pkg","version":"1.0","build":"h0_0","build_number":1.5,"subdir":"linux-64"}`],
    ['a string', { ...BASE, build_number: '0' }, false],
    ['a negative number', { ...BASE, build_number: -1 }, false],
    ['none at all', { ...BASE, build_number: undefined }, false],
  ],
  'index.timestamp': [
    ['a string', { ...BASE, timestamp: 'yesterday' }, false],
    ['a fraction', { ...BASE, timestamp: 1700000000.5 }, false],
    ['past year 9999 in milliseconds', { ...BASE, timestamp: 253_402_300_800_000 }],
  ],
  'index.lists': [
    ['depends as a string', { ...BASE, depends: 'python' }, false],
    ['depends holding numbers', { ...BASE, depends: [1, 2] }, false],
    ['constrains as a string', { ...BASE, constrains: 'x' }, false],
    ['extra_depends of strings', { ...BASE, extra_depends: { test: 'x' } }, false],
    ['a purl without a name', { ...BASE, purls: ['pkg:pypi/'] }, false],
    ['a purl of another scheme', { ...BASE, purls: ['https://pypi.org/project/x'] }, false],
  ],
  'index.features': [
    ['track_features as a number', { ...BASE, track_features: 7 }, false],
    ['features as a list', { ...BASE, features: ['a'] }, false],
  ],
  'index.strings': [
    ['a numeric license', { ...BASE, license: 5 }, false],
    ['a numeric license_family', { ...BASE, license_family: 3 }, false],
  ],
  'index.noarch': [
    ['a capitalised noarch', { ...BASE, noarch: 'Python' }, false],
    ['an empty noarch', { ...BASE, noarch: '' }, false],
  ],
  'index.run_exports': [['run_exports lists as strings', { ...BASE, run_exports: { weak: 'x' } }, false]],
  'index.digests': [
    ['a legacy_bz2_md5 that is not hex', { ...BASE, legacy_bz2_md5: 'zz' }, false],
    ['a negative legacy_bz2_size', { ...BASE, legacy_bz2_size: -1 }, false],
  ],
};

const ACCEPTED: Record<string, [string, Record<string, unknown>, string[]?][]> = {
  'index.json': [['any other key, kept as written', { ...BASE, purls: [], extra: { nested: [1, 'x'] } }]],
  'index.identity': [['name, version and build of the file name', BASE]],
  'index.subdir': [
    [
      'no subdir: the statement’s is recorded, with a note',
      { ...BASE, subdir: undefined },
      ['info/index.json names no subdir; "linux-64" (the statement\'s) is recorded'],
    ],
  ],
  'index.build_number': [['an integer', { ...BASE, build_number: 12 }]],
  'index.timestamp': [
    ['milliseconds', { ...BASE, timestamp: 1_757_405_814_340 }],
    ['seconds', { ...BASE, timestamp: 1_500_000_000 }],
    ['null', { ...BASE, timestamp: null }],
  ],
  'index.lists': [
    [
      'lists of strings and package URLs',
      {
        ...BASE,
        depends: ['python >=3.9'],
        constrains: ['numpy <2'],
        purls: ['pkg:pypi/foo@1.0', 'pkg:github/org/repo'],
      },
    ],
    ['no depends at all (rattler-build)', { ...BASE, depends: undefined }],
  ],
  'index.features': [
    ['track_features as text', { ...BASE, track_features: 'feature1 feature2' }],
    ['track_features as a list', { ...BASE, track_features: ['feature1'] }],
    ['features as text', { ...BASE, features: 'blas_openblas' }],
  ],
  'index.strings': [['text and null', { ...BASE, license: 'MIT', license_family: null, arch: 'x86_64' }]],
  'index.noarch': [
    ['python', { ...BASE, noarch: 'python' }],
    ['the old boolean', { ...BASE, noarch: true }],
  ],
  'index.run_exports': [['lists of strings', { ...BASE, run_exports: { weak: ['pkg >=1.0'], strong: [] } }]],
  'index.digests': [['an md5 and a size', { ...BASE, legacy_bz2_md5: 'a'.repeat(32), legacy_bz2_size: 10 }]],
};

describe('info/index.json: every rule refuses what breaks clients', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(REFUSED).sort()).toEqual(Object.keys(INDEX_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(REFUSED)) {
    for (const [name, fields, rattler] of cases) {
      it(`${rule}: refuses ${name}${rattler === false ? ' (rattler cannot read the record either)' : ''}`, async () => {
        const r = typeof fields === 'string' ? await verifyIndexText(fields) : await verifyIndex(fields);
        expect(r.ok ? 'accepted' : r.rule).toBe(rule);
        if (!r.ok) expect(r.detail).toContain(`— fix: ${INDEX_RULES[rule]!.fix}`);
        if (rattler === false && typeof fields !== 'string') expect(rattlerReads(fields)).toBe(false);
      });
    }
  }
});

describe('info/index.json: every rule accepts what both conda and rattler read', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(ACCEPTED).sort()).toEqual(Object.keys(INDEX_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(ACCEPTED)) {
    for (const [name, fields, notes] of cases) {
      it(`${rule}: accepts ${name}, and rattler reads the repodata record`, async () => {
        const r = await verifyIndex(fields);
        if (!r.ok) throw new Error(r.detail);
        expect(r.facts.notes).toEqual(notes ?? []);
        expect(r.facts.index.subdir).toBe('linux-64');
        const record = recordFor(r.facts);
        const written = JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
        for (const [k, v] of Object.entries(written)) {
          // conda-index leaves the keys that restate the subdir (arch, platform, …) out of the record.
          expect(record[k], k).toEqual(FILTERED_INDEX_KEYS.has(k) ? undefined : v);
        }
        expect(rattlerReads(record)).toBe(true);
      });
    }
  }
});

describe('the file as a whole', () => {
  it('file.name: refuses a file that is not named <name>-<version>-<build>.conda, and accepts one that is', async () => {
    const { filename, bytes } = packageBytes({ ...BASE, format: 'conda', zstdLevel: 1 });
    const bad = await verifyArtifact(Readable.from([bytes]), { filename: 'pkg.zip', subdir: 'linux-64', size: 1 });
    expect(bad).toMatchObject({ ok: false, rule: 'file.name', fix: FILE_RULES['file.name']!.fix });
    const good = await verifyArtifact(Readable.from([bytes]), { filename, subdir: 'linux-64', size: bytes.length });
    expect(good.ok).toBe(true);
  });
  it('file.truncated: refuses a file cut inside a structure, and accepts it whole', async () => {
    const { filename, bytes } = packageBytes({ ...BASE, format: 'conda', zstdLevel: 1 });
    const cut = bytes.subarray(0, 20);
    const r = await verifyArtifact(Readable.from([cut]), { filename, subdir: 'linux-64', size: cut.length });
    expect(r).toMatchObject({ ok: false, rule: 'file.truncated' });
    expect(
      (await verifyArtifact(Readable.from([bytes]), { filename, subdir: 'linux-64', size: bytes.length })).ok,
    ).toBe(true);
  });
});
