// What every Quarantine must do: hold a private copy of staged bytes that later changes to staging cannot touch,
// stream it back byte for byte, and drop it (idempotently) when asked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Quarantine } from '../../../src/ports/quarantine.js';
import type { StagedArtifact } from '../../../src/ports/staging.js';
import { condaPackage, readAll, type BuiltPackage } from './packages.js';

export interface QuarantineFixture {
  quarantine: Quarantine;
  /**
   * Stage bytes as an uploader would (replacing earlier bytes under the name) and return the artifact as the
   * backend's staging store lists it: what the reconciler hands to admit().
   */
  stage(subdir: string, filename: string, bytes: Uint8Array): Promise<StagedArtifact>;
  /** Remove the artifact from staging. */
  unstage(artifact: StagedArtifact): Promise<void>;
  close(): Promise<void>;
}

export function quarantineContract(name: string, makeFixture: () => Promise<QuarantineFixture>): void {
  describe(`Quarantine contract: ${name}`, () => {
    let fx: QuarantineFixture;
    let foo: BuiltPackage;
    let bar: BuiltPackage;
    let fooRebuilt: BuiltPackage;
    const stage = (p: BuiltPackage): Promise<StagedArtifact> => fx.stage(p.subdir, p.filename, p.bytes);
    beforeEach(async () => {
      fx = await makeFixture();
      foo = await condaPackage({ name: 'foo' });
      bar = await condaPackage({ name: 'bar', version: '2.0', subdir: 'noarch', format: 'tar.bz2' });
      fooRebuilt = await condaPackage({ name: 'foo', files: { 'share/foo/README': 'rebuilt\n' } });
    });
    afterEach(async () => {
      await fx.close();
    });

    it('admit() then open() yields exactly the staged bytes, under the same subdir and filename', async () => {
      for (const p of [foo, bar]) {
        const copy = await fx.quarantine.admit(await stage(p));
        expect(copy).toMatchObject({ subdir: p.subdir, filename: p.filename });
        expect(await readAll(await fx.quarantine.open(copy))).toEqual(p.bytes);
        // Opening twice streams the same bytes again (the verifier and the publisher may both read them).
        expect(await readAll(await fx.quarantine.open(copy))).toEqual(p.bytes);
      }
    });

    it('admits and opens artifacts whose names use every character conda allows', async () => {
      const odd = await condaPackage({ name: 'py_lib.x+y', version: '1!2.0+local_1', subdir: 'linux-aarch64' });
      const copy = await fx.quarantine.admit(await stage(odd));
      expect(copy).toMatchObject({ subdir: odd.subdir, filename: odd.filename });
      expect(await readAll(await fx.quarantine.open(copy))).toEqual(odd.bytes);
      await fx.quarantine.discard(copy);
      await expect(fx.quarantine.open(copy)).rejects.toThrow();
    });

    it('keeps its copy whatever happens in staging afterwards (removed, or other bytes under the name)', async () => {
      const staged = await stage(foo);
      const copy = await fx.quarantine.admit(staged);
      await fx.stage(fooRebuilt.subdir, fooRebuilt.filename, fooRebuilt.bytes);
      expect(await readAll(await fx.quarantine.open(copy))).toEqual(foo.bytes);
      await fx.unstage(staged);
      expect(await readAll(await fx.quarantine.open(copy))).toEqual(foo.bytes);
    });

    it('admitting again (a retry) holds the bytes staged now, never an earlier copy', async () => {
      await fx.quarantine.admit(await stage(foo));
      const again = await fx.quarantine.admit(await stage(fooRebuilt));
      expect(again).toMatchObject({ subdir: foo.subdir, filename: foo.filename });
      expect(await readAll(await fx.quarantine.open(again))).toEqual(fooRebuilt.bytes);
    });

    it('discard() drops the copy, leaves other copies, and discarding again succeeds', async () => {
      const fooCopy = await fx.quarantine.admit(await stage(foo));
      const barCopy = await fx.quarantine.admit(await stage(bar));
      await fx.quarantine.discard(fooCopy);
      await expect(fx.quarantine.open(fooCopy)).rejects.toThrow();
      await expect(fx.quarantine.discard(fooCopy)).resolves.toBeUndefined();
      expect(await readAll(await fx.quarantine.open(barCopy))).toEqual(bar.bytes);
    });

    it('sweep(), where the quarantine has one, clears every copy a crashed run left and stays usable', async () => {
      // sweep is optional in the interface: a quarantine without it must then need no sweeping at all.
      expect(['function', 'undefined']).toContain(typeof fx.quarantine.sweep);
      if (fx.quarantine.sweep === undefined) return;
      const left = [await fx.quarantine.admit(await stage(foo)), await fx.quarantine.admit(await stage(bar))];
      await fx.quarantine.sweep();
      for (const copy of left) await expect(fx.quarantine.open(copy)).rejects.toThrow();
      await expect(fx.quarantine.sweep()).resolves.toBeUndefined();
      const fresh = await fx.quarantine.admit(await stage(foo));
      expect(await readAll(await fx.quarantine.open(fresh))).toEqual(foo.bytes);
    });
  });
}
