// One name-version-build is one package: a .conda beside an already published .tar.bz2 (or the other way round)
// is published only when both hold the same package (spec step 9: twins); with other content it would silently
// replace what users install, since clients prefer .conda.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
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

/** `forgegate check` on the built file: the verdict a feedstock's CI would see, from the run's own planner. */
async function check(sb: Sandbox, path: string): Promise<{ ok: boolean; reason: string | null; detail: string }> {
  const r = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', '--json', path]);
  return (JSON.parse(r.stdout) as { artifacts: { ok: boolean; reason: string | null; detail: string }[] })
    .artifacts[0]!;
}

async function plan(sb: Sandbox): Promise<Item[]> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

const SPEC = { name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' } as const;

describe('one identity per subdir and name-version-build', () => {
  for (const [first, second] of [
    ['tar.bz2', 'conda'],
    ['conda', 'tar.bz2'],
  ] as const) {
    it(`refuses a .${second} with other content once the .${first} of the build is published`, async () => {
      const sb = await sandbox(`differs-after-${first}`);
      const a = await sb.build({ ...SPEC, format: first });
      await sb.stage(a, { feedstock: 'app' });
      expect((await reconcile(sb)).map((i) => i.outcome)).toEqual(['published']);
      const b = await sb.build({ ...SPEC, format: second, files: { x: 'other' } });
      await sb.stage(b, { feedstock: 'app' });
      const detail = expect.stringContaining(`linux-64/${a.filename} holds this name-version-build with other content`);
      // check and the plan read both packages and predict what the run finds.
      expect(await check(sb, b.path)).toEqual(
        expect.objectContaining({ ok: false, reason: 'TARGET_CONFLICT', detail }),
      );
      expect(await plan(sb)).toEqual([expect.objectContaining({ filename: b.filename, decision: 'reject', detail })]);
      expect(await reconcile(sb)).toEqual([
        expect.objectContaining({ filename: b.filename, outcome: 'rejected', reason: 'TARGET_CONFLICT', detail }),
      ]);
      expect(channelState(sb.channelDir).records).toEqual([`linux-64/${a.filename}`]);
    });

    it(`publishes a .${second} beside the published .${first} when both hold the same package`, async () => {
      const sb = await sandbox(`same-after-${first}`);
      const a = await sb.build({ ...SPEC, format: first });
      await sb.stage(a, { feedstock: 'app' });
      await reconcile(sb);
      const b = await sb.build({ ...SPEC, format: second });
      await sb.stage(b, { feedstock: 'app' });
      expect(await check(sb, b.path)).toMatchObject({
        ok: true,
        detail: expect.stringContaining('which holds the same package'),
      });
      expect(await plan(sb)).toEqual([
        expect.objectContaining({
          filename: b.filename,
          decision: 'publish',
          detail: `beside its twin ${a.filename}, which holds the same package`,
        }),
      ]);
      expect(await reconcile(sb)).toEqual([expect.objectContaining({ filename: b.filename, outcome: 'published' })]);
      expect(channelState(sb.channelDir).records.sort()).toEqual(
        [`linux-64/${a.filename}`, `linux-64/${b.filename}`].sort(),
      );
    });
  }

  it('refuses the other format as REPLAYED once the first was published and removed (the ledger tombstone)', async () => {
    const sb = await sandbox('replayed');
    const a = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64', format: 'tar.bz2' });
    await sb.stage(a, { feedstock: 'app' });
    await reconcile(sb);
    // An admin removes the file and its record by hand.
    rmSync(join(sb.channelDir, 'linux-64', a.filename));
    const { updateIndex, DEFAULT_INDEX_OPTIONS } = await import('../../src/backends/local/repodata-forms.js');
    const { NO_CHANGES } = await import('../../src/backends/local/repodata-write.js');
    const drop = { ...NO_CHANGES, drop: new Set([a.filename]) };
    const tmp = join(sb.channelDir, '.forgegate-tmp');
    await updateIndex(join(sb.channelDir, 'linux-64'), 'linux-64', drop, tmp, DEFAULT_INDEX_OPTIONS, null);
    const b = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
    await sb.stage(b, { feedstock: 'app' });
    expect(await reconcile(sb)).toEqual([
      expect.objectContaining({ filename: b.filename, outcome: 'rejected', reason: 'REPLAYED' }),
    ]);
    const db = new Database(sb.ledgerPath, { readonly: true });
    expect(db.prepare('SELECT filename FROM publications_v1').all()).toEqual([{ filename: a.filename }]);
    db.close();
  });

  for (const same of [true, false]) {
    it(`both formats staged in one run: the .conda first, then the .tar.bz2 is compared (${same ? 'same' : 'other'} content)`, async () => {
      const sb = await sandbox(`same-run-${same}`);
      const spec = { name: 'app', version: '3.0', build: 'h0_0', subdir: 'noarch' } as const;
      const conda = await sb.build(spec);
      const bz2 = await sb.build({ ...spec, format: 'tar.bz2', ...(same ? {} : { files: { x: 'other' } }) });
      await sb.stage(conda, { feedstock: 'app' });
      await sb.stage(bz2, { feedstock: 'app' });
      const items = await reconcile(sb);
      expect(items.find((i) => i.filename === conda.filename)).toMatchObject({ outcome: 'published' });
      expect(items.find((i) => i.filename === bz2.filename)).toMatchObject({
        outcome: 'waiting',
        detail: `its twin ${conda.filename} is published first by this run; the next run compares this one with it`,
      });
      expect(channelState(sb.channelDir).records).toEqual([`noarch/${conda.filename}`]);
      const next = await reconcile(sb);
      expect(next).toEqual([
        expect.objectContaining(
          same
            ? { filename: bz2.filename, outcome: 'published' }
            : { filename: bz2.filename, outcome: 'rejected', reason: 'TARGET_CONFLICT' },
        ),
      ]);
      expect(channelState(sb.channelDir).records.length).toBe(same ? 2 : 1);
    });
  }
});
