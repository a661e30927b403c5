// What an admin and a maintainer read: check's answers, report texts a maintainer can act on, the step summary,
// progress on a terminal, and registry folders that are what they claim.
import {
  copyFileSync,
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
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { generateKeyPair } from '../../src/statement/keys.js';
import { runCli } from '../helpers/cli.js';
import { CLI } from '../helpers/paths.js';
import { ExitCode } from '../../src/errors.js';
import { shellCommand } from '../helpers/shell.js';

const work = mkdtempSync(join(tmpdir(), 'fg-opreports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function sandbox(name: string): Promise<Sandbox> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  return sb;
}

describe('check', () => {
  it('takes the subdir from info/index.json when the folder is not named after one', async () => {
    const sb = await sandbox('check-subdir');
    const built = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'osx-arm64' });
    mkdirSync(join(work, 'built'), { recursive: true });
    const path = join(work, 'built', built.filename);
    copyFileSync(built.path, path);
    const r = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', path, '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ artifacts: [{ artifact: 'osx-arm64/app-1.0-h0_0.conda', ok: true }] });
  });

  it('predicts TARGET_CONFLICT for a rebuilt file the channel already holds', async () => {
    const sb = await sandbox('check-conflict');
    const first = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
    await sb.stage(first, { feedstock: 'app' });
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
    const again = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', first.path]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the channel already holds these exact bytes (label main)');
    // Same name, other bytes (a rebuild without a build-number bump).
    const rebuilt = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch', timestamp: 1 });
    const r = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', rebuilt.path, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      targetChecked: true,
      artifacts: [{ ok: false, reason: 'TARGET_CONFLICT', fix: expect.stringContaining('Bump the build number') }],
    });
  });
});

describe('reports a maintainer can act on', () => {
  it('SIGNATURE_INVALID names the key that signed and those registered; OUTPUT_NOT_REGISTERED the admin command', async () => {
    const sb = await sandbox('texts');
    const stranger = generateKeyPair();
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
      keys: [stranger],
    });
    await sb.stage(await sb.build({ name: 'newname', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    const items = (JSON.parse(r.stdout) as { items: { filename: string; reason: string; detail: string }[] }).items;
    const invalid = items.find((i) => i.reason === 'SIGNATURE_INVALID')!;
    expect(invalid.detail).toContain(`signed with key id ${stranger.keyid}`);
    expect(invalid.detail).toContain(`registered: ${sb.keys.get('app')![0]!.keyid}`);
    const unregistered = items.find((i) => i.reason === 'OUTPUT_NOT_REGISTERED')!;
    expect(unregistered.detail).toContain(
      'an admin runs `forgegate registry add-output REGISTRY --output newname --feedstock app`',
    );
    expect(unregistered.detail).toContain('; ask in ');
    // The unverified statement cannot choose its commit: the report says why it is filed under `unknown`.
    const unknown = readFileSync(join(sb.reportsDir, 'app', 'unknown.md'), 'utf8');
    expect(unknown).toContain('Filed under `unknown`');
    expect(unknown).toContain('the statement did not verify, so its source commit is not trusted');
  });
});

describe('step summary and progress', () => {
  it('has label and fix columns, and folds more than 50 rows into <details>; --plan writes it only when asked', async () => {
    const sb = await sandbox('summary');
    for (let i = 0; i < 51; i++)
      await sb.stage(await sb.build({ name: 'app', version: `1.${i}`, build: 'h0_0', subdir: 'noarch' }), {
        feedstock: 'app',
        label: 'nope',
      });
    const file = join(work, 'summary.md');
    writeFileSync(file, '');
    const env = { GITHUB_STEP_SUMMARY: file };
    expect((await runCli(['reconcile', '--config', sb.configPath, '--plan'], { env })).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('');
    expect((await runCli(['reconcile', '--config', sb.configPath, '--plan', '--step-summary'], { env })).code).toBe(0);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('<details><summary>51 artifacts</summary>');
    expect(md).toContain('| decision | artifact | feedstock | label | reason | fix | detail |');
    expect(md).toContain('| `nope` | TARGET_MISMATCH | The statement names another channel');
  });

  it('shows progress on a terminal while observing, inspecting and applying', async () => {
    const sb = await sandbox('tty');
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    // `script` gives the CLI a real terminal.
    const tty = (args: string[]): string =>
      execFileSync('script', ['-qec', shellCommand([process.execPath, CLI, ...args]), '/dev/null'], {
        encoding: 'utf8',
      });
    // Each line names what it counts, and is erased once its count is complete.
    const plan = tty(['reconcile', '--plan', '--config', sb.configPath]);
    expect(plan).toContain('listing staging, target and registry 2/3');
    expect(plan).toContain('reading staged artifacts 0/1');
    expect(plan).not.toContain('3/3');
    const run = tty(['reconcile', '--config', sb.configPath]);
    expect(run).toContain('listing staging, target and registry 0/3');
    expect(run).toContain('applying decisions 0/1');
    expect(run).not.toContain('1/1');
  });
});

describe('registry folders', () => {
  it('init creates the layout with config.json; lint and add-output refuse a folder without it', async () => {
    const typo = join(work, 'registyr');
    const add = await runCli(['registry', 'add-output', typo, '--output', 'x', '--feedstock', 'x']);
    expect(add.code).toBe(ExitCode.USAGE);
    expect(add.stderr).toContain(`error[FG_INPUT_INVALID]: ${typo} is not a folder`);
    expect(existsSync(typo)).toBe(false);
    mkdirSync(join(work, 'plain'));
    const lint = await runCli(['registry', 'lint', join(work, 'plain')]);
    expect(lint.code).toBe(ExitCode.USAGE);
    expect(lint.stderr).toMatch(/is not a registry: it has no config\.json, outputs\/ or keys\/[\s\S]*registry init/);
    const dir = join(work, 'new-registry');
    const init = await runCli(['registry', 'init', dir]);
    expect(init.code, init.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'keys', 'outputs']);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ outputs_path: 'outputs' });
    expect((await runCli(['registry', 'lint', dir])).code).toBe(0);
    expect((await runCli(['registry', 'add-output', dir, '--output', 'x', '--feedstock', 'x'])).code).toBe(0);
    expect((await runCli(['registry', 'init', dir])).code).toBe(ExitCode.USAGE);
  });
});
