// The CLI never guesses: unknown commands, flags and stray words are usage errors with a hint, help shows examples
// and exit codes for every command, and a closed pipe ends a command quietly.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { runCliClosedStdout } from '../helpers/cli-pipe.js';
import { channelState } from '../helpers/channel-state.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-usage-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const COMMANDS = ['keygen', 'key', 'sign', 'check', 'reconcile', 'registry', 'ledger', 'demo'];

let sb: Sandbox;
beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' }), {
    feedstock: 'app',
  });
}, 60_000);

describe('usage errors', () => {
  it('an unknown command suggests the one meant', async () => {
    const r = await runCli(['recon']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('unknown command "recon" (did you mean "forgegate reconcile"?)');
  });

  it('`reconcile plan` (the Terraform habit) is refused and applies nothing', async () => {
    const before = channelState(sb.channelDir);
    const r = await runCli(['reconcile', 'plan', '--config', sb.configPath]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('unexpected argument "plan" (did you mean --plan?)');
    expect(channelState(sb.channelDir)).toEqual(before);
    expect(readdirSync(join(sb.stagingDir, 'linux-64'))).toContain('app-1.0-h0_0.conda');
    expect(existsSync(sb.ledgerPath)).toBe(false);
  });

  it('an unknown flag suggests the flag meant', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--pln']);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toContain('unknown flag --pln (did you mean --plan?)');
  });

  it('stray words and unknown subcommands or views are refused everywhere', async () => {
    const cases: [string[], string][] = [
      [['keygen', '--feedstock', 'x', '--dir', join(work, 'k'), 'extra'], 'unexpected argument "extra"'],
      [['demo', 'now'], 'unexpected argument "now"'],
      [['registry', 'lnt', work], 'unknown registry subcommand "lnt" (did you mean "lint"?)'],
      [['registry', 'lint', work, work], `unexpected argument "${work}"`],
      [['ledger', 'failurs', '--config', sb.configPath], 'unknown ledger view "failurs" (did you mean "failures"?)'],
      [['key', 'shw'], 'unknown key subcommand "shw" (did you mean "show"?)'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    expect(existsSync(join(work, 'k'))).toBe(false);
  });

  it('an old spelling still works, but not together with the new one', async () => {
    const old = await runCli(['keygen', '--feedstock', 'x', '--out', join(work, 'old')]);
    expect(old.code, old.stderr).toBe(0);
    expect(existsSync(join(work, 'old', 'x.seed'))).toBe(true);
    const both = await runCli(['keygen', '--feedstock', 'x', '--out', join(work, 'a'), '--dir', join(work, 'b')]);
    expect(both.code).toBe(ExitCode.USAGE);
    expect(both.stderr).toContain('--out and --dir are the same flag');
  });
});

describe('help', () => {
  it('every command shows EXAMPLES and its EXIT CODES, through --help and `forgegate help <cmd>`', async () => {
    for (const cmd of COMMANDS) {
      for (const args of [
        [cmd, '--help'],
        ['help', cmd],
      ]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(0);
        expect(r.stdout, args.join(' ')).toMatch(/\nEXAMPLES\n {2}forgegate /);
        expect(r.stdout, args.join(' ')).toMatch(/\nEXIT CODES\n {4}0 {2}ok/);
      }
    }
    const top = await runCli(['help']);
    for (const cmd of COMMANDS) expect(top.stdout).toContain(`  ${cmd} `);
    expect(top.stdout).toContain('FORGEGATE_DEBUG');
    const unknown = await runCli(['help', 'reconcil']);
    expect(unknown.code).toBe(ExitCode.USAGE);
    expect(unknown.stderr).toContain('did you mean "forgegate reconcile"?');
  });

  it('`forgegate version` prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['version'], ['--version']]) {
      const r = await runCli(args);
      expect(r).toMatchObject({ code: 0, stdout: `forgegate ${pkg.version}\n` });
    }
  });
});

describe('closed pipes', () => {
  it('`keygen … | true` exits 0 without a stack trace, and the public entry is kept beside the seed', async () => {
    const dir = join(work, 'piped-keys');
    const r = await runCliClosedStdout(['keygen', '--feedstock', 'numpy', '--dir', dir], 0);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const entry = JSON.parse(readFileSync(join(dir, 'numpy.public.json'), 'utf8')) as {
      keyid: string;
      publicKey: string;
    };
    const show = await runCli(['key', 'show', '--key-file', join(dir, 'numpy.seed'), '--json']);
    expect(show.code, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout) as { registryPath: string; key: { keyid: string; publicKey: string } };
    expect(shown).toMatchObject({ registryPath: 'keys/n/u/m/numpy.json' });
    expect(shown.key).toMatchObject({ keyid: entry.keyid, publicKey: entry.publicKey });
    const text = await runCli(['key', 'show', '--key-file', join(dir, 'numpy.seed')]);
    expect(text.stdout).toContain(`registry add-key REGISTRY --feedstock numpy --public-key ${entry.publicKey}`);
  });

  it("`reconcile --plan --json | head -c 100` exits with the plan's code and no stack trace", async () => {
    const r = await runCliClosedStdout(['reconcile', '--config', sb.configPath, '--plan', '--json'], 100);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  });

  it('`key show` of a missing seed file is an input error with a fix', async () => {
    const r = await runCli(['key', 'show', '--key-file', join(work, 'nope.seed')]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/error\[FG_INPUT_MISSING\]: cannot read key file .*nope\.seed[\s\S]*fix:/);
  });
});

describe('one name per concept', () => {
  it('sign prints the full key id, and revoke-key takes it (or its first 16 hex digits) as --key-id', async () => {
    const keys = join(work, 'concept-keys');
    const entry = JSON.parse((await runCli(['keygen', '--feedstock', 'app', '--dir', keys, '--json'])).stdout) as {
      key: { keyid: string };
    };
    const built = await sb.build({ name: 'app', version: '7.0', build: 'h0_0', subdir: 'noarch' });
    const signed = await runCli([
      'sign',
      '--feedstock',
      'app',
      '--key-file',
      join(keys, 'app.seed'),
      '--channel',
      sb.channel,
      '--label',
      'main',
      built.path,
      '--json',
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const out = JSON.parse(signed.stdout) as { formatVersion: number; signed: { keyid: string }[] };
    expect(out).toMatchObject({ formatVersion: 1, signed: [{ keyid: entry.key.keyid }] });
    const registry = join(work, 'concept-registry');
    expect((await runCli(['registry', 'init', registry])).code).toBe(0);
    const add = await runCli([
      'registry',
      'add-key',
      registry,
      '--feedstock',
      'app',
      '--public-key-file',
      join(keys, 'app.public.json'),
      '--json',
    ]);
    expect(JSON.parse(add.stdout)).toMatchObject({ formatVersion: 1, changed: true, keyid: entry.key.keyid });
    const short = entry.key.keyid.slice(0, 16);
    const revoke = await runCli(['registry', 'revoke-key', registry, '--feedstock', 'app', '--key-id', short]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain('revoked the key');
    const old = await runCli(['registry', 'revoke-key', registry, '--feedstock', 'app', '--keyid', entry.key.keyid]);
    expect(old.stdout).toContain('already revoked');
    const tooShort = await runCli(['registry', 'revoke-key', registry, '--feedstock', 'app', '--key-id', 'abcd']);
    expect(tooShort.code).toBe(ExitCode.USAGE);
  });

  it('every time flag takes an RFC 3339 UTC time or a duration', async () => {
    const later = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--at', '2d', '--json']);
    expect(later.code, later.stderr).toBe(0);
    const at = Date.parse((JSON.parse(later.stdout) as { now: string }).now);
    expect(at).toBeGreaterThan(Date.now() + 86_400_000);
    const bad = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--at', 'tomorrow']);
    expect(bad.stderr).toContain('--at "tomorrow" is not an RFC 3339 UTC time or a duration');
  });
});
