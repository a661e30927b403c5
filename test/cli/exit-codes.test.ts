// Exit codes scripts can rely on: 2 only for "changes pending" under --detailed-exitcode, usage errors 64, one
// definition that --help and the README both follow; and under --json an error is JSON on stdout with the same code
// and fix as the text on stderr.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_MEANING } from '../../src/cli/exit-codes.js';
import { Sandbox } from '../helpers/sandbox.js';
import { ExitCode, SIGNAL_EXIT } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { readDoc } from '../helpers/docs.js';

const work = mkdtempSync(join(tmpdir(), 'fg-exit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The "Exit codes" table of docs/reference.md: code → meaning. */
function readmeExitCodes(): Map<number, string> {
  const readme = readDoc('docs/reference.md');
  const section = readme.slice(readme.indexOf('## Exit codes\n'), readme.indexOf('| error code | exit |'));
  const rows = new Map<number, string>();
  for (const m of section.matchAll(/^\| ([\d, ]+) \| (.*) \|$/gm))
    for (const code of m[1]!.split(',')) rows.set(Number(code.trim()), m[2]!);
  return rows;
}

interface JsonError {
  formatVersion: number;
  error: { code: string; message: string; fix: string | null };
  exitCode: number;
}

let sb: Sandbox;
beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
}, 60_000);

describe('exit codes', () => {
  it('are defined once: the README table lists exactly the codes src/errors.ts defines, plus the signal exits', () => {
    const readme = readmeExitCodes();
    const defined = [...Object.values(ExitCode), ...Object.values(SIGNAL_EXIT)].sort((a, b) => a - b);
    expect([...readme.keys()].sort((a, b) => a - b)).toEqual(defined);
    expect(readme.get(ExitCode.CHANGES_PENDING)).toContain('--detailed-exitcode` only');
    expect(readme.get(ExitCode.USAGE)).toContain('FG_USAGE');
    expect(
      Object.keys(EXIT_MEANING)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });

  it('a usage error is 64, never 2; 2 is only --detailed-exitcode with changes pending', async () => {
    const typo = await runCli(['reconcile', '--config', sb.configPath, '--plann']);
    expect(typo.code).toBe(64);
    expect(ExitCode.USAGE).toBe(64);
    const nothing = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--detailed-exitcode']);
    expect(nothing.code, nothing.stderr).toBe(0);
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    const pending = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--detailed-exitcode']);
    expect(pending.code, pending.stderr).toBe(2);
    const plain = await runCli(['reconcile', '--config', sb.configPath, '--plan']);
    expect(plain.code, plain.stderr).toBe(0);
  });

  it("every command's --help lists 64 for usage errors and, for reconcile, 2 as changes pending", async () => {
    for (const cmd of ['keygen', 'key', 'sign', 'check', 'reconcile', 'registry', 'ledger', 'demo']) {
      const help = (await runCli([cmd, '--help'])).stdout;
      expect(help, cmd).toMatch(/\n {3}64 {2}usage, config or input error/);
      if (cmd === 'reconcile') expect(help).toMatch(/\n {4}2 {2}reconcile --plan --detailed-exitcode only/);
      else expect(help, cmd).not.toMatch(/\n {4}2 {2}/);
    }
  });
});

describe('--json errors', () => {
  const cases: [string, string[], string][] = [
    ['keygen', ['keygen', '--feedstock', 'x', '--dir', join(work, 'k'), '--bogus'], 'FG_USAGE'],
    ['key', ['key', 'show', '--key-file', join(work, 'absent.seed')], 'FG_INPUT_MISSING'],
    [
      'sign',
      [
        'sign',
        '--feedstock',
        'x',
        '--key-file',
        join(work, 'absent.seed'),
        '--channel',
        'c',
        '--label',
        'main',
        'a.conda',
      ],
      'FG_INPUT_MISSING',
    ],
    ['check', ['check', '--config', join(work, 'absent.yml'), '--feedstock', 'x', 'a.conda'], 'FG_CONFIG_INVALID'],
    ['reconcile', ['reconcile', '--config', join(work, 'absent.yml'), '--plan'], 'FG_CONFIG_INVALID'],
    ['registry', ['registry', 'lint', join(work, 'no-registry')], 'FG_INPUT_INVALID'],
    ['ledger', ['ledger', 'runs', '--config', join(work, 'absent.yml')], 'FG_CONFIG_INVALID'],
    ['demo', ['demo', 'now'], 'FG_USAGE'],
  ];
  for (const [name, args, code] of cases) {
    it(`${name}: the error is JSON on stdout with the code, message and fix stderr gives`, async () => {
      const r = await runCli([...args, '--json']);
      expect(r.code).toBe(64);
      const body = JSON.parse(r.stdout) as JsonError;
      expect(body).toMatchObject({ formatVersion: 1, exitCode: 64, error: { code } });
      expect(body.error.fix).toEqual(expect.any(String));
      expect(r.stderr).toContain(`error[${code}]: ${body.error.message.split('\n')[0]!}`);
      expect(r.stderr).toContain(`fix: ${body.error.fix!}`);
    });
  }

  it('an error that is not a usage error keeps its own code in the JSON', async () => {
    const none = await runCli(['ledger', 'runs', '--config', sb.configPath, '--json']);
    expect(JSON.parse(none.stdout)).toMatchObject({
      error: { code: 'FG_USAGE', fix: 'Run `forgegate reconcile` first.' },
    });
    mkdirSync(dirname(sb.ledgerPath), { recursive: true });
    writeFileSync(sb.ledgerPath, 'not a database, not even close '.repeat(200));
    try {
      const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
      expect(r.code).toBe(ExitCode.LEDGER_UNUSABLE);
      expect(JSON.parse(r.stdout)).toMatchObject({
        formatVersion: 1,
        error: { code: 'FG_LEDGER_INVALID', fix: expect.stringContaining('Move it aside') as unknown },
        exitCode: ExitCode.LEDGER_UNUSABLE,
      });
    } finally {
      rmSync(sb.ledgerPath, { force: true });
    }
  });

  it('without --json, stdout stays empty on an error', async () => {
    const r = await runCli(['reconcile', '--config', join(work, 'absent.yml')]);
    expect(r).toMatchObject({ code: 64, stdout: '' });
    expect(r.stderr).toMatch(/^error\[FG_CONFIG_INVALID\]/);
  });

  it('after a -- terminator, --json is an artifact name, not the flag', async () => {
    const r = await runCli(['check', '--config', join(work, 'absent.yml'), '--feedstock', 'x', '--', '--json']);
    expect(r).toMatchObject({ code: 64, stdout: '' });
  });
});
