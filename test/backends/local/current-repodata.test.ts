// current_repodata.json as conda-index builds it, and conda's version order and match specs it relies on.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareVersions, parseDependency, parseVersion } from '../../../src/backends/local/conda-version.js';
import { DEFAULT_INDEX_OPTIONS, updateIndex } from '../../../src/backends/local/repodata-forms.js';
import { NO_CHANGES } from '../../../src/backends/local/repodata-write.js';
import type { RepodataRecord } from '../../../src/backends/local/repodata.js';

const work = mkdtempSync(join(tmpdir(), 'fg-current-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("conda's version order", () => {
  // conda's documented order (conda.models.version), each line above the next; "==" pairs compare equal.
  const ORDER = [
    '0.4',
    '0.4.1.rc == 0.4.1.RC',
    '0.4.1',
    '0.5a1',
    '0.5b3',
    '0.5C1',
    '0.5',
    '0.9.6',
    '0.960923',
    '1.0',
    '1.1dev1',
    '1.1_',
    '1.1a1',
    '1.1.0dev1 == 1.1.dev1',
    '1.1.a1',
    '1.1.0rc1',
    '1.1.0 == 1.1',
    '1.1.0post1 == 1.1.post1',
    '1.1post1',
    '1996.07.12',
    '1!0.4.1',
    '1!3.1.1.6',
    '2!0.4.1',
  ];
  const v = (t: string): NonNullable<ReturnType<typeof parseVersion>> => parseVersion(t)!;
  it('orders versions as conda documents them (version.parse, version.order)', () => {
    const lines = ORDER.map((l) => l.split(' == '));
    for (const same of lines) for (const x of same) expect(compareVersions(v(same[0]!), v(x)), x).toBe(0);
    for (let i = 0; i + 1 < lines.length; i++) {
      const [a, b] = [lines[i]![0]!, lines[i + 1]![0]!];
      expect(compareVersions(v(a), v(b)), `${a} < ${b}`).toBeLessThan(0);
      expect(compareVersions(v(b), v(a)), `${b} > ${a}`).toBeGreaterThan(0);
    }
    expect(compareVersions(v('1.0+local'), v('1.0'))).toBeLessThan(0); // conda: a string local part sorts first
    expect(compareVersions(v('1.0+1'), v('1.0'))).toBeGreaterThan(0);
  });

  it('matches dependencies as conda-forge writes them (spec.ops, spec.build)', () => {
    const m = (dep: string, version: string, build = 'h0_0'): boolean => {
      const d = parseDependency(dep)!;
      return d.version(v(version)) && d.build(build);
    };
    expect(m('python >=3.12,<3.13.0a0', '3.12.4')).toBe(true);
    expect(m('python >=3.12,<3.13.0a0', '3.13.0')).toBe(false);
    expect(m('python >=3.12,<3.13.0a0', '3.13.0rc1')).toBe(false);
    expect(m('numpy 1.26.*', '1.26.4')).toBe(true);
    expect(m('numpy 1.26.*', '1.27')).toBe(false);
    expect(m('libblas 3.9.*', '3.9.0')).toBe(true);
    expect(m('openssl >=3,<4|1.1.1*', '1.1.1w')).toBe(true);
    expect(m('openssl >=3,<4|1.1.1*', '2.0')).toBe(false);
    expect(m('foo ~=1.4.5', '1.4.9')).toBe(true);
    expect(m('foo ~=1.4.5', '1.5')).toBe(false);
    expect(m('foo !=1.2', '1.2.0')).toBe(false);
    expect(m('foo 1.2', '1.2.0')).toBe(true);
    expect(m('python_abi 3.12.* *_cp312', '3.12', '5_cp312')).toBe(true);
    expect(m('python_abi 3.12.* *_cp312', '3.12', '5_cp313')).toBe(false);
    expect(m('bar', '0.0.1')).toBe(true);
    expect(parseDependency('foo[version=">=1"]')).toBeNull();
    expect(parseDependency('foo (>=1)')).toBeNull();
  });
});

let n = 0;
function rec(name: string, version: string, build: string, extra: Partial<RepodataRecord> = {}): RepodataRecord {
  return {
    name,
    version,
    build,
    build_number: 0,
    depends: [],
    subdir: 'linux-64',
    md5: (n++).toString(16).padStart(32, '0'),
    sha256: '0'.repeat(64),
    size: 1,
    ...extra,
  };
}

type Kept = Record<string, RepodataRecord & { legacy_bz2_md5?: string | null }>;

async function current(
  records: RepodataRecord[],
  bz2: string[] = [],
): Promise<{ packages: Kept; conda: Kept; doc: Record<string, unknown> }> {
  const dir = join(work, `d${n++}`);
  const add = new Map<string, RepodataRecord>();
  for (const r of records) {
    const stem = `${r.name}-${r.version}-${r.build}`;
    add.set(bz2.includes(stem) ? `${stem}.tar.bz2` : `${stem}.conda`, r);
  }
  for (const stem of bz2) {
    const r = records.find((x) => `${x.name}-${x.version}-${x.build}` === stem)!;
    if (!add.has(`${stem}.conda`) && records.filter((x) => `${x.name}-${x.version}-${x.build}` === stem).length > 1)
      add.set(`${stem}.conda`, { ...r, md5: 'c'.repeat(32) });
  }
  await updateIndex(dir, 'linux-64', { ...NO_CHANGES, add }, join(work, 'tmp'), DEFAULT_INDEX_OPTIONS, null);
  const doc = JSON.parse(readFileSync(join(dir, 'current_repodata.json'), 'utf8')) as Record<string, Kept>;
  return { packages: doc['packages']!, conda: doc['packages.conda']!, doc };
}

describe('current_repodata.json', () => {
  it('keeps the newest version of each name, every build of it, and copies the other top-level keys', async () => {
    const { conda, doc } = await current([
      rec('a', '1.0', 'h0_0'),
      rec('a', '2.0', 'h0_0'),
      rec('a', '2.0', 'h1_1', { build_number: 1 }),
      rec('a', '10.0.dev0', 'h0_0'),
      rec('b', '0.1', 'h0_0'),
    ]);
    expect(Object.keys(conda).sort()).toEqual(['a-10.0.dev0-h0_0.conda', 'b-0.1-h0_0.conda']);
    expect(doc).toMatchObject({ info: { subdir: 'linux-64' }, removed: [], repodata_version: 1, packages: {} });
    expect(conda['b-0.1-h0_0.conda']).toMatchObject({ legacy_bz2_md5: null, name: 'b' });
  });

  it('adds, for a dependency nothing kept satisfies, the newest version that does (every build of it)', async () => {
    const { conda } = await current([
      rec('app', '2.0', 'h0_0', { depends: ['lib >=1,<2', 'python_abi 3.12.* *_cp312'] }),
      rec('lib', '1.4', 'h0_0'),
      rec('lib', '1.5', 'h0_0'),
      rec('lib', '1.5', 'h1_0'),
      rec('lib', '2.0', 'h0_0'),
      rec('python_abi', '3.13', '5_cp313'),
      rec('python_abi', '3.12', '5_cp312'),
    ]);
    expect(Object.keys(conda).sort()).toEqual(
      [
        'app-2.0-h0_0.conda',
        'lib-1.5-h0_0.conda',
        'lib-1.5-h1_0.conda',
        'lib-2.0-h0_0.conda',
        'python_abi-3.12-5_cp312.conda',
        'python_abi-3.13-5_cp313.conda',
      ].sort(),
    );
  });

  it('keeps, for a name whose newest records carry features, its newest version without them', async () => {
    const { conda } = await current([
      rec('blas', '2.0', 'mkl', { track_features: 'blas_mkl' }),
      rec('blas', '1.9', 'openblas'),
      rec('blas', '1.8', 'openblas'),
    ]);
    expect(Object.keys(conda).sort()).toEqual(['blas-1.9-openblas.conda', 'blas-2.0-mkl.conda']);
  });

  it('leaves out a .tar.bz2 whose .conda twin is kept, and gives the .conda its md5 as legacy_bz2_md5', async () => {
    const twin = rec('t', '1.0', 'h0_0');
    const { packages, conda } = await current([twin, twin, rec('old', '1.0', 'h0_0')], ['t-1.0-h0_0', 'old-1.0-h0_0']);
    expect(Object.keys(packages)).toEqual(['old-1.0-h0_0.tar.bz2']);
    expect(conda['t-1.0-h0_0.conda']!.legacy_bz2_md5).toBe(twin.md5);
  });

  it('is not written, and a copy is removed, when the channel does not want it', async () => {
    const dir = join(work, 'off');
    const add = new Map([['a-1-0.conda', rec('a', '1', '0')]]);
    const options = { ...DEFAULT_INDEX_OPTIONS, currentRepodata: false };
    await updateIndex(dir, 'linux-64', { ...NO_CHANGES, add }, join(work, 'tmp'), DEFAULT_INDEX_OPTIONS, null);
    expect(existsSync(join(dir, 'current_repodata.json'))).toBe(true);
    writeFileSync(join(dir, 'current_repodata.json'), readFileSync(join(dir, 'repodata.json')));
    await updateIndex(dir, 'linux-64', NO_CHANGES, join(work, 'tmp'), options, null);
    expect(existsSync(join(dir, 'current_repodata.json'))).toBe(false);
  });
});
