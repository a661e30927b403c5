import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { compressZstd, writeCondaPackage, type PackageSpec } from '../helpers/packages.js';
import { tarOf, type TarEntry } from '../../src/conda/tar-write.js';
import { verifyArtifact } from '../../src/conda/verify-artifact.js';
import { ZIP_RULES } from '../../src/conda/zip-reader.js';
import { zipStored } from '../../src/conda/zip-write.js';

const work = mkdtempSync(join(tmpdir(), 'fg-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const base: PackageSpec = { name: 'pkg', version: '1.0', build: 'h0_0', subdir: 'linux-64', format: 'conda' };
const check = (path: string, filename: string, subdir = 'linux-64') =>
  verifyArtifact(createReadStream(path), { filename, subdir, size: statSync(path).size });
const INDEX = JSON.stringify({ name: 'pkg', version: '1.0', build: 'h0_0', build_number: 0, subdir: 'linux-64' });

async function customConda(
  info: TarEntry[],
  pkg: TarEntry[],
  tweak: (entries: { name: string; data: Uint8Array }[]) => void = () => undefined,
): Promise<string> {
  const entries = [
    { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
    { name: 'info-pkg-1.0-h0_0.tar.zst', data: compressZstd(tarOf(info), 3) },
    { name: 'pkg-pkg-1.0-h0_0.tar.zst', data: compressZstd(tarOf(pkg), 3) },
  ];
  tweak(entries);
  const path = join(work, `custom-${Math.random().toString(16).slice(2)}`, 'pkg-1.0-h0_0.conda');
  execFileSync('mkdir', ['-p', join(path, '..')]);
  writeFileSync(path, zipStored(entries));
  return path;
}
const indexEntry: TarEntry = { name: 'info/index.json', type: 'file', content: INDEX };

describe('verifyArtifact on valid packages', () => {
  for (const format of ['conda', 'tar.bz2'] as const) {
    for (const subdir of ['noarch', 'linux-64', 'osx-arm64', 'win-64']) {
      it(`accepts a ${format} package for ${subdir}, with digests of the whole file`, async () => {
        const r = await writeCondaPackage(join(work), {
          ...base,
          format,
          subdir,
          name: `p-${subdir}`,
          files: { 'bin/tool': 'x'.repeat(70_000), 'lib/a.so': 'so' },
          extraEntries: [
            { name: 'lib/b.so', type: 'symlink', linkname: 'a.so' },
            { name: 'lib/c.so', type: 'link', linkname: 'lib/a.so' },
          ],
        });
        const result = await check(r.path, r.filename, subdir);
        const bytes = readFileSync(r.path);
        expect(result).toMatchObject({
          ok: true,
          facts: {
            format,
            size: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
            md5: createHash('md5').update(bytes).digest('hex'),
            index: { name: `p-${subdir}`, subdir },
          },
        });
        if (result.ok)
          expect(result.facts.paths).toEqual(
            expect.arrayContaining(['info/index.json', 'bin/tool', 'lib/a.so', 'lib/b.so', 'lib/c.so']),
          );
      });
    }
  }
});

describe('verifyArtifact refuses unsafe packages (ARTIFACT_UNSAFE)', () => {
  const cases: [string, TarEntry][] = [
    ['an absolute path', { name: '/etc/passwd', type: 'file', content: 'x' }],
    ['a ".." path', { name: 'lib/../../x', type: 'file', content: 'x' }],
    ['a backslash path', { name: 'lib\\..\\x', type: 'file', content: 'x' }],
    ['a symlink out of the prefix', { name: 'lib/evil', type: 'symlink', linkname: '../../etc/shadow' }],
    ['an absolute symlink', { name: 'lib/evil', type: 'symlink', linkname: '/etc/shadow' }],
    ['a hard link out of the prefix', { name: 'lib/evil', type: 'link', linkname: '../outside' }],
    ['a device node', { name: 'dev/null', type: 'character-device' }],
  ];
  for (const format of ['conda', 'tar.bz2'] as const) {
    for (const [what, entry] of cases) {
      it(`${format}: ${what}`, async () => {
        const r = await writeCondaPackage(work, { ...base, format, extraEntries: [entry] });
        expect(await check(r.path, r.filename)).toMatchObject({
          ok: false,
          reason: 'ARTIFACT_UNSAFE',
          digests: { size: readFileSync(r.path).length },
        });
      });
    }
  }
});

describe('verifyArtifact refuses invalid packages (ARTIFACT_INVALID)', () => {
  it('refuses a file that is not a zip', async () => {
    const path = join(work, 'x', 'pkg-1.0-h0_0.conda');
    execFileSync('mkdir', ['-p', join(work, 'x')]);
    writeFileSync(path, 'just text, not a zip archive at all');
    expect(await check(path, 'pkg-1.0-h0_0.conda')).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      rule: 'zip.layout',
      detail: `zip.layout: not a zip archive — fix: ${ZIP_RULES['zip.layout']!.fix}`,
      fix: ZIP_RULES['zip.layout']!.fix,
    });
  });

  for (const format of ['conda', 'tar.bz2'] as const) {
    it(`refuses a truncated ${format}`, async () => {
      const r = await writeCondaPackage(work, { ...base, format, files: { 'bin/x': 'y'.repeat(50_000) } });
      const bytes = readFileSync(r.path);
      writeFileSync(r.path, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      expect(await check(r.path, r.filename)).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
    });

    it(`refuses a ${format} whose index.json disagrees with the file name or subdir`, async () => {
      const r = await writeCondaPackage(work, { ...base, format, name: 'mis', indexOverrides: { version: '2.0' } });
      expect(await check(r.path, r.filename)).toMatchObject({
        ok: false,
        reason: 'ARTIFACT_INVALID',
        detail: expect.stringContaining('version'),
      });
      const s = await writeCondaPackage(work, { ...base, format, name: 'sub' });
      expect(await check(s.path, s.filename, 'osx-64')).toMatchObject({
        ok: false,
        reason: 'ARTIFACT_INVALID',
        detail: expect.stringContaining('subdir'),
      });
    });
  }

  it('refuses corrupt bzip2 data', async () => {
    const r = await writeCondaPackage(work, { ...base, format: 'tar.bz2', name: 'bz' });
    const bytes = readFileSync(r.path);
    for (let i = 40; i < 60; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(r.path, bytes);
    expect(await check(r.path, r.filename)).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
  });

  it('refuses corrupt zstd data (with a valid zip CRC)', async () => {
    const path = await customConda([indexEntry], [{ name: 'bin/x', type: 'file', content: 'x' }], (e) => {
      const data = Buffer.from(e[2]!.data);
      for (let i = 6; i < data.length - 4; i++) data[i] = data[i]! ^ 0x5a;
      e[2]!.data = data;
    });
    expect(await check(path, 'pkg-1.0-h0_0.conda')).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      detail: expect.stringMatching(/zstd|tar/),
    });
  });

  it('refuses an unexpected extra zip entry', async () => {
    const path = await customConda([indexEntry], [], (e) =>
      e.push({ name: 'payload.sh', data: Buffer.from('echo hi') }),
    );
    expect(await check(path, 'pkg-1.0-h0_0.conda')).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      detail: expect.stringContaining('payload.sh'),
    });
  });

  it('refuses a package without info/index.json, or with one that is not JSON', async () => {
    const none = await customConda([{ name: 'info/files', type: 'file', content: '' }], []);
    expect(await check(none, 'pkg-1.0-h0_0.conda')).toMatchObject({
      ok: false,
      rule: 'pkg.index',
      detail: expect.stringMatching(/^pkg\.index: the package has no info\/index\.json file — fix: /),
    });
    const junk = await customConda([{ name: 'info/index.json', type: 'file', content: '{nope' }], []);
    expect(await check(junk, 'pkg-1.0-h0_0.conda')).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      rule: 'index.json',
      detail: expect.stringMatching(/^index\.json: info\/index\.json is not valid JSON/),
    });
  });

  it('refuses payload files smuggled into info/ and info files outside info/', async () => {
    const a = await customConda([indexEntry, { name: 'bin/evil', type: 'file', content: 'x' }], []);
    expect(await check(a, 'pkg-1.0-h0_0.conda')).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
    const b = await customConda([indexEntry], [{ name: 'info/index.json', type: 'file', content: INDEX }]);
    expect(await check(b, 'pkg-1.0-h0_0.conda')).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
  });

  it('refuses a compressed (deflate) zip entry and a central directory that disagrees with the stream', async () => {
    const r = await writeCondaPackage(work, { ...base, name: 'zipped' });
    const bytes = readFileSync(r.path);
    const deflated = Buffer.from(bytes);
    deflated.writeUInt16LE(8, 8); // method of the first local header
    writeFileSync(r.path, deflated);
    expect(await check(r.path, r.filename)).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      detail: expect.stringContaining('compressed'),
    });
    // A central directory pointing a name at other bytes: what a central-directory reader would install differs.
    const differential = Buffer.from(bytes);
    const cd = differential.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    differential.writeUInt32LE(differential.readUInt32LE(cd + 42) + 1, cd + 42);
    writeFileSync(r.path, differential);
    expect(await check(r.path, r.filename)).toMatchObject({
      ok: false,
      reason: 'ARTIFACT_INVALID',
      detail: expect.stringContaining('central directory'),
    });
    const trailing = Buffer.concat([bytes, Buffer.from('junk')]);
    writeFileSync(r.path, trailing);
    expect(await check(r.path, r.filename)).toMatchObject({ ok: false, reason: 'ARTIFACT_INVALID' });
  });

  it('rethrows an I/O error of the input as a transient failure, not a verdict', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('EIO: disk went away'));
      },
    });
    await expect(
      verifyArtifact(broken, { filename: 'pkg-1.0-h0_0.conda', subdir: 'linux-64', size: 1 }),
    ).rejects.toThrow('EIO');
  });
});

describe('packages the writer makes are readable by other tools', () => {
  it('python zipfile lists the .conda parts and GNU tar lists the .tar.bz2', async () => {
    const c = await writeCondaPackage(work, { ...base, name: 'interop' });
    const names = execFileSync('python3', [
      '-c',
      'import sys,zipfile; print(",".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
      c.path,
    ])
      .toString()
      .trim();
    expect(names).toBe('metadata.json,info-interop-1.0-h0_0.tar.zst,pkg-interop-1.0-h0_0.tar.zst');
    const b = await writeCondaPackage(work, { ...base, name: 'interop', format: 'tar.bz2' });
    expect(execFileSync('tar', ['-tjf', b.path]).toString().split('\n')).toEqual(
      expect.arrayContaining(['info/index.json', 'share/interop/README']),
    );
  });
});
