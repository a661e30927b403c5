// Errors an operator meets are never "a bug" (exit 70): each has its code, a fix and a documented exit code. An
// admin-side failure never turns into a maintainer-facing reason, and Ctrl-C leaves no run marked `running`.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { handToOperator, operatorSpawn } from '../helpers/operator.js';
import { CLI, cliArgs } from '../helpers/paths.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-operr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function sandbox(name: string, opts: { expiresInMs?: number } = {}): Promise<Sandbox> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
    feedstock: 'app',
    ...(opts.expiresInMs !== undefined ? { expiresAtMs: Date.now() + opts.expiresInMs } : {}),
  });
  return sb;
}

const notABug = (r: CliResult): void => {
  expect(r.code).not.toBe(70);
  expect(r.stderr).not.toContain('internal error');
};

describe('input files', () => {
  it('a glob that matched nothing, and a folder given as a file: exit 64 with the code and a fix', async () => {
    const keys = join(work, 'keys');
    expect((await runCli(['keygen', '--feedstock', 'app', '--dir', keys])).code).toBe(0);
    mkdirSync(join(work, 'empty', 'linux-64'), { recursive: true });
    const sign = ['sign', '--feedstock', 'app', '--key-file', join(keys, 'app.seed')];
    const target = ['--channel', 'https://conda.example.org/forge', '--label', 'main'];
    const glob = await runCli([...sign, ...target, join(work, 'empty', 'linux-64', '*.conda')]);
    notABug(glob);
    expect(glob.code).toBe(ExitCode.USAGE);
    expect(glob.stderr).toMatch(/error\[FG_INPUT_MISSING\]: .*\*\.conda matched no file/);
    expect(glob.stderr).toContain(
      'fix: The shell found no match and passed the pattern on as it was: run `shopt -s nullglob`',
    );
    const dir = await runCli([...sign, ...target, join(work, 'empty', 'linux-64')]);
    notABug(dir);
    expect(dir.code).toBe(ExitCode.USAGE);
    expect(dir.stderr).toMatch(/error\[FG_INPUT_INVALID\]: .*linux-64 is a directory[\s\S]*fix: Pass the artifact/);
    const seedDir = await runCli(['sign', '--feedstock', 'app', '--key-file', keys, ...target, 'x.conda']);
    expect(seedDir.code).toBe(ExitCode.USAGE);
    expect(seedDir.stderr).toMatch(/error\[FG_INPUT_INVALID\]: cannot read key file .* \(EISDIR\)/);
  });

  it('check on a missing artifact is an input error too', async () => {
    const sb = await sandbox('check-missing');
    const r = await runCli([
      'check',
      '--config',
      sb.configPath,
      '--feedstock',
      'app',
      join(work, 'nope', 'linux-64', 'app-1.0-h0_0.conda'),
    ]);
    notABug(r);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('error[FG_INPUT_MISSING]');
  });
});

describe('permissions', () => {
  it('an unwritable channel: exit 11 (FG_PERMISSION) with the fix; nothing reported to the maintainers', async () => {
    const sb = await sandbox('channel-ro');
    handToOperator(sb.root, [work]);
    chmodSync(sb.channelDir, 0o555);
    const r = await runCli(['reconcile', '--config', sb.configPath], operatorSpawn());
    notABug(r);
    expect(r.code).toBe(11);
    expect(r.stdout).toMatch(/failed +noarch\/app-1\.0-h0_0\.conda .*FG_PERMISSION .*permission denied \(EACCES\)/);
    expect(r.stdout).toContain('FG_PERMISSION: Let the user forgegate runs as write to the folder named');
    expect(channelState(sb.channelDir).records).toEqual([]);
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toContain('app-1.0-h0_0.conda');
    expect(existsSync(join(sb.reportsDir, 'app'))).toBe(false);
  });

  it('an unwritable quarantine: exit 11 with the folder and the fix', async () => {
    const sb = await sandbox('quarantine-ro');
    writeFileSync(
      sb.configPath,
      `${readFileSync(sb.configPath, 'utf8')}quarantine: { store: { type: directory, path: ./q } }\n`,
    );
    mkdirSync(join(sb.root, 'state'));
    handToOperator(sb.root, [work]);
    chmodSync(sb.root, 0o555);
    const r = await runCli(['reconcile', '--config', sb.configPath], operatorSpawn());
    chmodSync(sb.root, 0o755);
    notABug(r);
    expect(r.code).toBe(11);
    expect(r.stderr).toMatch(/error\[FG_PERMISSION\]: .*\/q: permission denied[\s\S]*fix: Let the user forgegate runs/);
  });

  it('a statement that expired while the channel was unwritable is reported to the admins, not the feedstock', async () => {
    const sb = await sandbox('held', { expiresInMs: 8_000 });
    handToOperator(sb.root, [work]);
    chmodSync(sb.channelDir, 0o555);
    const held = await runCli(['reconcile', '--config', sb.configPath, '--json'], operatorSpawn());
    expect(held.code, held.stderr).toBe(11);
    chmodSync(sb.channelDir, 0o755);
    // Wait for the statement to expire (it was signed to expire 8 s after staging).
    const statement = JSON.parse(readFileSync(join(sb.stagingDir, 'noarch', 'app-1.0-h0_0.conda.sig'), 'utf8')) as {
      payload: string;
    };
    const expiresAt = Date.parse(
      (JSON.parse(Buffer.from(statement.payload, 'base64').toString()) as { predicate: { expiresAt: string } })
        .predicate.expiresAt,
    );
    while (Date.now() <= expiresAt + 100) await new Promise((r) => setTimeout(r, 200));
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json'], operatorSpawn());
    expect(r.code, r.stderr).toBe(0);
    const item = (JSON.parse(r.stdout) as { items: { reason: string; adminCause: string | null }[] }).items[0]!;
    expect(item.reason).toBe('SIGNATURE_EXPIRED');
    expect(item.adminCause).toMatch(/^FG_PERMISSION since /);
    expect(existsSync(join(sb.reportsDir, 'app'))).toBe(false);
    const admin = readFileSync(join(sb.reportsDir, '_unattributed', 'unknown.md'), 'utf8');
    expect(admin).toContain('SIGNATURE_EXPIRED');
    expect(admin).toContain('held back by an admin-side failure');
  }, 60_000);

  it('an unwritable $GITHUB_STEP_SUMMARY is a warning that does not change the exit code', async () => {
    const sb = await sandbox('summary');
    const folder = join(work, 'summary-is-a-folder');
    mkdirSync(folder);
    const r = await runCli(['reconcile', '--config', sb.configPath], { env: { GITHUB_STEP_SUMMARY: folder } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning\[FG_STEP_SUMMARY\]: cannot write the step summary .* \(EISDIR\)[\s\S]*fix:/);
    expect(channelState(sb.channelDir).records).toEqual(['noarch/app-1.0-h0_0.conda']);
  });
});

describe('Ctrl-C', () => {
  it('marks the run interrupted in the ledger and exits 130', async () => {
    const sb = await sandbox('sigint');
    const pause = mkdtempSync(join(tmpdir(), 'fg-sigint-'));
    const env = { ...process.env, FORGEGATE_PAUSE: 'planned', FORGEGATE_PAUSE_DIR: pause, GITHUB_STEP_SUMMARY: '' };
    const child = spawn(process.execPath, [...cliArgs(CLI, env), 'reconcile', '--config', sb.configPath], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    while (!existsSync(join(pause, 'planned.paused'))) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    writeFileSync(join(pause, 'planned.resume'), '');
    expect(await exited).toBe(130);
    rmSync(pause, { recursive: true, force: true });
    const runs = await runCli(['ledger', 'runs', '--config', sb.configPath, '--json']);
    const rows = (JSON.parse(runs.stdout) as { rows: { status: string; finishedAt: string | null }[] }).rows;
    expect(rows[0]).toMatchObject({ status: 'interrupted (SIGINT)', finishedAt: expect.any(String) });
    // The lock was released: the next run goes ahead.
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
  });
});
