// One name-version-build is one package: a .conda beside an already published .tar.bz2 (or the other way round)
// with other content would silently replace what users install, since clients prefer .conda.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/demo/sandbox.js';
import { channelState } from '../helpers/channel-state.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-identity-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Item {
  filename: string;
  outcome: string;
  reason: string | null;
  detail: string | null;
}
async function reconcile(sb: Sandbox): Promise<Item[]> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}
async function sandbox(name: string): Promise<Sandbox> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  return sb;
}

describe('one identity per subdir and name-version-build', () => {
  for (const [first, second] of [
    ['tar.bz2', 'conda'],
    ['conda', 'tar.bz2'],
  ] as const) {
    it(`refuses a .${second} once the .${first} of the same name-version-build is published`, async () => {
      const sb = await sandbox(`after-${first}`);
      const a = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64', format: first });
      await sb.stage(a, { feedstock: 'app' });
      expect((await reconcile(sb)).map((i) => i.outcome)).toEqual(['published']);
      const b = await sb.build({
        name: 'app',
        version: '1.0',
        build: 'h0_0',
        subdir: 'linux-64',
        format: second,
        files: { x: 'other' },
      });
      await sb.stage(b, { feedstock: 'app' });
      expect(await reconcile(sb)).toEqual([
        expect.objectContaining({
          filename: b.filename,
          outcome: 'rejected',
          reason: 'TARGET_CONFLICT',
          detail: `linux-64/${a.filename} already holds this name-version-build (label main)`,
        }),
      ]);
      expect(channelState(sb.channelDir).records).toEqual([`linux-64/${a.filename}`]);
    });
  }

  it('refuses the other format as REPLAYED once the first was published and removed (the ledger tombstone)', async () => {
    const sb = await sandbox('replayed');
    const a = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64', format: 'tar.bz2' });
    await sb.stage(a, { feedstock: 'app' });
    await reconcile(sb);
    // An admin removes the file and its record by hand.
    rmSync(join(sb.channelDir, 'linux-64', a.filename));
    const { writeForms, readIndex } = await import('../../src/backends/local/repodata-forms.js');
    const index = await readIndex(join(sb.channelDir, 'linux-64'), 'linux-64');
    Reflect.deleteProperty(index.packages, a.filename);
    await writeForms(join(sb.channelDir, 'linux-64'), index, join(sb.channelDir, '.forgegate-tmp'));
    const b = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
    await sb.stage(b, { feedstock: 'app' });
    expect(await reconcile(sb)).toEqual([
      expect.objectContaining({ filename: b.filename, outcome: 'rejected', reason: 'REPLAYED' }),
    ]);
    const db = new Database(sb.ledgerPath, { readonly: true });
    expect(db.prepare('SELECT filename FROM publications_v1').all()).toEqual([{ filename: a.filename }]);
    db.close();
  });

  it('publishes only the .conda when both formats are staged in one run; the .tar.bz2 is a conflict naming it', async () => {
    const sb = await sandbox('same-run');
    const conda = await sb.build({ name: 'app', version: '3.0', build: 'h0_0', subdir: 'noarch' });
    const bz2 = await sb.build({ name: 'app', version: '3.0', build: 'h0_0', subdir: 'noarch', format: 'tar.bz2' });
    await sb.stage(conda, { feedstock: 'app' });
    await sb.stage(bz2, { feedstock: 'app' });
    const items = await reconcile(sb);
    expect(items.find((i) => i.filename === conda.filename)).toMatchObject({ outcome: 'published' });
    expect(items.find((i) => i.filename === bz2.filename)).toMatchObject({
      outcome: 'rejected',
      reason: 'TARGET_CONFLICT',
      detail: `noarch/${conda.filename} holds this name-version-build: this run publishes it`,
    });
    expect(channelState(sb.channelDir).records).toEqual([`noarch/${conda.filename}`]);
  });
});
