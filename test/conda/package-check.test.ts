// Package-wide rules (PACKAGE_RULES), resource bounds, and the real corpus of conda's own test packages.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { verifyArtifactFile } from '../../src/cli/artifact-file.js';
import { LIMIT_RULES, MAX_MEMBERS, MAX_PATH_TOTAL_BYTES, UnpackBudget } from '../../src/conda/limits.js';
import { PACKAGE_RULES } from '../../src/conda/package-check.js';
import { ArtifactProblem } from '../../src/conda/problem.js';
import { paxRecords, tarData, tarEnd, tarHeader, tarOf, type TarEntry } from '../../src/conda/tar-write.js';
import { verifyArtifact, type VerifyOptions } from '../../src/conda/verify-artifact.js';
import { zipStored } from '../../src/conda/zip-write.js';
import type { ArtifactCheck } from '../../src/model.js';
import { DATA_DIR } from '../helpers/paths.js';
import { compressBzip2 } from '../helpers/packages.js';

const STEM = 'pkg-1.0-h0_0';
const index = (subdir: string): TarEntry => ({
  name: 'info/index.json',
  type: 'file',
  content: JSON.stringify({ name: 'pkg', version: '1.0', build: 'h0_0', build_number: 0, subdir }),
});
const f = (name: string, content = 'x'): TarEntry => ({ name, type: 'file', content });
const link = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });

interface Built {
  bytes: Buffer;
  filename: string;
  subdir: string;
}
function conda(opts: {
  info?: TarEntry[];
  pkg?: TarEntry[];
  subdir?: string;
  metadata?: string | null;
  entries?: { name: string; data: Uint8Array }[];
}): Built {
  const subdir = opts.subdir ?? 'linux-64';
  const entries = [
    ...(opts.metadata === null
      ? []
      : [{ name: 'metadata.json', data: Buffer.from(opts.metadata ?? '{"conda_pkg_format_version": 2}') }]),
    { name: `info-${STEM}.tar.zst`, data: compress(tarOf(opts.info ?? [index(subdir)])) },
    { name: `pkg-${STEM}.tar.zst`, data: compress(tarOf(opts.pkg ?? [f('lib/a')])) },
    ...(opts.entries ?? []),
  ];
  return { bytes: zipStored(entries, 'local'), filename: `${STEM}.conda`, subdir };
}
function tarBz2(entries: TarEntry[], subdir = 'linux-64'): Built {
  return {
    bytes: compressBzip2(tarOf([index(subdir), ...entries])),
    filename: `${STEM}.tar.bz2`,
    subdir,
  };
}
const verify = (b: Built, opts: VerifyOptions = {}): Promise<ArtifactCheck> =>
  verifyArtifact(Readable.from([b.bytes]), { filename: b.filename, subdir: b.subdir, size: b.bytes.length }, opts);
async function refusal(b: Built): Promise<string> {
  const r = await verify(b);
  if (r.ok) throw new Error('accepted');
  return r.detail.split(':')[0]!;
}

const CASES: Record<string, [string, () => Built][]> = {
  'conda.entries': [
    ['an extra zip entry', () => conda({ entries: [{ name: 'evil.tar.zst', data: Buffer.from('x') }] })],
    [
      'a second info archive under another stem',
      () => conda({ entries: [{ name: 'info-other-1-0.tar.zst', data: compress(tarOf([])) }] }),
    ],
  ],
  'conda.metadata': [
    ['a metadata.json that is not JSON', () => conda({ metadata: 'format 2' })],
    ['a metadata.json of another format version', () => conda({ metadata: '{"conda_pkg_format_version": 3}' })],
    [
      'an oversized metadata.json',
      () => conda({ metadata: `{"conda_pkg_format_version": 2, "x": "${'x'.repeat(5000)}"}` }),
    ],
  ],
  'pkg.parts': [
    ['an info/index.json in the payload', () => conda({ pkg: [f('info/index.json', '{}')] })],
    ['an info/paths.json the info archive lacks, in the payload', () => conda({ pkg: [f('info/paths.json', '{}')] })],
    ['an info/link.json in the payload', () => conda({ pkg: [f('info/link.json', '{}')] })],
    ['an info/run_exports.json in the payload', () => conda({ pkg: [f('info/run_exports.json', '{}')] })],
    ['an info/test/ script in the payload', () => conda({ pkg: [f('info/test/run_test.sh', 'exit 0')] })],
    ['a payload info/licenses that is a symlink', () => conda({ pkg: [link('info/licenses', '../lib')] })],
    ['an info/LICENSES/ spelling in the payload', () => conda({ pkg: [f('info/LICENSES/x')] })],
    ['an info file outside info/', () => conda({ info: [index('linux-64'), f('bin/evil')] })],
  ],
  'pkg.unique': [
    ['a path twice in one archive', () => conda({ pkg: [f('lib/a', 'one'), f('lib/a', 'two')] })],
    [
      'a directory twice',
      () => conda({ pkg: [{ name: 'lib', type: 'directory' }, { name: 'lib', type: 'directory' }, f('lib/a')] }),
    ],
    ['a path twice in a .tar.bz2', () => tarBz2([f('lib/a'), f('lib/a', 'other')])],
  ],
  'pkg.parents': [
    ['a member below a file', () => conda({ pkg: [f('lib'), f('lib/a')] })],
    ['a member below a symlink', () => conda({ pkg: [link('lib', '../../etc'), f('lib/passwd')] })],
    ['a member below a later symlink', () => conda({ pkg: [f('lib/x'), link('lib', 'sub')] })],
  ],
  'pkg.symlinks': [
    ['a symlink out of the prefix', () => conda({ pkg: [link('up', '..')] })],
    [
      'a chain that leaves the prefix though each link alone stays in',
      () => conda({ pkg: [link('d/up', '..'), link('d/up2', 'up/..')] }),
    ],
    ['a chain through a symlinked directory', () => conda({ pkg: [link('a/b', '..'), link('a/c', 'b/../..')] })],
    ['a symlink loop', () => conda({ pkg: [link('a', 'b'), link('b', 'a')] })],
  ],
  'pkg.index': [
    ['no info/index.json', () => conda({ info: [f('info/files', 'lib/a\n')] })],
    [
      'an info/index.json that is a symlink',
      () => conda({ info: [link('info/index.json', 'about.json'), f('info/about.json')] }),
    ],
  ],
  'pkg.lists': [
    [
      'an escaping path in info/paths.json',
      () =>
        conda({
          info: [
            index('linux-64'),
            f('info/paths.json', JSON.stringify({ paths: [{ _path: '../../etc/x', path_type: 'hardlink' }] })),
          ],
        }),
    ],
    [
      'an absolute path in info/files',
      () => conda({ info: [index('linux-64'), f('info/files', 'lib/a\n/etc/passwd\n')] }),
    ],
    [
      'an escaping path in info/has_prefix',
      () => conda({ info: [index('linux-64'), f('info/has_prefix', '/opt/placeholder text ../../bin/sh\n')] }),
    ],
    ['a has_prefix line conda cannot parse', () => conda({ info: [index('linux-64'), f('info/has_prefix', 'a b\n')] })],
    ['an escaping path in info/no_link', () => conda({ info: [index('linux-64'), f('info/no_link', '../x\n')] })],
    ['an info/paths.json that is not JSON', () => conda({ info: [index('linux-64'), f('info/paths.json', '{paths')] })],
  ],
  'pkg.case': [
    [
      'two paths equal ignoring case on noarch',
      () => conda({ subdir: 'noarch', pkg: [f('share/A.txt'), f('share/a.txt')] }),
    ],
    ['two spellings of é on osx', () => conda({ subdir: 'osx-arm64', pkg: [f('caf\u00e9'), f('cafe\u0301')] })],
    ['a payload under INFO/ on osx', () => conda({ subdir: 'osx-64', pkg: [f('INFO/run_exports.json', '{}')] })],
  ],
  'pkg.windows': [
    ['a reserved device name', () => conda({ subdir: 'win-64', pkg: [f('Lib/con.txt')] })],
    ['a trailing dot', () => conda({ subdir: 'win-64', pkg: [f('info./index.json')] })],
    ['a trailing space', () => conda({ subdir: 'noarch', pkg: [f('share/a ')] })],
    ['a colon (an NTFS stream)', () => conda({ subdir: 'win-64', pkg: [f('Scripts/a.exe:evil')] })],
  ],
};

describe('package-wide rules refuse what breaks them', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(PACKAGE_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(CASES)) {
    for (const [name, make] of cases) {
      it(`${rule}: refuses ${name}`, async () => {
        expect(await refusal(make())).toBe(rule);
      });
    }
  }
});

/** For every rule: the borderline forms it accepts, with the notes the publish detail carries. */
const ACCEPTED: Record<string, [string, () => Built, string[]?][]> = {
  'conda.entries': [['metadata.json and the two parts', () => conda({})]],
  'conda.metadata': [
    ['no metadata.json', () => conda({ metadata: null })],
    [
      'an empty metadata.json (linux-64/conda_gc_test-2.2.1-py27_3.conda)',
      () => conda({ metadata: '' }),
      ['metadata.json is empty; taken as absent (no client reads it)'],
    ],
  ],
  'pkg.parts': [
    [
      'info/licenses/ and info/prelink_messages/ in the payload (conda-package-handling < 2.5)',
      () =>
        conda({
          pkg: [
            { name: 'info', type: 'directory' },
            { name: 'info/licenses', type: 'directory' },
            f('info/licenses/LICENSE'),
            f('info/licenses/vendored/COPYING'),
            f('info/prelink_messages/message.txt'),
            f('lib/a'),
          ],
        }),
    ],
  ],
  'pkg.unique': [
    [
      'distinct paths under info/licenses/ in both archives',
      () => conda({ info: [index('linux-64'), f('info/licenses/A')], pkg: [f('info/licenses/B')] }),
    ],
  ],
  'pkg.parents': [['files below directories', () => conda({ pkg: [{ name: 'lib', type: 'directory' }, f('lib/a')] })]],
  'pkg.symlinks': [
    [
      'a symlink chain that stays inside',
      () => conda({ pkg: [f('lib/a'), link('lib/b', 'a'), link('bin/c', '../lib/b')] }),
    ],
  ],
  'pkg.index': [['info/index.json as a regular file', () => conda({})]],
  'pkg.lists': [
    [
      'path lists that name paths inside the prefix',
      () =>
        conda({
          info: [
            index('linux-64'),
            f('info/files', 'lib/a\n'),
            f('info/has_prefix', '/opt/anaconda1anaconda2anaconda3 text lib/a\n'),
            f(
              'info/paths.json',
              JSON.stringify({ paths: [{ _path: 'lib/a', path_type: 'hardlink', size_in_bytes: 1 }] }),
            ),
          ],
        }),
    ],
  ],
  'pkg.case': [['paths equal ignoring case on linux-64', () => conda({ pkg: [f('share/A.txt'), f('share/a.txt')] })]],
  'pkg.windows': [['Windows device names on linux-64', () => conda({ pkg: [f('con'), f('lib/aux.h')] })]],
};

describe('package-wide rules accept their borderline forms', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(ACCEPTED).sort()).toEqual(Object.keys(PACKAGE_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(ACCEPTED)) {
    for (const [name, make, notes] of cases) {
      it(`${rule}: accepts ${name}`, async () => {
        const r = await verify(make());
        expect(r.ok ? r.facts.notes : r.detail).toEqual(notes ?? []);
      });
    }
  }
});

describe('package-wide rules accept what is fine', () => {
  it('accepts paths equal ignoring case, and Windows device names, on linux-64', async () => {
    expect((await verify(conda({ pkg: [f('share/A.txt'), f('share/a.txt'), f('con'), f('INFO/x')] }))).ok).toBe(true);
  });
  it('accepts symlinks that stay inside, through other symlinks, and a package without metadata.json', async () => {
    const r = await verify(
      conda({
        metadata: null,
        pkg: [
          f('lib/libz.so.1.2'),
          link('lib/libz.so.1', 'libz.so.1.2'),
          link('lib/libz.so', 'libz.so.1'),
          link('lib64', 'lib'),
          link('bin/z', '../lib64/libz.so'),
        ],
      }),
    );
    expect(r.ok).toBe(true);
  });
  it('records, without refusing, where info/paths.json disagrees with the payload', async () => {
    const pathsJson = JSON.stringify({
      paths: [
        { _path: 'lib/a', path_type: 'hardlink', size_in_bytes: 99 },
        { _path: 'lib/ghost', path_type: 'hardlink', size_in_bytes: 1 },
      ],
      paths_version: 1,
    });
    const r = await verify(
      conda({ info: [index('linux-64'), f('info/paths.json', pathsJson)], pkg: [f('lib/a'), f('lib/extra')] }),
    );
    expect(r.ok && r.facts.notes).toEqual([
      'info/paths.json lists paths the payload lacks: 1 (first: lib/ghost)',
      'the payload holds paths info/paths.json does not list: 1 (first: lib/extra)',
      'info/paths.json gives other sizes for: 1 (first: lib/a)',
    ]);
  });
});

describe('resource bounds: a bomb is one ARTIFACT_INVALID, found before the memory is spent', () => {
  it('stops a zstd bomb (a .conda under 64 KiB that unpacks to 200 MiB) at the ratio cap', async () => {
    const huge = Buffer.concat([
      tarHeader({ name: 'zeros', size: 200 * 1024 * 1024 }),
      Buffer.alloc(200 * 1024 * 1024),
    ]);
    const bytes = zipStored([
      { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
      { name: `info-${STEM}.tar.zst`, data: compress(tarOf([index('linux-64')])) },
      { name: `pkg-${STEM}.tar.zst`, data: compress(huge, { compressionLevel: 19 }) },
    ]);
    expect(bytes.length).toBeLessThan(64 * 1024);
    const r = await verify({ bytes, filename: `${STEM}.conda`, subdir: 'linux-64' });
    expect(r).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
    expect(!r.ok && r.detail).toMatch(/unpacks to more than 1000× its \d+-byte size \(policy.maxUnpackRatio\)/);
  });

  it('stops a .tar.bz2 bomb (under 1 KiB, unpacking to 400 MiB) at the ratio cap', async () => {
    const tar = Buffer.concat([tarHeader({ name: 'zeros', size: 400 * 1024 * 1024 }), Buffer.alloc(400 * 1024 * 1024)]);
    const bytes = execFileSync(
      'python3',
      ['-c', 'import bz2,sys; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read(), 9))'],
      {
        input: tar,
        maxBuffer: 1 << 20,
      },
    );
    expect(bytes.length).toBeLessThan(2048);
    const r = await verify({ bytes, filename: `${STEM}.tar.bz2`, subdir: 'linux-64' });
    expect(!r.ok && r.detail).toMatch(/policy.maxUnpackRatio/);
  });

  it('refuses a pax header of 4 MiB (paths that would exhaust the heap) without reading it whole', async () => {
    const body = paxRecords([['path', 'a'.repeat(4 * 1024 * 1024)]]);
    const tar = Buffer.concat([
      tarHeader({ name: 'P', typeflag: 'x', size: body.length }),
      tarData(body),
      tarHeader({ name: 'x' }),
      tarEnd(0),
    ]);
    const r = await verify({
      bytes: compressBzip2(tar),
      filename: `${STEM}.tar.bz2`,
      subdir: 'linux-64',
    });
    expect(!r.ok && r.detail).toMatch(/^tar.pax: .*a pax header of \d+ bytes \(limit 65536\)/);
  });

  it('honours policy limits: total unpacked size', async () => {
    const r = await verify(conda({ pkg: [f('big', 'x'.repeat(3 * 1024 * 1024))] }), {
      limits: { maxUnpackedBytes: 1024 * 1024, maxUnpackRatio: 1000 },
    });
    expect(!r.ok && r.detail).toBe(
      'limit.unpacked: the package unpacks to more than 1 MiB (policy.maxUnpackedSize); refused as a bomb — fix: ' +
        LIMIT_RULES['limit.unpacked']!.fix,
    );
  });

  it('counts members and kept path bytes against their caps', () => {
    const b = new UnpackBudget({ maxUnpackedBytes: 1, maxUnpackRatio: 1 }, 1);
    for (let i = 0; i < MAX_MEMBERS; i++) b.member();
    expect(() => b.member()).toThrow(ArtifactProblem);
    const p = new UnpackBudget({ maxUnpackedBytes: 1, maxUnpackRatio: 1 }, 1);
    p.keepPath(MAX_PATH_TOTAL_BYTES);
    expect(() => p.keepPath(1)).toThrow(/paths and link targets take more than/);
  });
});

describe('the real corpus (test/data/real-packages)', () => {
  const root = join(DATA_DIR, 'real-packages');
  const files = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(root, d.name)).map((name) => ({ subdir: d.name, name })));

  it('holds the 51 packages its manifest lists', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { file: string }[];
    expect(files.map((x) => `${x.subdir}/${x.name}`).sort()).toEqual(manifest.map((m) => m.file).sort());
    expect(files).toHaveLength(51);
  });

  it('accepts every package but the two zlib .conda conversions with empty symlink targets', async () => {
    const refused: string[] = [];
    const notes: Record<string, string[]> = {};
    for (const { subdir, name } of files) {
      const r = await verifyArtifactFile(join(root, subdir, name), { filename: name, subdir });
      if (!r.ok) refused.push(`${subdir}/${name}: ${r.detail.split(' — fix: ')[0]}`);
      else {
        expect(r.facts.index['name'], name).toBe(name.replace(/-[^-]+-[^-]+\.(conda|tar\.bz2)$/, ''));
        if (r.facts.notes.length > 0) notes[`${subdir}/${name}`] = r.facts.notes;
      }
    }
    expect(refused).toEqual([
      'linux-64/zlib-1.2.11-h7b6447c_3.conda: tar.links: the payload archive, at byte 134144: symlink lib/libz.so.1 has an empty target',
      'osx-64/zlib-1.2.11-h1de35cc_3.conda: tar.links: the payload archive, at byte 220160: symlink lib/libz.1.dylib has an empty target',
    ]);
    // What the seven packages added for issue 16 carry in their publish detail.
    expect(notes['linux-64/conda_gc_test-2.2.1-py27_3.conda']).toEqual([
      'metadata.json is empty; taken as absent (no client reads it)',
    ]);
    expect(notes['noarch/foobar-0.1.0-pyhbf21a9e_0.conda']).toEqual([
      'zip64 extra fields hold values no reader needs (ignored; astral_async_zip, which rattler uses to read single ' +
        'files from a .conda, refuses such entries)',
    ]);
  });
});
