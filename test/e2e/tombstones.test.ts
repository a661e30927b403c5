// A yank outlives the ledger: the folder channel lists a yanked file in each label's repodata `removed` (and keeps
// it under `broken`), so with the ledger deleted the same file, or the other format of its build, stays REPLAYED.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { channelState } from '../helpers/channel-state.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-tombstones-'));
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

function loseLedger(sb: Sandbox): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${sb.ledgerPath}${suffix}`, { force: true });
}

const SPEC = { name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' } as const;

describe('forgegate yank on a folder channel', () => {
  it('moves the file to broken, lists it as removed, and REPLAYED holds after the ledger is lost', async () => {
    const sb = await Sandbox.create(join(work, 'folder'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const built = await sb.build(SPEC);
    await sb.stage(built, { feedstock: 'app' });
    expect((await reconcile(sb)).map((i) => i.outcome)).toEqual(['published']);

    const yank = await runCli([
      'yank',
      '--config',
      sb.configPath,
      '--reason',
      'broken ABI',
      '--json',
      `noarch/${built.filename}`,
    ]);
    expect(yank.code, yank.stderr).toBe(0);
    expect(JSON.parse(yank.stdout)).toMatchObject({
      files: [{ subdir: 'noarch', filename: built.filename, from: ['main'], to: 'broken' }],
    });
    expect(channelState(sb.channelDir).records).toEqual([`label/broken/noarch/${built.filename}`]);
    const main = JSON.parse(readFileSync(join(sb.channelDir, 'noarch', 'repodata.json'), 'utf8')) as {
      removed: string[];
    };
    expect(main.removed).toEqual([built.filename]);
    expect(existsSync(join(sb.channelDir, 'noarch', built.filename))).toBe(false);
    const db = new Database(sb.ledgerPath, { readonly: true });
    expect(db.prepare('SELECT action, subdir, filename, detail FROM admin_actions_v1').all()).toEqual([
      {
        action: 'yank',
        subdir: 'noarch',
        filename: built.filename,
        detail: JSON.stringify({ from: ['main'], to: 'broken', reason: 'broken ABI' }),
      },
    ]);
    db.close();

    // The ledger is lost while a fresh statement for the same bytes is staged again; check already says so.
    loseLedger(sb);
    const checked = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', '--json', built.path]);
    expect(JSON.parse(checked.stdout)).toMatchObject({ artifacts: [{ ok: false, reason: 'REPLAYED' }] });
    await sb.stage(built, { feedstock: 'app' });
    expect(await reconcile(sb)).toEqual([
      expect.objectContaining({ filename: built.filename, outcome: 'rejected', reason: 'REPLAYED' }),
    ]);

    // The other format of the build, same content or not, stays off too.
    rmSync(join(sb.stagingDir, 'noarch', built.filename));
    rmSync(join(sb.stagingDir, 'noarch', `${built.filename}.sig`));
    const twin = await sb.build({ ...SPEC, format: 'tar.bz2' });
    await sb.stage(twin, { feedstock: 'app' });
    expect(await reconcile(sb)).toEqual([
      expect.objectContaining({ filename: twin.filename, outcome: 'rejected', reason: 'REPLAYED' }),
    ]);

    // Even with broken/ emptied by hand and the ledger lost again, repodata's `removed` keeps it off.
    rmSync(join(sb.channelDir, 'label'), { recursive: true });
    loseLedger(sb);
    await sb.stage(built, { feedstock: 'app' });
    const items = await reconcile(sb);
    expect(items.map((i) => [i.filename, i.reason])).toEqual([
      [built.filename, 'REPLAYED'],
      [twin.filename, 'REPLAYED'],
    ]);
    expect(items[0]!.detail).toBe('the channel lists it as removed (taken off by an administrator)');
    expect(channelState(sb.channelDir).records).toEqual([]);
  });

  it('says so when the channel does not hold the file, and names a bad argument', async () => {
    const sb = await Sandbox.create(join(work, 'absent'));
    const r = await runCli(['yank', '--config', sb.configPath, '--reason', 'x', 'noarch/nope-1.0-h0_0.conda']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not in the channel');
    const bad = await runCli(['yank', '--config', sb.configPath, '--reason', 'x', 'noarch/../etc']);
    expect(bad.stderr).toContain('is not SUBDIR/FILENAME of a conda artifact');
  });
});
