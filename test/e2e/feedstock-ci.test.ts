// What a feedstock's CI runs: sign with the seed from a secret in an environment variable (never on disk, never
// printed), and check against the public registry alone (a folder or github:OWNER/REPO, read with the job's token).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/cli/commands/check.js';
import type { Io } from '../../src/cli/io.js';
import { Sandbox } from '../helpers/sandbox.js';
import { ExitCode, ForgegateError } from '../../src/errors.js';
import { encodeKey, type KeyPair } from '../../src/statement/keys.js';
import {
  DEFAULT_REGISTRY_CONFIG,
  formatKeyFile,
  formatOutputFile,
  keyPath,
  outputPath,
} from '../../src/registry/layout.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from '../backends/github/fake.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-feedstock-ci-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let sb: Sandbox;
let key: KeyPair;
let seed: string;
let artifact: string;
beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'gate'));
  [key] = (await sb.addFeedstock('app', ['app'])) as [KeyPair];
  await sb.addFeedstock('other', ['other']);
  await sb.commitRegistry();
  seed = encodeKey(key.seed);
  const built = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
  mkdirSync(join(work, 'build_artifacts', 'noarch'), { recursive: true });
  artifact = join(work, 'build_artifacts', 'noarch', built.filename);
  copyFileSync(built.path, artifact);
}, 60_000);

const target = (channel: string, label = 'main'): string[] => ['--channel', channel, '--label', label];

describe('sign --key-env', () => {
  it('signs with the seed from the named variable, and nothing it prints holds the seed', async () => {
    const r = await runCli(
      ['sign', '--feedstock', 'app', '--key-env', 'FG_TEST_SEED', ...target(sb.channel), artifact],
      {
        env: { FG_TEST_SEED: `${seed}\n` },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(key id ${key.keyid})`);
    expect(r.stdout + r.stderr).not.toContain(seed);
    expect(readdirSync(join(work, 'build_artifacts', 'noarch')).sort()).toEqual([
      'app-1.0-h0_0.conda',
      'app-1.0-h0_0.conda.sig',
    ]);
  });

  it('an unset, empty or wrong variable is an input error naming the variable, never its value', async () => {
    const base = ['sign', '--feedstock', 'app', '--key-env', 'FG_TEST_SEED', ...target(sb.channel), artifact];
    const unset = await runCli(base, { env: { FG_TEST_SEED: '' } });
    expect(unset.code).toBe(ExitCode.USAGE);
    expect(unset.stderr).toContain('error[FG_INPUT_MISSING]: environment variable FG_TEST_SEED is not set or is empty');
    expect(unset.stderr).toContain('secrets.FG_TEST_SEED');
    const wrong = 'bm90IGEgc2VlZCBidXQgYSBzZWNyZXQgYWxsIHRoZSBzYW1l';
    const bad = await runCli(base, { env: { FG_TEST_SEED: wrong } });
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(bad.stderr).toContain('error[FG_INPUT_INVALID]: environment variable FG_TEST_SEED does not hold');
    expect(bad.stderr).not.toContain(wrong);
    // The value passed where the name belongs (`--key-env "$SEED"`) is refused without being echoed.
    const value = await runCli(['sign', '--feedstock', 'app', '--key-env', seed, ...target(sb.channel), artifact]);
    expect(value.code).toBe(ExitCode.USAGE);
    expect(value.stderr).toContain('error[FG_USAGE]: --key-env takes the NAME of an environment variable');
    expect(value.stderr).not.toContain(seed);
  });

  it('takes --key-file or --key-env, exactly one', async () => {
    const both = await runCli(
      ['sign', '--feedstock', 'app', '--key-env', 'X', '--key-file', 'y', ...target(sb.channel), artifact],
      { env: { X: seed } },
    );
    expect(both.code).toBe(ExitCode.USAGE);
    expect(both.stderr).toContain('pass --key-file or --key-env, not both');
    const none = await runCli(['sign', '--feedstock', 'app', ...target(sb.channel), artifact]);
    expect(none.code).toBe(ExitCode.USAGE);
    expect(none.stderr).toContain('missing --key-file or --key-env');
  });

  it('key show --key-env prints the public entry of the seed in the variable', async () => {
    const r = await runCli(['key', 'show', '--key-env', 'FG_TEST_SEED', '--feedstock', 'app', '--json'], {
      env: { FG_TEST_SEED: seed },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ key: { keyid: key.keyid, publicKey: encodeKey(key.publicKey) } });
    expect(r.stdout).not.toContain(seed);
  });
});

interface CheckJson {
  ok: boolean;
  targetChecked: boolean;
  artifacts: {
    artifact: string;
    ok: boolean;
    reason: string | null;
    detail: string;
    signature: { verified: boolean; keyid: string | null } | null;
  }[];
}

describe('check --registry DIR (a registry checkout, no gate config)', () => {
  const checkArgs = (label = 'main', feedstock = 'app', channel = sb.channel): string[] => [
    'check',
    '--registry',
    sb.registryDir,
    ...target(channel, label),
    '--feedstock',
    feedstock,
    '--json',
    artifact,
  ];

  it('verifies the .sig beside the artifact and the ownership of its name; the target is not consulted', async () => {
    const sign = await runCli(['sign', '--feedstock', 'app', '--key-env', 'S', ...target(sb.channel), artifact], {
      env: { S: seed },
    });
    expect(sign.code, sign.stderr).toBe(0);
    const r = await runCli(checkArgs());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as CheckJson;
    expect(out).toMatchObject({ ok: true, targetChecked: false });
    expect(out.artifacts[0]).toMatchObject({
      artifact: 'noarch/app-1.0-h0_0.conda',
      ok: true,
      signature: { verified: true, keyid: key.keyid },
    });
    const text = await runCli(checkArgs().filter((a) => a !== '--json'));
    expect(text.stdout).toContain('app-1.0-h0_0.conda.sig verifies (key id');
    expect(text.stdout).toContain('registry-only check: pass --config to look the files up in the target');
  });

  it('says what the gate would refuse: another label, another channel, bytes changed after signing', async () => {
    const rc = await runCli(checkArgs('rc'));
    expect(rc.code).toBe(1);
    expect((JSON.parse(rc.stdout) as CheckJson).artifacts[0]).toMatchObject({
      reason: 'TARGET_MISMATCH',
      signature: { verified: false },
    });
    const channel = await runCli(checkArgs('main', 'app', 'https://conda.example.org/elsewhere'));
    expect((JSON.parse(channel.stdout) as CheckJson).artifacts[0]!.reason).toBe('TARGET_MISMATCH');
    // Other bytes under the signed name: the statement no longer binds them.
    const copy = join(work, 'changed', 'noarch');
    mkdirSync(copy, { recursive: true });
    const other = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch', files: { x: 'y' } });
    copyFileSync(other.path, join(copy, 'app-1.0-h0_0.conda'));
    copyFileSync(`${artifact}.sig`, join(copy, 'app-1.0-h0_0.conda.sig'));
    const changed = await runCli([...checkArgs().slice(0, -1), join(copy, 'app-1.0-h0_0.conda')]);
    expect(changed.code).toBe(1);
    expect((JSON.parse(changed.stdout) as CheckJson).artifacts[0]).toMatchObject({ reason: 'DIGEST_MISMATCH' });
  });

  it('a statement for another feedstock, or a key the registry does not hold, fails with the fix', async () => {
    const foreign = await runCli(checkArgs('main', 'other'));
    expect(foreign.code).toBe(ExitCode.USAGE);
    expect(foreign.stderr).toContain('is signed for feedstock "app", not "other"');
    expect(foreign.stderr).toContain('fix: Check with --feedstock app');
    const newcomer = join(work, 'newcomer');
    const sb2 = await Sandbox.create(newcomer);
    await sb2.setOutput('app', ['app']);
    await sb2.commitRegistry();
    const r = await runCli([
      'check',
      '--registry',
      sb2.registryDir,
      ...target(sb.channel),
      '--feedstock',
      'app',
      artifact,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/KEY_UNKNOWN/);
    expect(r.stdout).toContain('has no signing keys in the registry yet');
  });

  it('says which inputs it needs', async () => {
    const none = await runCli(['check', '--feedstock', 'app', artifact]);
    expect(none.code).toBe(ExitCode.USAGE);
    expect(none.stderr).toContain('error[FG_USAGE]: missing --config or --registry');
    expect(none.stderr).toContain('--registry github:OWNER/REPO --channel URL --label L');
    const half = await runCli(['check', '--registry', sb.registryDir, '--feedstock', 'app', artifact]);
    expect(half.stderr).toContain('check --registry needs --channel and --label');
    const both = await runCli(['check', '--config', sb.configPath, '--label', 'main', '--feedstock', 'app', artifact]);
    expect(both.code).toBe(ExitCode.USAGE);
    expect(both.stderr).toContain('--config already names the registry, channel and labels: drop --label');
    const gh = await runCli(
      [
        'check',
        '--registry',
        'github:conda-forge/feedstock-outputs',
        ...target(sb.channel),
        '--feedstock',
        'app',
        artifact,
      ],
      { env: { GITHUB_TOKEN: '' } },
    );
    expect(gh.code).toBe(ExitCode.USAGE);
    expect(gh.stderr).toContain('error[FG_INPUT_MISSING]');
    expect(gh.stderr).toContain('environment variable GITHUB_TOKEN is not set');
    expect(gh.stderr).toContain('${{ github.token }}');
    const help = await runCli(['check', '--help']);
    expect(help.stdout).toContain('--registry R');
    expect(help.stdout).toContain('--token-env');
  });
});

describe('check --registry github:OWNER/REPO (GitHub GraphQL, schema-validating fake)', () => {
  const server = setupServer();
  let fake: FakeGitHub;
  beforeAll(() => {
    githubSchema();
    fake = new FakeGitHub({
      [outputPath('app', DEFAULT_REGISTRY_CONFIG)]: formatOutputFile(['app']),
      [keyPath('app', DEFAULT_REGISTRY_CONFIG)]: formatKeyFile([
        { keyid: key.keyid, publicKey: encodeKey(key.publicKey), addedAt: '2026-01-01T00:00:00Z' },
      ]),
    });
    server.use(fake.handler());
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterAll(() => server.close());

  const io = (env: NodeJS.ProcessEnv): Io & { lines: string[] } => {
    const lines: string[] = [];
    return { out: (t) => lines.push(t), err: (t) => lines.push(t), isTTY: false, width: undefined, env, lines };
  };

  it('reads the public registry with the token named by --token-env, and verifies the .sig', async () => {
    const out = io({ JOB_TOKEN: 'ghs_job' });
    const args = ['--registry', `github:${fake.repository}@main`, '--token-env', 'JOB_TOKEN', '--github-url'];
    const code = await check.run(
      [...args, GRAPHQL_URL, ...target(sb.channel), '--feedstock', 'app', '--json', artifact],
      out,
    );
    expect(code).toBe(0);
    const json = JSON.parse(out.lines.join('\n')) as CheckJson & { registryCommit: string };
    expect(json.registryCommit).toBe(fake.head);
    expect(json.artifacts[0]).toMatchObject({ ok: true, signature: { verified: true, keyid: key.keyid } });
    expect(fake.requests).toBe(1);
  });

  it('refuses a malformed github: source with the form it takes', async () => {
    await expect(
      check.run(['--registry', 'github:no-slash', ...target(sb.channel), '--feedstock', 'app', artifact], io({})),
    ).rejects.toThrow(ForgegateError);
    await expect(
      check.run(['--registry', 'github:no-slash', ...target(sb.channel), '--feedstock', 'app', artifact], io({})),
    ).rejects.toThrow('is not github:OWNER/REPO[@REF]');
  });
});
