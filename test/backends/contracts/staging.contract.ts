// What every StagingStore must do, whatever it is backed by. The fixture stages bytes the way an uploader would
// on that backend; the suite only ever talks to the StagingStore interface.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, ForgegateError } from '../../../src/errors.js';
import type { StagedArtifact, StagingListing, StagingStore } from '../../../src/ports/staging.js';
import { condaPackage, type BuiltPackage } from './packages.js';

export interface StagingFixture {
  store: StagingStore;
  /**
   * Put an artifact in staging, and its detached signature `<filename>.sig` when `sig` is given, as an uploader
   * would. Staging again under the same name replaces the earlier bytes (a forced re-upload).
   */
  stage(subdir: string, filename: string, bytes: Uint8Array, sig?: Uint8Array): Promise<void>;
  /** Put a file that is not a conda artifact at `<subdir>/<filename>`, as a careless or hostile uploader could. */
  stageJunk(subdir: string, filename: string, bytes: Uint8Array): Promise<void>;
  /** A store of the same kind that cannot be reached (a missing folder, a server that is down). */
  unavailable(): StagingStore;
  /** Release what the fixture holds (connections, folders). */
  close(): Promise<void>;
}

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
/** The 64 KiB limit on a .sig file (statement/dsse.ts MAX_SIG_FILE_BYTES). */
const SIG_LIMIT = 64 * 1024;

function artifactOf(listing: StagingListing, p: { subdir: string; filename: string }): StagedArtifact | undefined {
  return listing.artifacts.find((a) => a.subdir === p.subdir && a.filename === p.filename);
}
const names = (listing: StagingListing): string[] => listing.artifacts.map((a) => `${a.subdir}/${a.filename}`).sort();
const sigNames = (listing: StagingListing): string[] => listing.signatures.map((s) => s.filename).sort();

export function stagingContract(name: string, makeFixture: () => Promise<StagingFixture>): void {
  describe(`StagingStore contract: ${name}`, () => {
    let fx: StagingFixture;
    let foo: BuiltPackage;
    let bar: BuiltPackage;
    beforeEach(async () => {
      fx = await makeFixture();
      foo = await condaPackage({ name: 'foo' });
      bar = await condaPackage({ name: 'bar', version: '2.0', subdir: 'noarch', format: 'tar.bz2' });
    });
    afterEach(async () => {
      await fx.close();
    });

    it('lists nothing when nothing is staged', async () => {
      expect(await fx.store.list()).toEqual({ artifacts: [], signatures: [], others: [] });
    });

    it('lists every staged artifact with its subdir, filename, size and any server upload time in RFC 3339 UTC', async () => {
      await fx.stage(foo.subdir, foo.filename, foo.bytes);
      await fx.stage(bar.subdir, bar.filename, bar.bytes);
      const listing = await fx.store.list();
      expect(names(listing)).toEqual([`linux-64/${foo.filename}`, `noarch/${bar.filename}`]);
      for (const p of [foo, bar]) {
        const a = artifactOf(listing, p)!;
        expect(a).toMatchObject({ subdir: p.subdir, filename: p.filename, size: p.bytes.length });
        // Only a store's server may say when an upload landed (never a time the uploader chose, like an mtime).
        if (a.uploadedAt !== undefined) expect(a.uploadedAt).toMatch(RFC3339_UTC);
        expect(a.handle).not.toBe('');
      }
      // Digests a store volunteers are hints, but they must be the digests of these bytes.
      for (const p of [foo, bar]) {
        const a = artifactOf(listing, p)!;
        if (a.sha256 !== undefined) expect(a.sha256).toBe(p.facts.sha256);
        if (a.md5 !== undefined) expect(a.md5).toBe(p.facts.md5);
      }
    });

    it('lists each detached signature with its file name, size and bytes, never as an artifact', async () => {
      const sig = Buffer.from('{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[]}');
      await fx.stage(foo.subdir, foo.filename, foo.bytes, sig);
      await fx.stage(bar.subdir, bar.filename, bar.bytes);
      const listing = await fx.store.list();
      expect(names(listing)).toEqual([`linux-64/${foo.filename}`, `noarch/${bar.filename}`]);
      expect(listing.signatures).toHaveLength(1);
      const s = listing.signatures[0]!;
      expect(s.filename).toBe(`${foo.filename}.sig`);
      expect(s.size).toBe(sig.length);
      expect(Buffer.from(s.content!)).toEqual(sig);
      if (s.uploadedAt !== undefined) expect(s.uploadedAt).toMatch(RFC3339_UTC);
      expect(s.handle).not.toBe('');
      // A store that places signatures beside their artifact must name the right one.
      if (s.besideArtifact !== undefined)
        expect(s.besideArtifact).toEqual({ subdir: foo.subdir, filename: foo.filename });
    });

    it('lists a signature over the 64 KiB limit with its size and no content (malformed, never read whole)', async () => {
      const big = Buffer.alloc(SIG_LIMIT + 1, 0x41);
      const edge = Buffer.alloc(SIG_LIMIT, 0x42);
      await fx.stage(foo.subdir, foo.filename, foo.bytes, big);
      await fx.stage(bar.subdir, bar.filename, bar.bytes, edge);
      const byName = new Map((await fx.store.list()).signatures.map((s) => [s.filename, s]));
      expect(byName.get(`${foo.filename}.sig`)).toMatchObject({ size: SIG_LIMIT + 1, content: null });
      expect(byName.get(`${bar.filename}.sig`)).toMatchObject({ size: SIG_LIMIT });
      expect(Buffer.from(byName.get(`${bar.filename}.sig`)!.content!)).toEqual(edge);
    });

    it('digest() gives the size, sha256 and md5 of the staged bytes', async () => {
      await fx.stage(foo.subdir, foo.filename, foo.bytes);
      await fx.stage(bar.subdir, bar.filename, bar.bytes);
      const listing = await fx.store.list();
      for (const p of [foo, bar]) {
        expect(await fx.store.digest(artifactOf(listing, p)!)).toEqual({
          size: p.facts.size,
          sha256: p.facts.sha256,
          md5: p.facts.md5,
        });
      }
    });

    it('digest() follows the bytes as they are now: bytes staged again under the name give their digests', async () => {
      const other = await condaPackage({ name: 'foo', files: { 'share/foo/README': 'a different build\n' } });
      expect(other.filename).toBe(foo.filename);
      expect(other.facts.sha256).not.toBe(foo.facts.sha256);
      await fx.stage(foo.subdir, foo.filename, foo.bytes);
      expect(await fx.store.digest(artifactOf(await fx.store.list(), foo)!)).toMatchObject({
        sha256: foo.facts.sha256,
      });
      await fx.stage(other.subdir, other.filename, other.bytes);
      const listing = await fx.store.list();
      expect(names(listing)).toEqual([`linux-64/${foo.filename}`]);
      expect(artifactOf(listing, other)!.size).toBe(other.bytes.length);
      expect(await fx.store.digest(artifactOf(listing, other)!)).toEqual({
        size: other.facts.size,
        sha256: other.facts.sha256,
        md5: other.facts.md5,
      });
    });

    it('remove() takes an artifact and a signature out of staging and leaves the rest; removing again succeeds', async () => {
      await fx.stage(foo.subdir, foo.filename, foo.bytes, Buffer.from('sig of foo'));
      await fx.stage(bar.subdir, bar.filename, bar.bytes, Buffer.from('sig of bar'));
      const listing = await fx.store.list();
      const artifact = artifactOf(listing, foo)!;
      const signature = listing.signatures.find((s) => s.filename === `${foo.filename}.sig`)!;
      await fx.store.remove(artifact);
      await fx.store.remove(signature);
      const after = await fx.store.list();
      expect(names(after)).toEqual([`noarch/${bar.filename}`]);
      expect(sigNames(after)).toEqual([`${bar.filename}.sig`]);
      // Already gone is success: a crashed run's cleanup is simply repeated.
      await expect(fx.store.remove(artifact)).resolves.toBeUndefined();
      await expect(fx.store.remove(signature)).resolves.toBeUndefined();
      expect(names(await fx.store.list())).toEqual([`noarch/${bar.filename}`]);
    });

    it('lists, digests and removes artifacts whose names use every character conda allows', async () => {
      const odd = await condaPackage({ name: 'py_lib.x+y', version: '1!2.0+local_1', subdir: 'linux-aarch64' });
      expect(odd.filename).toBe('py_lib.x+y-1!2.0+local_1-h0_0.conda');
      await fx.stage(odd.subdir, odd.filename, odd.bytes, Buffer.from('sig'));
      const listing = await fx.store.list();
      expect(names(listing)).toEqual([`linux-aarch64/${odd.filename}`]);
      expect(sigNames(listing)).toEqual([`${odd.filename}.sig`]);
      const a = artifactOf(listing, odd)!;
      expect(await fx.store.digest(a)).toEqual({ size: odd.facts.size, sha256: odd.facts.sha256, md5: odd.facts.md5 });
      await fx.store.remove(a);
      await fx.store.remove(listing.signatures[0]!);
      expect(await fx.store.list()).toEqual({ artifacts: [], signatures: [], others: [] });
    });

    it('fails list() of a store that cannot be reached with a store-unavailable error (exit 7)', async () => {
      const error: unknown = await fx
        .unavailable()
        .list()
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(ForgegateError);
      expect((error as ForgegateError).exitCode).toBe(ExitCode.STORE_UNAVAILABLE);
    });

    it('does not list junk as artifacts or signatures, but as others (strays to clean up)', async () => {
      await fx.stage(foo.subdir, foo.filename, foo.bytes);
      await fx.stageJunk('linux-64', 'README.txt', Buffer.from('hello'));
      await fx.stageJunk('linux-64', 'notes.conda', Buffer.from('no name-version-build'));
      await fx.stageJunk('linux-64', 'foo-1.0-h0_0.zip', foo.bytes);
      // A valid artifact name under something that is not a subdir.
      await fx.stageJunk('Not_A_Subdir', 'baz-1.0-h0_0.conda', foo.bytes);
      const listing = await fx.store.list();
      expect(names(listing)).toEqual([`linux-64/${foo.filename}`]);
      expect(listing.signatures).toEqual([]);
      const others = listing.others.map((o) => `${o.subdir}/${o.filename}`);
      expect(others).toEqual(
        expect.arrayContaining(['linux-64/README.txt', 'linux-64/notes.conda', 'linux-64/foo-1.0-h0_0.zip']),
      );
      for (const o of listing.others) {
        expect(o.size).toBeGreaterThan(0);
        expect(o.handle).not.toBe('');
      }
    });

    it('removes a stray it listed, and leaves the rest', async () => {
      await fx.stage(foo.subdir, foo.filename, foo.bytes);
      await fx.stageJunk('linux-64', 'README.txt', Buffer.from('hello'));
      const junk = (await fx.store.list()).others.find((o) => o.filename === 'README.txt')!;
      await fx.store.remove(junk);
      const after = await fx.store.list();
      expect(after.others.map((o) => o.filename)).not.toContain('README.txt');
      expect(names(after)).toEqual([`linux-64/${foo.filename}`]);
    });
  });
}
