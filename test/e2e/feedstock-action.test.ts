// The feedstock's GitHub Action (action.yml) run locally, step by step as the runner runs a composite action, against
// the folder backends: forgegate installed from this checkout's npm tarball (offline, runtime dependencies copied in
// first, as in package-install.test.ts), a registry folder, a staging folder; then the gate reconciles and publishes.
// The anaconda.org path runs the same loop against a stand-in `anaconda` command that records each call: what is
// checked there is the loop this repository owns (every artifact and .sig, the label, --force, the token passed in
// the environment), not anaconda.org.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { encodeKey, generateKeyPair, type KeyPair } from '../../src/statement/keys.js';
import { readAction, runAction, type StepResult } from '../helpers/action.js';
import { runCli } from '../helpers/cli.js';
import { copyRuntimeModules, npmEnv, packCheckout } from '../helpers/install.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { readDoc } from '../helpers/docs.js';

const work = mkdtempSync(join(tmpdir(), 'fg-action-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cache = join(work, 'empty-cache');
const action = readAction(join(REPO_ROOT, 'action.yml'));

let sb: Sandbox;
let key: KeyPair;
let tarball: string;
const artifacts = join(work, 'feedstock', 'build_artifacts');

beforeAll(async () => {
  ({ tarball } = packCheckout(work, cache));
  sb = await Sandbox.create(join(work, 'gate'));
  [key] = (await sb.addFeedstock('app', ['app'])) as [KeyPair];
  await sb.addFeedstock('newcomer', ['newcomer'], 0);
  await sb.commitRegistry();
  // The operator made the staging subdirs; uploaders only add files to them.
  for (const s of ['noarch', 'linux-64']) mkdirSync(join(sb.stagingDir, s));
  for (const [spec, format] of [
    [{ name: 'app', version: '1.0', build: 'pyh0_0', subdir: 'noarch' }, 'conda'],
    [{ name: 'app', version: '1.0', build: 'h1_0', subdir: 'linux-64' }, 'tar.bz2'],
  ] as const) {
    const built = await sb.build({ ...spec, format });
    mkdirSync(join(artifacts, spec.subdir), { recursive: true });
    copyFileSync(built.path, join(artifacts, spec.subdir, built.filename));
  }
  // conda-build also leaves source archives in build_artifacts/src_cache/: never signed nor uploaded.
  mkdirSync(join(artifacts, 'src_cache'));
  writeFileSync(join(artifacts, 'src_cache', 'app-1.0.tar.bz2'), 'source, not a conda package');
}, 120_000);

let runs = 0;
/** Run the action as a workflow step would: `with:` inputs, and the step's env with the secrets it maps. */
function runFeedstockAction(inputs: Record<string, string>, env: Record<string, string> = {}): StepResult[] {
  const runnerTemp = join(work, `runner-temp-${++runs}`);
  // What `npm install` would fetch from the registry in CI, put where it installs (the test stays offline).
  mkdirSync(join(runnerTemp, 'forgegate'), { recursive: true });
  writeFileSync(join(runnerTemp, 'forgegate', 'package.json'), '{"private": true}');
  copyRuntimeModules(join(runnerTemp, 'forgegate'));
  return runAction(action, {
    actionPath: REPO_ROOT,
    runnerTemp,
    githubToken: 'ghs_job_token',
    with: {
      feedstock: 'app',
      channel: sb.channel,
      artifacts,
      staging: sb.stagingDir,
      registry: sb.registryDir,
      package: tarball,
      ...inputs,
    },
    env: {
      ...npmEnv(cache),
      GITHUB_REPOSITORY: 'conda-forge/app-feedstock',
      GITHUB_SHA: 'c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ff',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '42',
      FORGEGATE_SEED: encodeKey(key.seed),
      ...env,
    },
  });
}

const names = (dir: string): string[] => readdirSync(dir).sort();
const ok = (steps: StepResult[]): void => {
  for (const s of steps) expect(s.status, `${s.name}\n${s.stdout}\n${s.stderr}`).toBe(0);
};

describe('action.yml with folder staging', () => {
  it('signs every artifact, checks them, uploads them with their .sig; the gate publishes them', async () => {
    const steps = runFeedstockAction({});
    ok(steps);
    expect(steps.map((s) => s.name)).toEqual([
      'Install forgegate',
      'Sign every artifact',
      'Check them as the gate will',
      'Upload each artifact and its signature to staging',
    ]);
    expect(steps[0]!.stdout).toContain('forgegate 0.1.0');
    expect(steps[2]!.stdout).toMatch(/app-1\.0-pyh0_0\.conda\.sig verifies \(key id/);
    expect(names(join(sb.stagingDir, 'noarch'))).toEqual(['app-1.0-pyh0_0.conda', 'app-1.0-pyh0_0.conda.sig']);
    expect(names(join(sb.stagingDir, 'linux-64'))).toEqual(['app-1.0-h1_0.tar.bz2', 'app-1.0-h1_0.tar.bz2.sig']);
    expect(names(join(artifacts, 'src_cache'))).toEqual(['app-1.0.tar.bz2']);
    const statement = JSON.parse(
      Buffer.from(
        (
          JSON.parse(readFileSync(join(sb.stagingDir, 'noarch', 'app-1.0-pyh0_0.conda.sig'), 'utf8')) as {
            payload: string;
          }
        ).payload,
        'base64',
      ).toString(),
    ) as { predicate: { source: { commit: string; runUrl: string } } };
    expect(statement.predicate.source).toMatchObject({
      commit: 'c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ff',
      runUrl: 'https://github.com/conda-forge/app-feedstock/actions/runs/42',
    });

    // A re-run (the job retried) signs again and replaces both uploads in place.
    const again = runFeedstockAction({ 'expires-in': '6h' });
    ok(again);
    const staged = readFileSync(join(sb.stagingDir, 'noarch', 'app-1.0-pyh0_0.conda.sig'));
    expect(staged.equals(readFileSync(join(artifacts, 'noarch', 'app-1.0-pyh0_0.conda.sig')))).toBe(true);
    expect(names(join(sb.stagingDir, 'noarch'))).toEqual(['app-1.0-pyh0_0.conda', 'app-1.0-pyh0_0.conda.sig']);

    const run = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const items = (JSON.parse(run.stdout) as { items: { filename: string; outcome: string }[] }).items;
    expect(items.map((i) => [i.filename, i.outcome]).sort()).toEqual([
      ['app-1.0-h1_0.tar.bz2', 'published'],
      ['app-1.0-pyh0_0.conda', 'published'],
    ]);
    expect(names(join(sb.channelDir, 'noarch'))).toContain('app-1.0-pyh0_0.conda');
    expect(names(join(sb.stagingDir, 'noarch'))).toEqual([]);
  }, 180_000);

  it('a feedstock the registry holds no key for: the check fails with the fix, and nothing is uploaded', async () => {
    const mine = join(work, 'newcomer', 'build_artifacts');
    const built = await sb.build({ name: 'newcomer', version: '1.0', build: 'pyh0_0', subdir: 'noarch' });
    mkdirSync(join(mine, 'noarch'), { recursive: true });
    copyFileSync(built.path, join(mine, 'noarch', built.filename));
    const steps = runFeedstockAction(
      { feedstock: 'newcomer', artifacts: mine },
      { FORGEGATE_SEED: encodeKey(generateKeyPair().seed) },
    );
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['Install forgegate', 0],
      ['Sign every artifact', 0],
      ['Check them as the gate will', 1],
    ]);
    expect(steps[2]!.stdout).toContain('KEY_UNKNOWN');
    expect(steps[2]!.stdout).toContain('has no signing keys in the registry yet');
    expect(names(join(sb.stagingDir, 'noarch'))).toEqual([]);
  }, 120_000);

  it('no artifact to sign, or no seed in the secret, stops the action with an error that says so', () => {
    const empty = join(work, 'empty', 'build_artifacts');
    mkdirSync(join(empty, 'noarch'), { recursive: true });
    const none = runFeedstockAction({ artifacts: empty });
    expect(none.map((s) => s.status)).toEqual([0, 1]);
    expect(none[1]!.stdout).toContain('::error::no .conda or .tar.bz2 file in');
    const noSeed = runFeedstockAction({}, { FORGEGATE_SEED: '' });
    expect(noSeed).toHaveLength(2);
    expect(noSeed[1]!.status).not.toBe(0);
    expect(noSeed[1]!.stderr).toContain('environment variable FORGEGATE_SEED is not set or is empty');
  }, 120_000);
});

describe('action.yml with anaconda.org staging', () => {
  it('uploads every artifact, then its .sig as a file package, each with --force and the token in the environment', () => {
    const bin = join(work, 'fake-bin');
    mkdirSync(bin);
    const log = join(work, 'anaconda-calls.log');
    writeFileSync(
      join(bin, 'anaconda'),
      `#!/usr/bin/env bash\nprintf 'token=%s args=%s\\n' "\${ANACONDA_API_TOKEN:+set}" "$*" >> ${JSON.stringify(log)}\n`,
    );
    chmodSync(join(bin, 'anaconda'), 0o755);
    const steps = runFeedstockAction(
      { staging: 'anaconda:cf-staging' },
      { STAGING_BINSTAR_TOKEN: 'secret-staging-token', PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` },
    );
    ok(steps);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    const conda = join(artifacts, 'noarch', 'app-1.0-pyh0_0.conda');
    const bz2 = join(artifacts, 'linux-64', 'app-1.0-h1_0.tar.bz2');
    const fileArgs =
      '--package-type file --package app-signatures --version 1.0 --summary forgegate upload statements for app';
    expect(calls).toEqual([
      `token=set args=upload --user cf-staging --label main --force ${bz2}`,
      `token=set args=upload --user cf-staging --label main --force ${fileArgs} ${bz2}.sig`,
      `token=set args=upload --user cf-staging --label main --force ${conda}`,
      `token=set args=upload --user cf-staging --label main --force ${fileArgs} ${conda}.sig`,
    ]);
    expect(readFileSync(log, 'utf8')).not.toContain('secret-staging-token');
    // Without the token the loop does not start.
    const noToken = runFeedstockAction({ staging: 'anaconda:cf-staging' }, { STAGING_BINSTAR_TOKEN: '' });
    expect(noToken.map((s) => s.status)).toEqual([0, 0, 0, 1]);
    expect(noToken[3]!.stdout).toContain('::error::environment variable STAGING_BINSTAR_TOKEN');
  }, 180_000);
});

describe("docs/feedstock.md's workflow", () => {
  const readme = readDoc('docs/feedstock.md');
  const block = /<!-- feedstock-workflow -->\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];

  it('uses this action with inputs it declares, every required one given, the secrets in the variables it reads', () => {
    expect(block).toBeDefined();
    const workflow = YAML.parse(block!) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string>; env?: Record<string, string> }[] }>;
    };
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const step = steps.find((s) => s.uses?.includes('/forgegate@'))!;
    expect(step).toBeDefined();
    const given = Object.keys(step.with ?? {});
    expect(given.filter((k) => action.inputs[k] === undefined)).toEqual([]);
    const required = Object.entries(action.inputs)
      .filter(([, v]) => v.required)
      .map(([k]) => k);
    expect(required.filter((k) => !given.includes(k))).toEqual([]);
    expect(step.env?.[action.inputs['seed-env']!.default!]).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    expect(step.env?.[action.inputs['staging-token-env']!.default!]).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    // The job may read the registry with its own token and write nothing.
    expect(block).toContain('contents: read');
  });

  /** A fenced block of the README, by the HTML comment marking it. */
  const blockOf = (marker: string): string => {
    const code = new RegExp(`<!-- ${marker} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
    expect(code, marker).toBeDefined();
    return code!;
  };

  it('its shell blocks (sign, check, upload to a folder or to anaconda.org) run as written; the gate publishes', async () => {
    const dir = join(work, 'readme-feedstock');
    const built = await sb.build({ name: 'app', version: '2.0', build: 'pyh0_0', subdir: 'noarch' });
    mkdirSync(join(dir, 'build_artifacts', 'noarch'), { recursive: true });
    mkdirSync(join(dir, 'build_artifacts', 'src_cache'));
    copyFileSync(built.path, join(dir, 'build_artifacts', 'noarch', built.filename));
    writeFileSync(join(dir, 'build_artifacts', 'src_cache', 'app-2.0.tar.bz2'), 'a source archive');
    const bin = join(work, 'readme-bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'forgegate'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`,
    );
    const log = join(work, 'readme-anaconda.log');
    writeFileSync(join(bin, 'anaconda'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\n`);
    for (const f of ['forgegate', 'anaconda']) chmodSync(join(bin, f), 0o755);
    // The README's names, for this gate's: feedstock, channel, registry, staging folder.
    const local = (code: string): string =>
      code
        .replaceAll('numpy', 'app')
        .replaceAll('https://conda.anaconda.org/conda-forge', sb.channel)
        .replaceAll('github:conda-forge/feedstock-outputs', JSON.stringify(sb.registryDir))
        .replaceAll('/srv/staging', sb.stagingDir);
    const run = (...blocks: string[]) =>
      spawnSync('bash', ['--noprofile', '--norc', '-c', ['set -euo pipefail', ...blocks.map(local)].join('\n')], {
        cwd: dir,
        encoding: 'utf8',
        env: {
          PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`,
          HOME: work,
          FORGEGATE_SEED: encodeKey(key.seed),
          STAGING_BINSTAR_TOKEN: 'staging-token',
          GITHUB_REPOSITORY: 'conda-forge/app-feedstock',
          GITHUB_SHA: 'c0ffee0c0ffee0c0ffee0c0ffee0c0ffee0c0ff',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_RUN_ID: '43',
        },
      });
    const anaconda = run(blockOf('feedstock-sign'), blockOf('feedstock-upload-anaconda'));
    expect(anaconda.status, anaconda.stderr).toBe(0);
    const conda = 'build_artifacts/noarch/app-2.0-pyh0_0.conda';
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      `upload --user cf-staging --label main --force ${conda}`,
      `upload --user cf-staging --label main --force --package-type file --package app-signatures --version 2.0 ` +
        `--summary forgegate upload statements for app ${conda}.sig`,
    ]);
    const folder = run(blockOf('feedstock-sign'), blockOf('feedstock-upload-folder'));
    expect(folder.status, folder.stderr).toBe(0);
    expect(folder.stdout).toMatch(/app-2\.0-pyh0_0\.conda\.sig verifies/);
    expect(names(join(sb.stagingDir, 'noarch'))).toEqual(['app-2.0-pyh0_0.conda', 'app-2.0-pyh0_0.conda.sig']);
    const reconcile = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect((JSON.parse(reconcile.stdout) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ filename: 'app-2.0-pyh0_0.conda', outcome: 'published' }),
    ]);
  }, 120_000);
});
