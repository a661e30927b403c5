import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('forgegate CLI', () => {
  it('prints help for the tool and for every command, exit 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['keygen', 'sign', 'check', 'reconcile', 'registry', 'ledger', 'demo']) {
      expect(top.stdout).toContain(cmd);
      const r = await runCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`forgegate ${cmd}`);
    }
  });

  it('names the bad input and the fix on usage errors, exit 64', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown).toMatchObject({
      code: ExitCode.USAGE,
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
    const flag = await runCli(['reconcile', '--config', 'x.yml', '--bogus']);
    expect(flag.code).toBe(ExitCode.USAGE);
    expect(flag.stderr).toMatch(/error\[FG_USAGE\].*--bogus/);
    const missing = await runCli(['reconcile', '--config', join(work, 'absent.yml')]);
    expect(missing.code).toBe(ExitCode.USAGE);
    expect(missing.stderr).toMatch(/error\[FG_CONFIG_INVALID\]: cannot read config .*absent\.yml[\s\S]*fix:/);
    const now = await runCli(['reconcile', '--config', 'x.yml', '--plan', '--now', 'yesterday']);
    expect(now.stderr).toContain('--at "yesterday" is not an RFC 3339 UTC time');
  });

  it('runs the demo: every artifact gets the decision it should, and a rerun of the demo folder rebuilds it', async () => {
    const dir = join(work, 'demo');
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['demo', '--dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Every artifact got the decision it should.');
      expect(r.stdout).toContain('The run below did exactly what the plan said.');
      // The keyless feedstock is part of it (a clone has the test Sigstore's @sigstore/mock), not a skipped note.
      expect(r.stdout).toMatch(/published +linux-64\/keyless-demo-1\.0-h0_0\.conda .*publisher gha-main/);
      expect(r.stdout).not.toContain('Note: No keyless feedstock');
    }
    mkdirSync(join(work, 'not-a-demo'));
    expect((await runCli(['demo', '--dir', join(work, 'not-a-demo')])).code).toBe(ExitCode.USAGE);
  });

  describe('keygen → registry add-key → sign → check → reconcile', () => {
    let sb: Sandbox;
    let seed: string;
    let artifact: string;
    beforeAll(async () => {
      sb = await Sandbox.create(join(work, 'flow'));
      await sb.setOutput('tool', ['tool']);
      await sb.commitRegistry();
      const built = await sb.build({ name: 'tool', version: '3.0', build: 'h0_0', subdir: 'linux-64' });
      mkdirSync(join(work, 'out', 'linux-64'), { recursive: true });
      artifact = join(work, 'out', 'linux-64', built.filename);
      copyFileSync(built.path, artifact);
    }, 30_000);

    it('keygen writes a 0600 seed, never overwrites it, and prints the registry entry', async () => {
      const r = await runCli(['keygen', '--feedstock', 'tool', '--out', join(work, 'keys'), '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        seedFile: string;
        registryPath: string;
        key: { keyid: string; publicKey: string };
      };
      expect(out.registryPath).toBe('keys/t/o/o/tool.json');
      expect(statSync(out.seedFile).mode & 0o777).toBe(0o600);
      seed = out.seedFile;
      const again = await runCli(['keygen', '--feedstock', 'tool', '--out', join(work, 'keys')]);
      expect(again.code).toBe(ExitCode.USAGE);
      expect(again.stderr).toContain('refusing to overwrite');
      const add = await runCli([
        'registry',
        'add-key',
        sb.registryDir,
        '--feedstock',
        'tool',
        '--public-key',
        out.key.publicKey,
      ]);
      expect(add.code).toBe(0);
      await sb.commitRegistry('add key');
      expect((await runCli(['registry', 'lint', sb.registryDir])).code).toBe(0);
    });

    it('check says yes for an owned output and no for a foreign one (exit 0 / 1)', async () => {
      const ok = await runCli(['check', '--config', sb.configPath, '--feedstock', 'tool', artifact, '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({
        ok: true,
        feedstockHasKeys: true,
        artifacts: [{ artifact: 'linux-64/tool-3.0-h0_0.conda', ok: true }],
      });
      const no = await runCli(['check', '--config', sb.configPath, '--feedstock', 'someone-else', artifact]);
      expect(no.code).toBe(1);
      expect(no.stdout).toContain('OUTPUT_NOT_ALLOWED');
      // The gate publishes only from known subdirs: anything else would stay in staging as a stray.
      const label = await runCli([
        'check',
        '--config',
        sb.configPath,
        '--feedstock',
        'tool',
        '--subdir',
        'label',
        artifact,
      ]);
      expect(label.code).toBe(1);
      expect(label.stdout).toContain('"label" is not a subdir this gate publishes (staging.subdirs)');
    });

    it('sign writes ARTIFACT.sig that the gate accepts and publishes', async () => {
      const r = await runCli([
        'sign',
        '--feedstock',
        'tool',
        '--key-file',
        seed,
        '--channel',
        sb.channel,
        '--label',
        'main',
        '--source-commit',
        'c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ff',
        artifact,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const env = JSON.parse(readFileSync(`${artifact}.sig`, 'utf8')) as { payload: string };
      expect(JSON.parse(Buffer.from(env.payload, 'base64').toString())).toMatchObject({
        predicate: { feedstock: 'tool', subdir: 'linux-64', label: 'main' },
      });
      mkdirSync(join(sb.stagingDir, 'linux-64'), { recursive: true });
      copyFileSync(artifact, join(sb.stagingDir, 'linux-64', 'tool-3.0-h0_0.conda'));
      copyFileSync(`${artifact}.sig`, join(sb.stagingDir, 'linux-64', 'tool-3.0-h0_0.conda.sig'));
      const run = await runCli(['reconcile', '--config', sb.configPath, '--json']);
      expect(JSON.parse(run.stdout)).toMatchObject({
        items: [{ filename: 'tool-3.0-h0_0.conda', outcome: 'published' }],
      });
    });

    it('previews expiry with --now and writes a GitHub step summary only when asked', async () => {
      const built = await sb.build({ name: 'tool', version: '3.1', build: 'h0_0', subdir: 'linux-64' });
      await sb.stage(built, { feedstock: 'tool', keys: [] });
      writeFileSync(join(work, 'summary.md'), '');
      const later = new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const env = { GITHUB_STEP_SUMMARY: join(work, 'summary.md') };
      const quiet = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--now', later], { env });
      expect(quiet.code).toBe(0);
      expect(quiet.stdout).toMatch(/reject/);
      expect(readFileSync(join(work, 'summary.md'), 'utf8')).toBe('');
      const args = ['reconcile', '--config', sb.configPath, '--plan', '--now', later, '--step-summary'];
      const r = await runCli(args, { env });
      expect(r.code).toBe(0);
      expect(readFileSync(join(work, 'summary.md'), 'utf8')).toContain('### forgegate plan');
    });
  });
});
