// The folder channel serves the verified bundles of a keyless publication as conda clients read them today: F.sigs
// (a JSON array of the bundles, byte for byte), F.sigs.<sha256>, and attestations_sha256 in every index form. Real
// packages, real folders; the bundles here are strict JSON bytes (test/e2e/keyless.test.ts serves real ones).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifiedCopy } from '../../helpers/packages.js';
import { attestationsInForms } from '../../helpers/channel-state.js';
import type { ArtifactFacts } from '../../../src/model.js';
import type { QuarantinedCopy } from '../../../src/ports/quarantine.js';
import type { ServedBundle } from '../../../src/ports/target.js';
import { LocalChannel } from '../../../src/backends/local/local-channel.js';
import { FolderInventory } from '../../../src/backends/local/channel-inventory.js';
import { AuditSpill } from '../../../src/ledger/audit-spill.js';
import type { InventoryFile } from '../../../src/ports/inventory.js';
import { sha256Hex } from '../../../src/util/digest.js';

const work = mkdtempSync(join(tmpdir(), 'fg sidecar '));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

function pkg(name: string): Promise<{ copy: QuarantinedCopy; facts: ArtifactFacts }> {
  const dir = join(work, `b${n++}`);
  mkdirSync(dir);
  return verifiedCopy(dir, name, { x: name });
}

/** Bundle-shaped strict JSON, with the whitespace a bundle file may have: served as is. */
function bundle(tag: string): ServedBundle {
  const bytes = Buffer.from(
    `{\n  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",\n  "tag": "${tag}"\n}\n`,
  );
  return { bytes, sha256: sha256Hex(bytes) };
}

describe('LocalChannel serving keyless attestations', () => {
  it('writes F.sigs (the bundle byte for byte in a JSON array), F.sigs.<sha256>, and the field in every form', async () => {
    const root = join(work, 'ch1');
    const channel = new LocalChannel(root);
    const a = await pkg('alpha');
    const b = bundle('alpha');
    expect(await channel.publish(a.copy, 'main', a.facts, undefined, [b])).toEqual({ kind: 'published' });
    const dir = join(root, 'linux-64');
    const sigs = readFileSync(join(dir, `${a.copy.filename}.sigs`));
    expect(sigs).toEqual(Buffer.concat([Buffer.from('['), b.bytes, Buffer.from(']')]));
    expect(JSON.parse(sigs.toString('utf8'))).toEqual([JSON.parse(Buffer.from(b.bytes).toString('utf8'))]);
    const sha = sha256Hex(sigs);
    expect(readFileSync(join(dir, `${a.copy.filename}.sigs.${sha}`))).toEqual(sigs);
    // Placed before any form advertises it: nothing is indexed until the flush.
    expect(existsSync(join(dir, 'repodata.json'))).toBe(false);
    await channel.flush();
    expect(attestationsInForms(dir, a.copy.filename)).toEqual({
      'repodata.json': sha,
      'repodata.json.zst': sha,
      'current_repodata.json': sha,
      shard: sha,
    });
    expect(await channel.confirm('linux-64', a.copy.filename, 'main')).toMatchObject({ sha256: a.facts.sha256 });
  });

  it('a .sig publication (no bundles) gets no sidecar and no field', async () => {
    const root = join(work, 'ch2');
    const channel = new LocalChannel(root);
    const a = await pkg('keyed');
    await channel.publish(a.copy, 'main', a.facts);
    await channel.flush();
    const dir = join(root, 'linux-64');
    expect(existsSync(join(dir, `${a.copy.filename}.sigs`))).toBe(false);
    expect(attestationsInForms(dir, a.copy.filename)).toEqual({
      'repodata.json': undefined,
      'repodata.json.zst': undefined,
      'current_repodata.json': undefined,
      shard: undefined,
    });
  });

  it('refuses bundle bytes that are not the verified ones: nothing is written', async () => {
    const root = join(work, 'ch3');
    const channel = new LocalChannel(root);
    const a = await pkg('swapped');
    const swapped = { bytes: bundle('attacker').bytes, sha256: bundle('verified').sha256 };
    await expect(channel.publish(a.copy, 'main', a.facts, undefined, [swapped])).rejects.toThrow(
      /bundle bytes hash to [0-9a-f]{64}, not the verified [0-9a-f]{64}; nothing was published/,
    );
    expect(await channel.flush()).toBe(0);
    const dir = join(root, 'linux-64');
    expect(existsSync(join(dir, a.copy.filename))).toBe(false);
    expect(existsSync(join(dir, `${a.copy.filename}.sigs`))).toBe(false);
  });

  it('never overwrites a .sigs with other bytes (FG_STORE_CONFLICT); the same bytes again are a rerun', async () => {
    const root = join(work, 'ch4');
    const dir = join(root, 'linux-64');
    mkdirSync(dir, { recursive: true });
    const a = await pkg('stale');
    writeFileSync(join(dir, `${a.copy.filename}.sigs`), '[{"someone":"else"}]');
    const channel = new LocalChannel(root);
    await expect(channel.publish(a.copy, 'main', a.facts, undefined, [bundle('stale')])).rejects.toMatchObject({
      code: 'FG_STORE_CONFLICT',
      message: expect.stringMatching(/\.sigs already exists with other bytes .* nothing was published/) as unknown,
    });
    expect(readFileSync(join(dir, `${a.copy.filename}.sigs`), 'utf8')).toBe('[{"someone":"else"}]');
    expect(existsSync(join(dir, a.copy.filename))).toBe(false);

    // An interrupted run placed the sidecar and the file but wrote no index: the rerun finishes it.
    const c = await pkg('rerun');
    const b = bundle('rerun');
    expect(await channel.publish(c.copy, 'main', c.facts, undefined, [b])).toEqual({ kind: 'published' });
    const again = new LocalChannel(root);
    expect(await again.publish(c.copy, 'main', c.facts, undefined, [b])).toEqual({ kind: 'present' });
    await again.flush();
    const sha = sha256Hex(readFileSync(join(dir, `${c.copy.filename}.sigs`)));
    expect(attestationsInForms(dir, c.copy.filename)['repodata.json']).toBe(sha);
    expect(await again.confirm('linux-64', c.copy.filename, 'main')).not.toBeNull();
  });

  it('a record whose advertised sidecar is gone does not confirm', async () => {
    const root = join(work, 'ch5');
    const channel = new LocalChannel(root);
    const a = await pkg('lost');
    await channel.publish(a.copy, 'main', a.facts, undefined, [bundle('lost')]);
    await channel.flush();
    rmSync(join(root, 'linux-64', `${a.copy.filename}.sigs`));
    expect(await new LocalChannel(root).confirm('linux-64', a.copy.filename, 'main')).toBeNull();
  });

  it('a withdrawal takes the advertised sidecar off with the file and its record', async () => {
    const root = join(work, 'ch8');
    const channel = new LocalChannel(root);
    const a = await pkg('withdrawn');
    await channel.publish(a.copy, 'main', a.facts, undefined, [bundle('withdrawn')]);
    await channel.flush();
    const dir = join(root, 'linux-64');
    const sha = sha256Hex(readFileSync(join(dir, `${a.copy.filename}.sigs`)));
    await channel.withdraw('linux-64', a.copy.filename, 'main');
    expect(attestationsInForms(dir, a.copy.filename)['repodata.json']).toBeNull();
    for (const name of [a.copy.filename, `${a.copy.filename}.sigs`, `${a.copy.filename}.sigs.${sha}`])
      expect(existsSync(join(dir, name)), name).toBe(false);
  });

  it('a yank moves the sidecar with the file to broken, where the record still verifies', async () => {
    const root = join(work, 'ch6');
    const channel = new LocalChannel(root);
    const a = await pkg('yanked');
    await channel.publish(a.copy, 'main', a.facts, undefined, [bundle('yanked')]);
    await channel.flush();
    const main = join(root, 'linux-64');
    const sigs = readFileSync(join(main, `${a.copy.filename}.sigs`));
    const sha = sha256Hex(sigs);
    expect(await channel.yank('linux-64', a.copy.filename)).toEqual({ from: ['main'], to: 'broken' });
    const broken = join(root, 'label', 'broken', 'linux-64');
    expect(readFileSync(join(broken, `${a.copy.filename}.sigs`))).toEqual(sigs);
    expect(readFileSync(join(broken, `${a.copy.filename}.sigs.${sha}`))).toEqual(sigs);
    expect(attestationsInForms(broken, a.copy.filename)['repodata.json']).toBe(sha);
    expect(await channel.confirm('linux-64', a.copy.filename, 'broken')).toMatchObject({ sha256: a.facts.sha256 });
    for (const name of [a.copy.filename, `${a.copy.filename}.sigs`, `${a.copy.filename}.sigs.${sha}`])
      expect(existsSync(join(main, name)), name).toBe(false);
  });

  it('the audit inventory lists the artifact, never its .sigs files', async () => {
    const root = join(work, 'ch7');
    const channel = new LocalChannel(root);
    const a = await pkg('audited');
    await channel.publish(a.copy, 'main', a.facts, undefined, [bundle('audited')]);
    await channel.flush();
    // The inventory hands over the index's and storage's facts apart; the audit's spill merges them per file.
    const facts: InventoryFile[] = [];
    const spill = new AuditSpill(work);
    try {
      await new FolderInventory(root).scan({ label: 'main', subdir: 'linux-64' }, (f) => {
        facts.push(f);
        spill.putCopy(f, 0);
      });
      expect([...new Set(facts.map((f) => f.filename))]).toEqual([a.copy.filename]);
      const files = [...spill.copies()].map(([name, copies]) => {
        const c = copies.get('main');
        return [name, c !== undefined && c.indexed !== null, c?.storedSize];
      });
      expect(files).toEqual([[a.copy.filename, true, a.facts.size]]);
    } finally {
      spill.close();
    }
  });
});
