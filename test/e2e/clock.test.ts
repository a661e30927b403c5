// The clock decides expiry and retention: a fake one may only ever preview, never apply, and a machine clock that
// moved against the last run stops the run before anything is deleted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { CLI } from '../helpers/paths.js';
import { channelState } from '../helpers/channel-state.js';
import { backdateSightings, setLastRunStart } from '../helpers/ledger-time.js';
import { stagedFiles } from '../helpers/staging-state.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { runs as runsView } from '../../src/ledger/views.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-clock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' }), {
    feedstock: 'app',
  });
}, 60_000);

describe('--now', () => {
  it('refuses to apply with a fake clock (a usage error) and changes nothing', async () => {
    const before = stagedFiles(sb.stagingDir);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--now', '2100-01-01T00:00:00Z']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error[FG_USAGE]: --at only previews: it needs --plan');
    expect(stagedFiles(sb.stagingDir)).toEqual(before);
    expect(channelState(sb.channelDir).records).toEqual([]);
  });

  it('previews with --plan: the fresh upload would have expired by then, and nothing is touched', async () => {
    const before = stagedFiles(sb.stagingDir);
    const r = await runCli([
      'reconcile',
      '--config',
      sb.configPath,
      '--plan',
      '--now',
      '2100-01-01T00:00:00Z',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      mode: 'plan',
      now: '2100-01-01T00:00:00Z',
      items: [{ filename: 'app-1.0-h0_0.conda', reason: 'SIGNATURE_EXPIRED', outcome: null }],
    });
    expect(stagedFiles(sb.stagingDir)).toEqual(before);
  });

  it('applies with the machine clock: the same upload is published', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    expect(channelState(sb.channelDir).records).toEqual(['linux-64/app-1.0-h0_0.conda']);
    expect(stagedFiles(sb.stagingDir)).toEqual([]);
  });
});

describe('a machine clock that moved since the last run', () => {
  let moved: Sandbox;
  let junk: string;
  const runs = (): number => {
    const ledger = new Ledger(moved.ledgerPath);
    try {
      return runsView(ledger, { limit: 1000 }).rows.length;
    } finally {
      ledger.close();
    }
  };
  beforeAll(async () => {
    // A space in the path: the fix line must still work when pasted.
    moved = await Sandbox.create(join(work, 'moved clock'));
    await moved.addFeedstock('app', ['app']);
    await moved.commitRegistry();
    const built = await moved.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'noarch' });
    junk = `noarch/${built.filename}`;
    await moved.stage(built, { feedstock: 'app', unsigned: true });
    expect((await runCli(['reconcile', '--config', moved.configPath])).code).toBe(0);
    // Known for eight days: the next trusted run deletes it (no signature, past rejectRetention).
    backdateSightings(moved.ledgerPath, 8 * 86_400_000);
  }, 60_000);

  it('backwards: exit 9 with the fix, nothing deleted and the run not recorded, for a plan too', async () => {
    setLastRunStart(moved.ledgerPath, Date.now() + 2 * 86_400_000);
    const before = runs();
    for (const args of [[], ['--plan']]) {
      const r = await runCli(['reconcile', '--config', moved.configPath, ...args]);
      expect(r.code).toBe(9);
      expect(r.stderr).toMatch(/error\[FG_CLOCK\]: the system clock moved backwards by (1d 23h|2d)/);
      expect(r.stderr).toContain('--accept-clock-jump');
    }
    expect(stagedFiles(moved.stagingDir)).toEqual([junk]);
    expect(runs()).toBe(before);
  });

  let pasted = '';
  it('far forwards: exit 9 with the fix, nothing deleted; the fix names the config in use', async () => {
    setLastRunStart(moved.ledgerPath, Date.now() - 30 * 86_400_000);
    // Run from another folder with a relative --config: the fix must not depend on where it is pasted.
    const r = await runCli(['reconcile', '--config', join('moved clock', 'forgegate.yml')], { cwd: work });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(
      /error\[FG_CLOCK\]: the system clock is (29d 23h|30d)[\dhms ]* past the last run, more than policy\.maxClockJump \(1d\)/,
    );
    pasted = /run once with `([^`]+)`/.exec(r.stderr)?.[1] ?? '';
    expect(pasted).toBe(`forgegate reconcile --config '${moved.configPath}' --accept-clock-jump`);
    expect(stagedFiles(moved.stagingDir)).toEqual([junk]);
  });

  it('the fix line, pasted into a shell, runs once; later runs compare with it', async () => {
    // `forgegate` on the PATH, as an operator has it; the line runs from the home folder, not the config's.
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'forgegate'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
    const r = spawnSync('/bin/sh', ['-c', `${pasted} --json`], {
      cwd: tmpdir(),
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, GITHUB_STEP_SUMMARY: '' },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ items: [{ reason: 'SIGNATURE_MISSING', outcome: 'rejected' }] });
    expect(stagedFiles(moved.stagingDir)).toEqual([]);
    expect((await runCli(['reconcile', '--config', moved.configPath])).code).toBe(0);
  });
});
