// What every TargetStore must do: publish verified quarantined bytes under a label without ever overwriting,
// report what it serves (list, confirm), and take a file off a label when told to.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactFacts, Digests } from '../../../src/model.js';
import type { QuarantinedCopy } from '../../../src/ports/quarantine.js';
import type { TargetListing, TargetStore } from '../../../src/ports/target.js';
import { condaPackage, type BuiltPackage } from './packages.js';

export interface TargetFixture {
  target: TargetStore;
  /**
   * Bring bytes into the custody this target publishes from (staged under `label`, then admitted to the
   * quarantine deployed with it), as the applier does before publish().
   */
  quarantined(subdir: string, filename: string, bytes: Uint8Array, label: string): Promise<QuarantinedCopy>;
  /** The target serves attestations beside files (a folder channel): confirm() then says which (none, here). */
  servesAttestations?: boolean;
  close(): Promise<void>;
}

const digestsOf = (f: ArtifactFacts): Digests => ({ size: f.size, sha256: f.sha256, md5: f.md5 });
/**
 * What confirm() returns for these bytes: their digests, the upload time the target reports (RFC 3339 UTC), and, where
 * it serves attestations, that it serves none (these publications carry no bundle).
 */
const heldOf = (f: ArtifactFacts, servesAttestations: boolean): Digests & { uploadedAt: unknown } => ({
  ...digestsOf(f),
  uploadedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/) as unknown,
  ...(servesAttestations ? { attestations: null } : {}),
});
const keyOf = (p: BuiltPackage): string => `${p.subdir}/${p.filename}`;

export function targetContract(name: string, makeFixture: () => Promise<TargetFixture>): void {
  describe(`TargetStore contract: ${name}`, () => {
    let fx: TargetFixture;
    let foo: BuiltPackage;
    let fooRebuilt: BuiltPackage;
    let bar: BuiltPackage;
    beforeEach(async () => {
      fx = await makeFixture();
      foo = await condaPackage({ name: 'foo' });
      fooRebuilt = await condaPackage({ name: 'foo', files: { 'share/foo/README': 'rebuilt\n' } });
      bar = await condaPackage({ name: 'bar', version: '2.0', subdir: 'noarch', format: 'tar.bz2' });
    });
    afterEach(async () => {
      await fx.close();
    });
    const held = (f: ArtifactFacts) => heldOf(f, fx.servesAttestations === true);

    /** list() as the reconciler calls it: focus() first (where the target has it) on the files of this run. */
    async function listing(...files: BuiltPackage[]): Promise<TargetListing> {
      fx.target.focus?.(files.map((p) => ({ subdir: p.subdir, filename: p.filename })));
      return fx.target.list();
    }
    /** publish() and then flush() (where the store batches its index), as the applier does. */
    async function publish(p: BuiltPackage, label: string): ReturnType<TargetStore['publish']> {
      const outcome = await fx.target.publish(
        await fx.quarantined(p.subdir, p.filename, p.bytes, label),
        label,
        p.facts,
      );
      await fx.target.flush?.();
      return outcome;
    }

    it('lists and confirms nothing for a file it does not hold', async () => {
      expect((await listing(foo)).files.get(keyOf(foo))).toBeUndefined();
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toBeNull();
      expect(await fx.target.confirm('linux-64', 'not-an-artifact.txt', 'main')).toBeNull();
    });

    it('publish() then list() and confirm() show the digests under that label, and under no other', async () => {
      expect(await publish(foo, 'main')).toEqual({ kind: 'published' });
      expect((await listing(foo)).files.get(keyOf(foo))).toEqual([{ label: 'main', ...digestsOf(foo.facts) }]);
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toEqual(held(foo.facts));
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'rc')).toBeNull();
    });

    it('publishes under a label other than main the same way', async () => {
      expect(await publish(bar, 'rc')).toEqual({ kind: 'published' });
      expect((await listing(bar)).files.get(keyOf(bar))).toEqual([{ label: 'rc', ...digestsOf(bar.facts) }]);
      expect(await fx.target.confirm(bar.subdir, bar.filename, 'rc')).toEqual(held(bar.facts));
      expect(await fx.target.confirm(bar.subdir, bar.filename, 'main')).toBeNull();
    });

    it('answers "present" for the same bytes under the same label again, and changes nothing', async () => {
      expect(await publish(foo, 'main')).toEqual({ kind: 'published' });
      const before = (await listing(foo)).files.get(keyOf(foo));
      expect(await publish(foo, 'main')).toEqual({ kind: 'present' });
      expect((await listing(foo)).files.get(keyOf(foo))).toEqual(before);
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toEqual(held(foo.facts));
    });

    it('answers "conflict" for other bytes under the same name, on any label, and keeps what it serves', async () => {
      expect(fooRebuilt.filename).toBe(foo.filename);
      expect(await publish(foo, 'main')).toEqual({ kind: 'published' });
      for (const label of ['main', 'rc']) {
        const outcome = await publish(fooRebuilt, label);
        expect(outcome).toEqual({ kind: 'conflict', detail: expect.any(String) });
        expect(outcome.kind === 'conflict' && outcome.detail.length > 0).toBe(true);
      }
      expect((await listing(foo)).files.get(keyOf(foo))).toEqual([{ label: 'main', ...digestsOf(foo.facts) }]);
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toEqual(held(foo.facts));
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'rc')).toBeNull();
    });

    it('withdraw() takes the file off the label; withdrawing again succeeds', async () => {
      await publish(foo, 'main');
      await publish(bar, 'main');
      await fx.target.withdraw(foo.subdir, foo.filename, 'main');
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toBeNull();
      const after = await listing(foo, bar);
      expect(after.files.get(keyOf(foo))).toBeUndefined();
      expect(after.files.get(keyOf(bar))).toEqual([{ label: 'main', ...digestsOf(bar.facts) }]);
      await expect(fx.target.withdraw(foo.subdir, foo.filename, 'main')).resolves.toBeUndefined();
      await expect(fx.target.withdraw('linux-64', 'never-1.0-h0_0.conda', 'main')).resolves.toBeUndefined();
    });

    it('withdraw() under a label the file does not carry leaves the file where it is', async () => {
      await publish(foo, 'main');
      await fx.target.withdraw(foo.subdir, foo.filename, 'rc');
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toEqual(held(foo.facts));
      expect((await listing(foo)).files.get(keyOf(foo))).toEqual([{ label: 'main', ...digestsOf(foo.facts) }]);
    });

    it('publishes a withdrawn name again', async () => {
      await publish(foo, 'main');
      await fx.target.withdraw(foo.subdir, foo.filename, 'main');
      expect(await publish(foo, 'main')).toEqual({ kind: 'published' });
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toEqual(held(foo.facts));
    });

    it('publishes, confirms and withdraws artifacts whose names use every character conda allows', async () => {
      const odd = await condaPackage({ name: 'py_lib.x+y', version: '1!2.0+local_1', subdir: 'linux-aarch64' });
      expect(await publish(odd, 'main')).toEqual({ kind: 'published' });
      expect((await listing(odd)).files.get(keyOf(odd))).toEqual([{ label: 'main', ...digestsOf(odd.facts) }]);
      expect(await fx.target.confirm(odd.subdir, odd.filename, 'main')).toEqual(held(odd.facts));
      expect(await publish(odd, 'main')).toEqual({ kind: 'present' });
      await fx.target.withdraw(odd.subdir, odd.filename, 'main');
      expect(await fx.target.confirm(odd.subdir, odd.filename, 'main')).toBeNull();
    });

    it('keeps every one of several parallel publishes', async () => {
      const many = await Promise.all(
        ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map((n) => condaPackage({ name: n, subdir: 'linux-64' })),
      );
      const copies = await Promise.all(many.map((p) => fx.quarantined(p.subdir, p.filename, p.bytes, 'main')));
      const outcomes = await Promise.all(many.map((p, i) => fx.target.publish(copies[i]!, 'main', p.facts)));
      await fx.target.flush?.();
      expect(outcomes).toEqual(many.map(() => ({ kind: 'published' })));
      const all = await listing(...many);
      for (const p of many) {
        expect(all.files.get(keyOf(p))).toEqual([{ label: 'main', ...digestsOf(p.facts) }]);
        expect(await fx.target.confirm(p.subdir, p.filename, 'main')).toEqual(held(p.facts));
      }
    });

    it('open() streams exactly the bytes it serves under that label, and null under another or for no file', async () => {
      await publish(foo, 'main');
      const stream = await fx.target.open(foo.subdir, foo.filename, 'main');
      expect(stream).not.toBeNull();
      const chunks: Buffer[] = [];
      for await (const c of stream!) chunks.push(Buffer.from(c as Uint8Array));
      expect(Buffer.concat(chunks).equals(Buffer.from(foo.bytes))).toBe(true);
      expect(await fx.target.open(foo.subdir, foo.filename, 'rc')).toBeNull();
      expect(await fx.target.open(bar.subdir, bar.filename, 'main')).toBeNull();
    });

    it('yank() moves the file off every label to broken, where list() still shows it', async () => {
      await publish(foo, 'main');
      expect(await fx.target.yank(foo.subdir, foo.filename)).toEqual({ from: ['main'], to: 'broken' });
      expect((await listing(foo)).files.get(keyOf(foo))).toEqual([{ label: 'broken', ...digestsOf(foo.facts) }]);
      expect(await fx.target.confirm(foo.subdir, foo.filename, 'main')).toBeNull();
      expect(await fx.target.yank(bar.subdir, bar.filename)).toEqual({ from: [], to: null });
    });

    it('publish() beside a twin checks that the twin is still the file that was compared', async () => {
      const conda = await condaPackage({ name: 'baz', format: 'conda' });
      const bz2 = await condaPackage({ name: 'baz', format: 'tar.bz2' });
      expect(await publish(conda, 'main')).toEqual({ kind: 'published' });
      const copy = await fx.quarantined(bz2.subdir, bz2.filename, bz2.bytes, 'main');
      const wrong = { filename: conda.filename, sha256: '0'.repeat(64) };
      expect(await fx.target.publish(copy, 'main', bz2.facts, wrong)).toMatchObject({ kind: 'conflict' });
      const right = { filename: conda.filename, sha256: conda.facts.sha256 };
      expect(await fx.target.publish(copy, 'main', bz2.facts, right)).toEqual({ kind: 'published' });
      await fx.target.flush?.();
      expect(await fx.target.confirm(bz2.subdir, bz2.filename, 'main')).toEqual(held(bz2.facts));
    });
  });
}
