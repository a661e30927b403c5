// A client reading the channel folder never sees a temporary file, even when a run dies mid-write; the next run
// sweeps what was left, under the lock. Real packages, real folders, the real CLI process.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-channel-tmp-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file in the folders a conda client reads: <root>/<subdir>/ and <root>/label/<L>/<subdir>/. */
function clientVisible(root: string): string[] {
  const files = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).filter((n) => !n.startsWith('.forgegate-tmp') && statSync(join(dir, n)).isFile())
      : [];
  const subdirs = (base: string): string[] =>
    existsSync(base)
      ? readdirSync(base).filter((n) => n !== 'label' && !n.startsWith('.') && statSync(join(base, n)).isDirectory())
      : [];
  const labels = existsSync(join(root, 'label'))
    ? readdirSync(join(root, 'label')).map((l) => join(root, 'label', l))
    : [];
  return [root, ...labels]
    .flatMap((base) => subdirs(base).flatMap((s) => files(join(base, s)).map((f) => relative(root, join(base, s, f)))))
    .sort();
}

describe('a run killed while a channel file is being written', () => {
  // For one noarch artifact: the channel copy is the 2nd temp file (after the quarantine copy); then the forms of
  // noarch's index (repodata.json.zst, current_repodata.json, repodata_shards.msgpack.zst, repodata.json) are
  // written as temps with a journal, and renamed in place; the shard itself is placed (linked) before the journal.
  const cases: [string, string, number][] = [
    ['temp-written:2', 'while its copy is written', 1],
    ['forms-written', 'after the index forms are written, before any is renamed', 5],
    ['form-renamed:1', 'between renaming repodata.json.zst and the other forms', 4],
  ];
  const FORM = /\/(repodata\.json|repodata\.json\.zst|current_repodata\.json|repodata_shards\.msgpack\.zst)$/;
  const SHARD = /\/[0-9a-f]{64}\.msgpack\.zst$/;
  for (const [fault, when, temps] of cases) {
    it(`(${when}) leaves only artifacts and index forms where clients read; the rerun finishes and sweeps`, async () => {
      const sb = await Sandbox.create(join(work, `kill-${fault.replace(':', '-')}`));
      await sb.addFeedstock('app', ['app']);
      await sb.commitRegistry();
      const built = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
      await sb.stage(built, { feedstock: 'app' });
      const crashed = await runCli(['reconcile', '--config', sb.configPath], { env: { FORGEGATE_FAULT: fault } });
      expect(crashed.signal).toBe('SIGKILL');
      for (const f of clientVisible(sb.channelDir)) {
        if (!SHARD.test(f))
          expect(f).toMatch(
            /\/(repodata\.json|repodata\.json\.zst|current_repodata\.json|repodata_shards\.msgpack\.zst|[^/]+\.(conda|tar\.bz2))$/,
          );
      }
      // The half-finished writes are in forgegate's own temp folder, which is not a subdir.
      expect(readdirSync(join(sb.channelDir, '.forgegate-tmp'))).toHaveLength(temps);
      const rerun = await runCli(['reconcile', '--config', sb.configPath]);
      expect(rerun.code).toBe(0);
      expect(channelState(sb.channelDir).records).toEqual([`noarch/${built.filename}`]);
      // The rerun swept the temp folder before listing; it exists again (0700) only if the rerun wrote a file.
      const tmp = join(sb.channelDir, '.forgegate-tmp');
      expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
      if (existsSync(tmp)) expect(statSync(tmp).mode & 0o777).toBe(0o700);
      const visible = clientVisible(sb.channelDir);
      expect(visible.filter((f) => FORM.test(f))).toEqual(
        [
          'noarch/current_repodata.json',
          'noarch/repodata.json',
          'noarch/repodata.json.zst',
          'noarch/repodata_shards.msgpack.zst',
        ].sort(),
      );
      expect(visible.filter((f) => !FORM.test(f) && !SHARD.test(f))).toEqual([`noarch/${built.filename}`]);
      // Every shard the index names is there (an older one, from before the crash, may stay for its retention).
      expect(visible.filter((f) => SHARD.test(f)).length).toBeGreaterThanOrEqual(1);
    });
  }
});
