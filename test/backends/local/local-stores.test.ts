import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifiedCopy } from '../../helpers/packages.js';
import type { ArtifactFacts } from '../../../src/model.js';
import type { QuarantinedCopy } from '../../../src/ports/quarantine.js';
import { DirectoryStaging } from '../../../src/backends/local/directory-staging.js';
import { LocalChannel } from '../../../src/backends/local/local-channel.js';
import { LocalQuarantine } from '../../../src/backends/local/local-quarantine.js';
import { copyFileAtomicNoClobber } from '../../../src/util/atomic-write.js';

const work = mkdtempSync(join(tmpdir(), 'fg-stores-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

function pkg(
  name: string,
  files: Record<string, string> = {},
): Promise<{ copy: QuarantinedCopy; facts: ArtifactFacts }> {
  const dir = join(work, `b${n++}`);
  mkdirSync(dir);
  return verifiedCopy(dir, name, { x: 'x', ...files });
}

describe('DirectoryStaging', () => {
  it('lists artifacts and signatures, ignoring symlinks, folders and junk', async () => {
    const root = join(work, 'staging');
    mkdirSync(join(root, 'linux-64'), { recursive: true });
    mkdirSync(join(root, 'not a subdir'), { recursive: true });
    writeFileSync(join(root, 'linux-64', 'a-1.0-h0_0.conda'), 'bytes');
    writeFileSync(join(root, 'linux-64', 'a-1.0-h0_0.conda.sig'), '{}');
    writeFileSync(join(root, 'linux-64', 'big-1.0-h0_0.conda.sig'), Buffer.alloc(70_000));
    writeFileSync(join(root, 'linux-64', 'README.txt'), 'junk');
    symlinkSync('/etc/passwd', join(root, 'linux-64', 'evil-1.0-h0_0.conda'));
    const listing = await new DirectoryStaging(root).list();
    expect(listing.artifacts.map((a) => a.filename)).toEqual(['a-1.0-h0_0.conda']);
    expect(listing.signatures.map((s) => [s.filename, s.content === null])).toEqual(
      expect.arrayContaining([
        ['a-1.0-h0_0.conda.sig', false],
        ['big-1.0-h0_0.conda.sig', true],
      ]),
    );
    await expect(new DirectoryStaging(join(work, 'absent')).list()).rejects.toMatchObject({
      code: 'FG_STORE_UNAVAILABLE',
    });
  });
});

describe('DirectoryStaging upload times', () => {
  it("reports none: a file mtime is the uploader's to choose (cp -p, rsync -t, touch)", async () => {
    const root = join(work, 'staging-mtime');
    mkdirSync(join(root, 'noarch'), { recursive: true });
    writeFileSync(join(root, 'noarch', 'a-1.0-h0_0.conda'), 'bytes');
    writeFileSync(join(root, 'noarch', 'a-1.0-h0_0.conda.sig'), '{}');
    const old = new Date('2000-01-01T00:00:00Z');
    utimesSync(join(root, 'noarch', 'a-1.0-h0_0.conda'), old, old);
    const listing = await new DirectoryStaging(root).list();
    expect(listing.artifacts[0]).not.toHaveProperty('uploadedAt');
    expect(listing.signatures[0]).not.toHaveProperty('uploadedAt');
  });
});

describe('LocalQuarantine', () => {
  it('copies byte-identical into a private folder and refuses to read through a symlink', async () => {
    const q = new LocalQuarantine(join(work, 'q'));
    const src = join(work, 'src-1.0-h0_0.conda');
    writeFileSync(src, 'payload');
    const copy = await q.admit({
      subdir: 'noarch',
      filename: 'src-1.0-h0_0.conda',
      size: 7,
      uploadedAt: '2026-01-01T00:00:00Z',
      handle: src,
    });
    expect(readFileSync(copy.handle, 'utf8')).toBe('payload');
    symlinkSync(src, join(work, 'link-1.0-h0_0.conda'));
    await expect(
      q.admit({
        subdir: 'noarch',
        filename: 'link-1.0-h0_0.conda',
        size: 7,
        uploadedAt: '2026-01-01T00:00:00Z',
        handle: join(work, 'link-1.0-h0_0.conda'),
      }),
    ).rejects.toMatchObject({ code: 'ELOOP' });
    await q.discard(copy);
    expect(existsSync(copy.handle)).toBe(false);
  });
});

describe('LocalChannel', () => {
  it('publishes, lists, confirms; the same bytes again are "present"; other bytes are a conflict and change nothing', async () => {
    const channel = new LocalChannel(join(work, 'ch1'));
    const a = await pkg('alpha');
    expect(await channel.publish(a.copy, 'main', a.facts)).toEqual({ kind: 'published' });
    expect(await channel.flush()).toBe(2); // linux-64, and the noarch index every label needs
    expect(await channel.publish(a.copy, 'main', a.facts)).toEqual({ kind: 'present' });
    expect(await channel.flush()).toBe(0);
    expect((await channel.list()).files.get(`linux-64/${a.copy.filename}`)).toEqual([
      { label: 'main', size: a.facts.size, sha256: a.facts.sha256, md5: a.facts.md5 },
    ]);
    expect(await channel.confirm('linux-64', a.copy.filename, 'main')).toMatchObject({ sha256: a.facts.sha256 });
    const other = await pkg('alpha', { changed: 'yes' });
    const before = readFileSync(join(work, 'ch1', 'linux-64', a.copy.filename));
    expect(await channel.publish(other.copy, 'main', other.facts)).toMatchObject({ kind: 'conflict' });
    expect(await channel.publish(other.copy, 'rc', other.facts)).toMatchObject({ kind: 'conflict' });
    expect(readFileSync(join(work, 'ch1', 'linux-64', a.copy.filename))).toEqual(before);
    expect(existsSync(join(work, 'ch1', 'label', 'rc', 'linux-64', a.copy.filename))).toBe(false);
  });

  it('puts other labels under label/<L>/ and always writes noarch/repodata.json', async () => {
    const channel = new LocalChannel(join(work, 'ch2'));
    const b = await pkg('beta');
    await channel.publish(b.copy, 'rc', b.facts);
    await channel.flush();
    const repodata = JSON.parse(
      readFileSync(join(work, 'ch2', 'label', 'rc', 'linux-64', 'repodata.json'), 'utf8'),
    ) as { 'packages.conda': Record<string, Record<string, unknown>> };
    expect(repodata['packages.conda'][b.copy.filename]).toMatchObject({
      name: 'beta',
      version: '1.0',
      build: 'h0_0',
      build_number: 0,
      depends: [],
      subdir: 'linux-64',
      sha256: b.facts.sha256,
      md5: b.facts.md5,
      size: b.facts.size,
    });
    expect(existsSync(join(work, 'ch2', 'label', 'rc', 'noarch', 'repodata.json'))).toBe(true);
  });

  it('repairs a crash between writing the file and writing repodata', async () => {
    const channel = new LocalChannel(join(work, 'ch3'));
    const c = await pkg('gamma');
    await copyFileAtomicNoClobber(c.copy.handle, join(work, 'ch3', 'linux-64', c.copy.filename));
    expect((await channel.list()).files.size).toBe(0);
    expect(await channel.confirm('linux-64', c.copy.filename, 'main')).toBeNull();
    expect(await channel.publish(c.copy, 'main', c.facts)).toEqual({ kind: 'present' });
    await channel.flush();
    expect(await channel.confirm('linux-64', c.copy.filename, 'main')).toMatchObject({ sha256: c.facts.sha256 });
  });

  it('writes the index of a subdir once, however many files were published into it', async () => {
    const channel = new LocalChannel(join(work, 'ch4'));
    const pkgs = await Promise.all(Array.from({ length: 12 }, (_, i) => pkg(`many${i}`)));
    await Promise.all(pkgs.map((p) => channel.publish(p.copy, 'main', p.facts)));
    expect((await channel.list()).files.size).toBe(0); // placed, not yet visible
    expect(await channel.flush()).toBe(2);
    expect((await channel.list()).files.size).toBe(12);
  });

  it('never overwrites a record: a stale one for a missing file makes the confirmation fail', async () => {
    const root = join(work, 'ch6');
    const e = await pkg('epsilon');
    const dir = join(root, 'linux-64');
    mkdirSync(dir, { recursive: true });
    const stale = {
      name: 'epsilon',
      version: '1.0',
      build: 'h0_0',
      sha256: '0'.repeat(64),
      md5: '0'.repeat(32),
      size: 1,
    };
    writeFileSync(
      join(dir, 'repodata.json'),
      JSON.stringify({ info: { subdir: 'linux-64' }, 'packages.conda': { [e.copy.filename]: stale } }),
    );
    const channel = new LocalChannel(root);
    expect(await channel.publish(e.copy, 'main', e.facts)).toEqual({ kind: 'published' });
    await channel.flush();
    expect(await channel.confirm('linux-64', e.copy.filename, 'main')).toBeNull();
  });

  it('withdraws a file from repodata and disk', async () => {
    const channel = new LocalChannel(join(work, 'ch5'));
    const d = await pkg('delta');
    await channel.publish(d.copy, 'main', d.facts);
    await channel.flush();
    await channel.withdraw('linux-64', d.copy.filename, 'main');
    expect((await channel.list()).files.size).toBe(0);
    expect(existsSync(join(work, 'ch5', 'linux-64', d.copy.filename))).toBe(false);
  });
});
