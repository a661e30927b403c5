// The quarantine holds verified bytes between staging and the channel: if anyone else can change it, the run stops;
// its crash sweep removes only what forgegate put there. Real packages, real folders, the real CLI process.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { stagedFiles } from '../helpers/staging-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-quarantine-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function sandbox(name: string, quarantine: string): Promise<Sandbox> {
  const sb = await Sandbox.create(join(work, name), {
    configOverrides: { quarantine: { store: { type: 'directory', path: quarantine } } },
  });
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
    feedstock: 'app',
  });
  return sb;
}

/** The run stops (exit 10) with the fix, before anything is copied, published or deleted. */
async function expectRefused(sb: Sandbox, problem: string, fix: string): Promise<void> {
  const staged = stagedFiles(sb.stagingDir);
  const r = await runCli(['reconcile', '--config', sb.configPath]);
  expect(r.code).toBe(10);
  expect(r.stderr).toContain(`error[FG_UNSAFE_LAYOUT]: the quarantine `);
  expect(r.stderr).toContain(problem);
  expect(r.stderr).toContain(`fix: ${fix}`);
  expect(stagedFiles(sb.stagingDir)).toEqual(staged);
  expect(channelState(sb.channelDir).records).toEqual([]);
}

describe('a quarantine someone else could change', () => {
  it('pre-created as a symlink to a world-writable folder: refused, never followed or chmodded', async () => {
    const shared = join(work, 'world-writable');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const path = join(work, 'link-q');
    symlinkSync(shared, path);
    const sb = await sandbox('symlink', path);
    await expectRefused(sb, 'is a symlink', `rm '${path}' and let forgegate create it`);
    expect(statSync(shared).mode & 0o777).toBe(0o777);
    expect(readdirSync(shared)).toEqual([]);
  });

  it('owned by another user: refused with the chown', async () => {
    // Running as root, a folder is given away; otherwise a system folder already belongs to someone else (not `/`,
    // which holds staging and so fails the config check first).
    let path = ['/usr', '/etc', '/bin'].find((p) => !work.startsWith(`${p}/`) && existsSync(p))!;
    if (process.getuid?.() === 0) {
      path = join(work, 'foreign-q');
      mkdirSync(path, { mode: 0o700 });
      chownSync(path, 65534, 65534);
    }
    const sb = await sandbox('foreign', path);
    await expectRefused(sb, `is owned by uid ${statSync(path).uid}`, 'chown ');
  });

  it('with a mode other than 0700: refused with the chmod, and left as it was', async () => {
    const path = join(work, 'open-q');
    mkdirSync(path, { mode: 0o755 });
    chmodSync(path, 0o755);
    const sb = await sandbox('mode', path);
    await expectRefused(sb, 'has mode 0755', `chmod 700 '${path}'`);
    expect(statSync(path).mode & 0o777).toBe(0o755);
  });
});

describe('the crash sweep', () => {
  it('removes what a crashed run admitted, and nothing forgegate did not create', async () => {
    const path = join(work, 'sweep-q');
    mkdirSync(path, { mode: 0o700 });
    chmodSync(path, 0o700);
    // Looks like a quarantine entry, but carries no marker of forgegate's.
    mkdirSync(join(path, '0123456789abcdef'));
    writeFileSync(join(path, '0123456789abcdef', 'keep.txt'), 'not forgegate’s');
    const sb = await sandbox('sweep', path);
    const crashed = await runCli(['reconcile', '--config', sb.configPath], { env: { FORGEGATE_FAULT: 'admitted' } });
    expect(crashed.signal).toBe('SIGKILL');
    expect(readdirSync(path)).toHaveLength(2); // the crashed run's entry is left behind
    const rerun = await runCli(['reconcile', '--config', sb.configPath]);
    expect(rerun.code).toBe(0);
    expect(readdirSync(path)).toEqual(['0123456789abcdef']);
    expect(readFileSync(join(path, '0123456789abcdef', 'keep.txt'), 'utf8')).toBe('not forgegate’s');
    expect(channelState(sb.channelDir).records).toEqual(['noarch/app-1.0-h0_0.conda']);
    expect(existsSync(join(path, '0123456789abcdef'))).toBe(true);
  });
});
