// The three anaconda.org stores against the emulator, one contract at a time, with real conda packages.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnacondaClient } from '../../../src/backends/anaconda/client.js';
import { AnacondaHttp } from '../../../src/backends/anaconda/http.js';
import { AnacondaQuarantine } from '../../../src/backends/anaconda/quarantine.js';
import { AnacondaStaging } from '../../../src/backends/anaconda/staging.js';
import { AnacondaTarget } from '../../../src/backends/anaconda/target.js';
import { writeCondaPackage } from '../../helpers/packages.js';
import { verifyArtifact } from '../../../src/conda/verify-artifact.js';
import type { ArtifactFacts, Digests } from '../../../src/model.js';
import type { QuarantinedCopy } from '../../../src/ports/quarantine.js';
import type { StagedArtifact } from '../../../src/ports/staging.js';
import { digestStream } from '../../../src/util/digest.js';
import { AnacondaEmulator } from './emulator/server.js';
import { uploadLikeAnacondaClient, type UploadSpec } from './emulator/upload.js';

const T = { staging: 'tok-st-SECRET', quarantine: 'tok-q-SECRET', target: 'tok-t-SECRET', feedstock: 'tok-f-SECRET' };
const work = mkdtempSync(join(tmpdir(), 'fg-ana-stores-'));
const emu = new AnacondaEmulator();
const clients: AnacondaClient[] = [];
let staging: AnacondaStaging;
let quarantine: AnacondaQuarantine;
let target: AnacondaTarget;

interface Pkg {
  bytes: Buffer;
  digests: Digests;
  subdir: string;
  filename: string;
  name: string;
  version: string;
}
async function pkg(
  name: string,
  version: string,
  subdir: string,
  format: 'conda' | 'tar.bz2' = 'conda',
  files?: Record<string, string>,
): Promise<Pkg> {
  const r = await writeCondaPackage(mkdtempSync(join(work, 'pkg-')), {
    name,
    version,
    build: 'h0_0',
    subdir,
    format,
    ...(files ? { files } : {}),
  });
  return { bytes: readFileSync(r.path), digests: r.digests, subdir, filename: r.filename, name, version };
}
const upload = (u: Omit<UploadSpec, 'owner'>): Promise<void> =>
  uploadLikeAnacondaClient(emu.url, T.feedstock, { owner: 'cf-staging', ...u });
const uploadPkg = (p: Pkg, labels = ['main'], extra: Partial<UploadSpec> = {}): Promise<void> =>
  upload({
    package: p.name,
    version: p.version,
    basename: `${p.subdir}/${p.filename}`,
    type: 'conda',
    labels,
    bytes: p.bytes,
    ...extra,
  });
const routes = (): Map<string, number> => new Map(emu.byRoute);
const delta = (before: Map<string, number>, route: string): number =>
  (emu.byRoute.get(route) ?? 0) - (before.get(route) ?? 0);
const key = (x: Pkg): string => `${x.subdir}/${x.filename}`;
async function stagedOf(p: Pkg): Promise<StagedArtifact> {
  return (await staging.list()).artifacts.find((a) => a.subdir === p.subdir && a.filename === p.filename)!;
}
function client(token: string): AnacondaClient {
  const c = new AnacondaClient(new AnacondaHttp(emu.url, token));
  clients.push(c);
  return c;
}
async function verified(p: Pkg, stream: Readable): Promise<ArtifactFacts> {
  const check = await verifyArtifact(stream, { filename: p.filename, subdir: p.subdir, size: p.digests.size });
  if (!check.ok) throw new Error(check.detail);
  return check.facts;
}

beforeAll(async () => {
  await emu.start();
  emu.state.grant(T.feedstock, ['cf-staging']);
  emu.state.grant(T.staging, ['cf-staging']);
  emu.state.grant(T.quarantine, ['cf-post-staging']);
  emu.state.grant(T.target, ['conda-forge']);
  staging = new AnacondaStaging(client(T.staging), 'cf-staging', 4);
  quarantine = new AnacondaQuarantine(client(T.quarantine), 'cf-post-staging');
  target = new AnacondaTarget(client(T.target), 'conda-forge', 4);
});
afterAll(async () => {
  for (const c of clients) await c.http.close();
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('AnacondaStaging', () => {
  let foo: Pkg;
  let bar: Pkg;
  beforeAll(async () => {
    foo = await pkg('foo', '1.0', 'linux-64');
    bar = await pkg('bar', '2.0', 'noarch', 'tar.bz2');
    await uploadPkg(foo);
    await uploadPkg(bar, ['rc']);
    await upload({
      package: 'foo-signatures',
      version: '1.0',
      basename: 'foo-1.0-h0_0.conda.sig',
      type: 'file',
      labels: ['main'],
      bytes: Buffer.from('sig of foo'),
    });
    await upload({
      package: 'signatures',
      version: '2026.01',
      basename: 'bar-2.0-h0_0.tar.bz2.sig',
      type: 'file',
      labels: ['rc'],
      bytes: Buffer.from('sig of bar'),
    });
    await upload({
      package: 'big-signatures',
      version: '1',
      basename: 'big.sig',
      type: 'file',
      labels: ['main'],
      bytes: Buffer.alloc(64 * 1024 + 1, 7),
    });
    // Not artifacts: a conda file filed under another package, one under another version, a file that is no .sig.
    const numpy = await pkg('numpy', '1.0', 'linux-64');
    await upload({
      package: 'evil',
      version: '1.0',
      basename: key(numpy),
      type: 'conda',
      labels: ['main'],
      bytes: numpy.bytes,
    });
    await upload({
      package: 'foo',
      version: '9.9',
      basename: 'linux-64/foo-1.0-h1_0.conda',
      type: 'conda',
      labels: ['main'],
      bytes: foo.bytes,
    });
    await upload({
      package: 'notes',
      version: '1',
      basename: 'README.txt',
      type: 'file',
      labels: ['main'],
      bytes: Buffer.from('hello'),
    });
    emu.state.file('cf-staging', 'foo', '1.0', key(foo))!.uploadTime = '2023-04-04 17:45:58.808000+00:00';
  });

  it('lists conda files as artifacts with the digests, labels, size and upload time anaconda.org reports', async () => {
    const before = routes();
    const { artifacts } = await staging.list();
    expect(artifacts.sort((a, b) => a.filename.localeCompare(b.filename))).toEqual([
      {
        subdir: 'noarch',
        filename: bar.filename,
        size: bar.digests.size,
        md5: bar.digests.md5,
        sha256: bar.digests.sha256,
        labels: ['rc'],
        uploadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/),
        handle: `cf-staging/bar/2.0/noarch/${bar.filename}`,
      },
      {
        subdir: 'linux-64',
        filename: foo.filename,
        size: foo.digests.size,
        md5: foo.digests.md5,
        sha256: foo.digests.sha256,
        labels: ['main'],
        uploadedAt: '2023-04-04T17:45:58.808Z',
        handle: `cf-staging/foo/1.0/linux-64/${foo.filename}`,
      },
    ]);
    // One request for the labels, one per label: never one per package.
    expect(delta(before, 'GET /channels')).toBe(3);
    expect(delta(before, 'GET /package')).toBe(0);
  });

  it('lists .sig files of any package as signatures with their bytes, paired later by statement, not by name', async () => {
    const before = routes();
    const { signatures } = await staging.list();
    const byName = new Map(signatures.map((s) => [s.filename, s]));
    expect([...byName.keys()].sort()).toEqual(['bar-2.0-h0_0.tar.bz2.sig', 'big.sig', 'foo-1.0-h0_0.conda.sig']);
    expect(Buffer.from(byName.get('foo-1.0-h0_0.conda.sig')!.content!).toString()).toBe('sig of foo');
    expect(Buffer.from(byName.get('bar-2.0-h0_0.tar.bz2.sig')!.content!).toString()).toBe('sig of bar');
    expect(byName.get('bar-2.0-h0_0.tar.bz2.sig')).toMatchObject({
      handle: 'cf-staging/signatures/2026.01/bar-2.0-h0_0.tar.bz2.sig',
      size: 10,
    });
    for (const s of signatures) expect(s.besideArtifact).toBeUndefined();
    // Over 64 KiB: content null, and never downloaded.
    expect(byName.get('big.sig')).toMatchObject({ content: null, size: 64 * 1024 + 1 });
    expect(delta(before, 'GET /download')).toBe(2);
  });

  it('drops a signature deleted between the listing and its download, instead of failing the listing', async () => {
    await upload({
      package: 'gone-signatures',
      version: '1',
      basename: 'gone.sig',
      type: 'file',
      labels: ['main'],
      bytes: Buffer.from('x'),
    });
    emu.onRequest = (req) => {
      if (req.method === 'GET' && req.url?.startsWith('/download/cf-staging/gone-signatures/'))
        emu.state.removeFile(emu.state.file('cf-staging', 'gone-signatures', '1', 'gone.sig')!);
      return false;
    };
    try {
      const names = (await staging.list()).signatures.map((s) => s.filename);
      expect(names).not.toContain('gone.sig');
      expect(names).toContain('foo-1.0-h0_0.conda.sig');
    } finally {
      emu.onRequest = null;
    }
  });

  it('fetches a signature again when its body is cut off mid-way', async () => {
    const blob = emu.state.file('cf-staging', 'foo-signatures', '1.0', 'foo-1.0-h0_0.conda.sig')!.blob;
    let cut = 0;
    emu.onRequest = (req, res) => {
      if (req.url !== `/blob/${blob}` || cut > 0) return false;
      cut++;
      res.writeHead(200, { 'content-length': '10' }).write('sig ');
      setTimeout(() => req.socket.destroy(), 10);
      return true;
    };
    const before = routes();
    try {
      const { signatures } = await staging.list();
      expect(Buffer.from(signatures.find((s) => s.filename === 'foo-1.0-h0_0.conda.sig')!.content!).toString()).toBe(
        'sig of foo',
      );
    } finally {
      emu.onRequest = null;
    }
    expect(cut).toBe(1);
    // Two signatures small enough to read, one of them twice.
    expect(delta(before, 'GET /blob')).toBe(3);
  });

  it('reports digests from the listing, or from GET /dist when the listing had none', async () => {
    const a = await stagedOf(foo);
    expect(await staging.digest(a)).toEqual(foo.digests);
    const bare: StagedArtifact = {
      subdir: a.subdir,
      filename: a.filename,
      size: a.size,
      uploadedAt: a.uploadedAt,
      handle: a.handle,
    };
    const before = routes();
    expect(await staging.digest(bare)).toEqual(foo.digests);
    expect(delta(before, 'GET /dist')).toBe(1);
  });

  it('removes artifacts and signatures; removing what is already gone is success', async () => {
    const { artifacts, signatures } = await staging.list();
    const a = artifacts.find((x) => x.filename === bar.filename)!;
    const s = signatures.find((x) => x.filename === 'bar-2.0-h0_0.tar.bz2.sig')!;
    await staging.remove(a);
    await staging.remove(s);
    await staging.remove(a);
    await staging.remove(s);
    expect(emu.state.file('cf-staging', 'bar', '2.0', key(bar))).toBeUndefined();
    expect(emu.state.file('cf-staging', 'signatures', '2026.01', 'bar-2.0-h0_0.tar.bz2.sig')).toBeUndefined();
    expect((await staging.list()).artifacts.map((x) => x.filename)).toEqual([foo.filename]);
  });
});

describe('AnacondaQuarantine', () => {
  it('admits by a server-side copy under the staged label, opens the bytes, and discards (twice is fine)', async () => {
    const p = await pkg('qux', '1.0', 'osx-arm64');
    await uploadPkg(p, ['rc']);
    const copy = await quarantine.admit(await stagedOf(p));
    expect(copy).toEqual({
      subdir: 'osx-arm64',
      filename: p.filename,
      handle: `cf-post-staging/qux/1.0/osx-arm64/${p.filename}`,
    });
    expect(emu.state.file('cf-post-staging', 'qux', '1.0', key(p))?.labels).toEqual(['rc']);
    expect((await verified(p, await quarantine.open(copy))).sha256).toBe(p.digests.sha256);
    expect(emu.leakedAuthorization).toBe(0);
    await quarantine.discard(copy);
    await quarantine.discard(copy);
    expect(emu.state.filesOf('cf-post-staging')).toEqual([]);
    await expect(quarantine.open(copy)).rejects.toMatchObject({ code: 'FG_STORE_UNAVAILABLE', transient: true });
  });

  it('replaces debris of an earlier run instead of trusting it', async () => {
    const p = await pkg('debris', '1.0', 'noarch');
    await uploadPkg(p);
    emu.state.addFile({
      owner: 'cf-post-staging',
      package: 'debris',
      version: '1.0',
      basename: key(p),
      type: 'conda',
      labels: ['main'],
      attrs: {},
      bytes: Buffer.from('old junk'),
    });
    const copy = await quarantine.admit(await stagedOf(p));
    expect(await digestStream(await quarantine.open(copy))).toEqual(p.digests);
    await quarantine.discard(copy);
  });

  it('time of check / time of use: bytes swapped in staging after the listing are what the quarantine holds', async () => {
    const good = await pkg('swap', '1.0', 'linux-64');
    const evil = await pkg('swap', '1.0', 'linux-64', 'conda', { 'bin/swap': 'evil payload' });
    expect(evil.digests.sha256).not.toBe(good.digests.sha256);
    await uploadPkg(good);
    const a = await stagedOf(good);
    expect(a.sha256).toBe(good.digests.sha256);
    emu.swapOnNextCopy(a.handle, evil.bytes);
    const copy = await quarantine.admit(a);
    // The verifier hashes these bytes against the signed statement (good's digests), so they are rejected.
    expect(await digestStream(await quarantine.open(copy))).toEqual(evil.digests);
    await quarantine.discard(copy);
  });

  it("treats the listing's sha256 as a hint: anaconda.org records what the uploader claimed, the quarantine holds what was sent", async () => {
    const good = await pkg('liar', '1.0', 'noarch');
    const evil = await pkg('liar', '1.0', 'noarch', 'conda', { 'bin/liar': 'evil' });
    await uploadPkg(evil, ['main'], { claimedSha256: good.digests.sha256 });
    const a = await stagedOf(good);
    expect(a.sha256).toBe(good.digests.sha256);
    expect(a.md5).toBe(evil.digests.md5);
    const copy = await quarantine.admit(a);
    expect((await digestStream(await quarantine.open(copy))).sha256).toBe(evil.digests.sha256);
    await quarantine.discard(copy);
  });

  it('sweeps everything a crashed run left in the quarantine owner', async () => {
    for (const n of ['s1', 's2'])
      emu.state.addFile({
        owner: 'cf-post-staging',
        package: n,
        version: '1',
        basename: `noarch/${n}-1-0.conda`,
        type: 'conda',
        labels: [n === 's1' ? 'main' : 'rc'],
        attrs: {},
        bytes: Buffer.from(n),
      });
    await quarantine.sweep();
    expect(emu.state.filesOf('cf-post-staging')).toEqual([]);
  });
});

describe('AnacondaTarget', () => {
  let p: Pkg;
  const unstage = (x: Pkg): void => emu.state.removeFile(emu.state.file('cf-staging', x.name, x.version, key(x))!);
  async function quarantined(x: Pkg, label: string): Promise<{ copy: QuarantinedCopy; facts: ArtifactFacts }> {
    await uploadPkg(x, [label]);
    const copy = await quarantine.admit(await stagedOf(x));
    return { copy, facts: await verified(x, await quarantine.open(copy)) };
  }

  for (const size of ['small', 'large'] as const) {
    it(`lists only the focused files with one entry per label (nothing without focus): a ${size} target, ${size === 'small' ? 'listed by label' : 'one GET /release per name and version'}`, async () => {
      p = await pkg('tgt', '1.0', 'linux-64');
      const absent = await pkg('tgt', '1.1', 'linux-64');
      emu.state.addFile({
        owner: 'conda-forge',
        package: 'tgt',
        version: '1.0',
        basename: key(p),
        type: 'conda',
        labels: ['main', 'rc'],
        attrs: {},
        bytes: p.bytes,
      });
      // A large target holds more files than the two release lookups would cost to list.
      const others = size === 'small' ? 1 : 250;
      for (let i = 0; i < others; i++)
        emu.state.addFile({
          owner: 'conda-forge',
          package: 'unrelated',
          version: '1',
          basename: `noarch/unrelated-1-${i}.conda`,
          type: 'conda',
          labels: ['main'],
          attrs: {},
          bytes: Buffer.from('u'),
        });
      const before = routes();
      expect(await new AnacondaTarget(client(T.target), 'conda-forge', 4).list()).toEqual({
        files: new Map(),
        removed: new Set(),
      });
      expect(delta(before, 'GET /channels')).toBe(0);
      target.focus([
        { subdir: p.subdir, filename: p.filename },
        { subdir: absent.subdir, filename: absent.filename },
      ]);
      const listing = await target.list();
      expect(delta(before, 'GET /dist') + delta(before, 'GET /packages') + delta(before, 'GET /package')).toBe(0);
      // The label counts, then either each label (main, rc) or the two releases (tgt 1.0 and 1.1).
      expect(delta(before, 'GET /channels')).toBe(size === 'small' ? 3 : 1);
      expect(delta(before, 'GET /release')).toBe(size === 'small' ? 0 : 2);
      expect([...listing.files.keys()]).toEqual([key(p)]);
      expect(listing.files.get(key(p))).toEqual([
        { label: 'main', ...p.digests },
        { label: 'rc', ...p.digests },
      ]);
      emu.state.removeFile(emu.state.file('conda-forge', 'tgt', '1.0', key(p))!);
      for (let i = 0; i < others; i++)
        emu.state.removeFile(emu.state.file('conda-forge', 'unrelated', '1', `noarch/unrelated-1-${i}.conda`)!);
    });
  }

  it('publishes by copying from the quarantine, confirms, and answers "present" for the same bytes again', async () => {
    const q = await quarantined(p, 'rc');
    expect(await target.publish(q.copy, 'rc', q.facts)).toEqual({ kind: 'published' });
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))).toMatchObject({
      labels: ['rc'],
      sha256: p.digests.sha256,
    });
    expect(await target.confirm(p.subdir, p.filename, 'rc')).toEqual(p.digests);
    expect(await target.confirm(p.subdir, p.filename, 'main')).toBeNull();
    expect(await target.publish(q.copy, 'rc', q.facts)).toEqual({ kind: 'present' });
    await quarantine.discard(q.copy);
  });

  it('never overwrites other bytes under the name: conflict, and the target keeps its file', async () => {
    const other = await pkg('tgt', '1.0', 'linux-64', 'conda', { 'bin/x': 'different' });
    unstage(p);
    const q = await quarantined(other, 'rc');
    expect(await target.publish(q.copy, 'rc', q.facts)).toEqual({
      kind: 'conflict',
      detail: `the channel holds other bytes under this name (sha256 ${p.digests.sha256})`,
    });
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.sha256).toBe(p.digests.sha256);
    await quarantine.discard(q.copy);
  });

  it('reports the same bytes held only under another label as a conflict ("present only under label(s)"), never relabelling', async () => {
    emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.labels = ['broken'];
    unstage(p);
    const q = await quarantined(p, 'main');
    expect(await target.publish(q.copy, 'main', q.facts)).toEqual({
      kind: 'conflict',
      detail: 'present only under label(s) broken; never relabelled automatically',
    });
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.labels).toEqual(['broken']);
    await quarantine.discard(q.copy);
  });

  it('withdraws a label, deleting the file only when that was its one label, and never a file without that label', async () => {
    emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.labels = ['main', 'rc'];
    await target.withdraw(p.subdir, p.filename, 'main');
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.labels).toEqual(['rc']);
    await target.withdraw(p.subdir, p.filename, 'main');
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))!.labels).toEqual(['rc']);
    await target.withdraw(p.subdir, p.filename, 'rc');
    expect(emu.state.file('conda-forge', 'tgt', '1.0', key(p))).toBeUndefined();
    await target.withdraw(p.subdir, p.filename, 'rc');
  });
});
