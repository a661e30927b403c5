// A run reads a git registry at its last commit, so an edit not yet committed is invisible to it. The edit commands
// say so (with the git line to paste), and a plan that rejects for want of that edit says "commit it" instead of
// asking the admin to run the command they just ran.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-uncommitted-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Plan {
  items: { filename: string; decision: string; reason: string | null; detail: string | null }[];
}
const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'admin',
  GIT_AUTHOR_EMAIL: 'admin@example.org',
  GIT_COMMITTER_NAME: 'admin',
  GIT_COMMITTER_EMAIL: 'admin@example.org',
};

async function sandbox(name: string, git: boolean): Promise<Sandbox> {
  // A space in the path: the printed git line must work when pasted.
  const sb = await Sandbox.create(join(work, name), { git });
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'newpkg', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
    feedstock: 'app',
  });
  return sb;
}

const plan = async (sb: Sandbox): Promise<Plan['items'][number]> =>
  (JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'])).stdout) as Plan).items[0]!;

describe('a registry edit on a git checkout', () => {
  it('add-output says it needs a commit and prints the git line; the plan names the uncommitted file', async () => {
    const sb = await sandbox('git registry', true);
    const before = await plan(sb);
    expect(before).toMatchObject({ decision: 'reject', reason: 'OUTPUT_NOT_REGISTERED' });
    expect(before.detail).toContain('an admin runs `forgegate registry add-output REGISTRY --output newpkg');

    const add = await runCli(['registry', 'add-output', sb.registryDir, '--output', 'newpkg', '--feedstock', 'app']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('not committed yet: forgegate reads this registry at its last commit (HEAD)');
    const line = /\n {2}(git -C .*)\n/.exec(add.stdout)?.[1];
    expect(line).toBe(
      `git -C '${sb.registryDir}' add -- outputs/n/e/w/newpkg.json && git -C '${sb.registryDir}' commit ` +
        "-m 'Add output newpkg for feedstock app' -- outputs/n/e/w/newpkg.json",
    );

    // Not committed: the plan does not tell the admin to run add-output again, it says what to commit.
    const pending = await plan(sb);
    expect(pending).toMatchObject({ decision: 'reject', reason: 'OUTPUT_NOT_REGISTERED' });
    expect(pending.detail).toContain(
      'the registry has uncommitted changes to outputs/n/e/w/newpkg.json: commit them (runs read the last commit)',
    );
    expect(pending.detail).not.toContain('an admin runs');

    // The printed line, pasted: the next plan publishes.
    const pasted = spawnSync('/bin/sh', ['-c', line!], { env: { ...process.env, ...GIT_IDENTITY }, encoding: 'utf8' });
    expect(pasted.status, pasted.stderr).toBe(0);
    expect(await plan(sb)).toMatchObject({ decision: 'publish' });
  });

  it('--json says the same: needsCommit and the command', async () => {
    const sb = await sandbox('git-json', true);
    const r = await runCli([
      'registry',
      'add-output',
      sb.registryDir,
      '--output',
      'newpkg',
      '--feedstock',
      'app',
      '--json',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      formatVersion: 1,
      path: 'outputs/n/e/w/newpkg.json',
      changed: true,
      needsCommit: true,
      commitCommand: expect.stringMatching(/^git -C .* commit -m 'Add output newpkg for feedstock app'/) as unknown,
    });
  });

  it('add-key on a git checkout says the same', async () => {
    const sb = await sandbox('git-key', true);
    const keys = join(work, 'keys');
    expect((await runCli(['keygen', '--feedstock', 'other', '--dir', keys])).code).toBe(0);
    const r = await runCli([
      'registry',
      'add-key',
      sb.registryDir,
      '--feedstock',
      'other',
      '--public-key-file',
      join(keys, 'other.public.json'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not committed yet[\s\S]*\n {2}git -C .* add -- keys\/o\/t\/h\/other\.json && /);
  });
});

describe('a registry edit on a plain folder', () => {
  it('counts at once, and add-output says so', async () => {
    const sb = await sandbox('folder', false);
    const add = await runCli(['registry', 'add-output', sb.registryDir, '--output', 'newpkg', '--feedstock', 'app']);
    expect(add.stdout).toContain('a plain folder, read as it is by the next run');
    expect(add.stdout).not.toContain('git -C');
    expect(await plan(sb)).toMatchObject({ decision: 'publish' });
  });
});
