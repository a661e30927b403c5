// What an operator reads: a cron log in --quiet holds news only, tables fit the terminal and keep whole lines in a
// log, progress lines say what they count and vanish, Ctrl-C says what was finished, and a name from staging stays
// on one line wherever it is printed. The real CLI process, on a pipe and on a pseudo-terminal.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli, runCliPaused } from '../helpers/cli.js';
import { runCliOnTty } from '../helpers/cli-tty.js';
import { channelState } from '../helpers/channel-state.js';
import { backdateSightings } from '../helpers/ledger-time.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  items: { filename: string; outcome: string | null; reason: string | null; seenBefore: boolean }[];
  strays: { filename: string; seenBefore: boolean; delete: boolean }[];
}
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('--quiet: a cron log of news only', () => {
  let sb: Sandbox;
  const run = (...extra: string[]) => runCli(['reconcile', '--config', sb.configPath, ...extra]);
  beforeAll(async () => {
    sb = await Sandbox.create(join(work, 'quiet'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    // Not registered: rejected, and held in staging for rejectRetention.
    await sb.stage(await sb.build({ name: 'stray-name', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
  }, 60_000);

  it('the first run prints the publication and the rejection', async () => {
    const r = await run('--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^forgegate run at .* done: published 1, rejected 1/);
    expect(r.stdout).toMatch(/\npublished +noarch\/app-1\.0-h0_0\.conda/);
    expect(r.stdout).toMatch(/\nrejected +noarch\/stray-name-1\.0-h0_0\.conda .*OUTPUT_NOT_REGISTERED/);
  });

  it('the next run, with the rejection still staged, prints nothing; without --quiet it is all there', async () => {
    const quiet = await run('--quiet');
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    const full = await run();
    expect(full.stdout).toMatch(/\nrejected +noarch\/stray-name-1\.0-h0_0\.conda .*OUTPUT_NOT_REGISTERED/);
    const json = JSON.parse((await run('--json')).stdout) as Result;
    expect(json.items).toEqual([
      expect.objectContaining({ filename: 'stray-name-1.0-h0_0.conda', outcome: 'rejected', seenBefore: true }),
    ]);
  });

  it('a new upload and a new stray are news; the old rejection is still not repeated', async () => {
    await sb.stage(await sb.build({ name: 'app', version: '1.1', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    await sb.stage(await sb.build({ name: 'app', version: '1.2', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
      unsigned: true,
    });
    writeFileSync(join(sb.stagingDir, 'noarch', 'README.txt'), 'not a package');
    const r = await run('--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\npublished +noarch\/app-1\.1-h0_0\.conda/);
    expect(r.stdout).toMatch(/\nwaiting +noarch\/app-1\.2-h0_0\.conda/);
    expect(r.stdout).toContain('\n  new noarch/README.txt');
    expect(r.stdout).not.toContain('stray-name');
    // Seen once, the wait and the stray are no news either.
    expect((await run('--quiet')).stdout).toBe('');
  });

  it('--quiet goes with text only: with --json it is a usage error', async () => {
    const r = await run('--quiet', '--json');
    expect(r.code).toBe(64);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'FG_USAGE' } });
  });
});

describe('tables, progress and Ctrl-C', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    // One item at a time, so an interruption falls between items.
    sb = await Sandbox.create(join(work, 'wide'), { policy: { concurrency: 1 } });
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    for (const v of ['1.0', '1.1', '1.2'])
      await sb.stage(await sb.build({ name: 'app', version: v, build: 'h0_0', subdir: 'noarch' }), {
        feedstock: 'app',
      });
    // A long detail: a key id the registry does not hold, and the ids it does.
    await sb.stage(await sb.build({ name: 'app', version: '2.0', build: 'hlongbuildstring_0', subdir: 'noarch' }), {
      feedstock: 'app',
      keys: [(await import('../../src/statement/keys.js')).generateKeyPair()],
    });
  }, 60_000);

  it('on a pipe a plan keeps whole lines; COLUMNS=80 folds the reason and detail under each row', async () => {
    const piped = await runCli(['reconcile', '--config', sb.configPath, '--plan']);
    expect(piped.code, piped.stderr).toBe(0);
    const long = lines(piped.stdout).find((l) => l.includes('SIGNATURE_INVALID'))!;
    expect(long.length).toBeGreaterThan(200);
    expect(long).toMatch(/registered: [0-9a-f]{64}$/);
    const narrow = await runCli(['reconcile', '--config', sb.configPath, '--plan'], { env: { COLUMNS: '80' } });
    for (const line of lines(narrow.stdout)) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(narrow.stdout).toMatch(
      /\nreject +noarch\/app-2\.0-hlongbuildstring_0\.conda +app +main\n +SIGNATURE_INVALID: no/,
    );
    expect(narrow.stdout).toMatch(/…\n/);
  });

  it('on a terminal, tables fit its width; progress names what it counts and is erased when done', async () => {
    const r = await runCliOnTty(['reconcile', '--config', sb.configPath, '--plan'], 72);
    expect(r.code).toBe(0);
    const screen = r.screen.replace(/\r\n/g, '\n');
    expect(screen).toContain('listing staging, target and registry 0/3');
    expect(screen).toContain('reading staged artifacts 0/3');
    // Each progress line is erased (CR, erase line) before the output, which starts on a clean line.
    expect(screen).toContain('\r\u001b[2Kforgegate plan at');
    const visible = screen.split('\r\u001b[2K').at(-1)!;
    for (const line of lines(visible)) expect(line.length, line).toBeLessThanOrEqual(72);
    expect(visible).toContain('SIGNATURE_INVALID');
    // Never on a pipe.
    expect((await runCli(['reconcile', '--config', sb.configPath, '--plan'])).stderr).toBe('');
  });

  it('Ctrl-C while applying says what was finished and what the next run does; the next run finishes', async () => {
    const r = await runCliPaused(['reconcile', '--config', sb.configPath], 'staging-removed', ({ pid }) => {
      process.kill(pid, 'SIGINT');
    });
    expect(r.pausedAt).toBe(true);
    expect(r.code).toBe(130);
    const said =
      /interrupted \(SIGINT\) while applying decisions: published (\d)(?:, rejected (\d))?; (\d) items? not finished: the next run plans them again/.exec(
        r.stderr,
      );
    expect(said, r.stderr).not.toBeNull();
    const [published, rejected, unfinished] = [said![1], said![2] ?? '0', said![3]].map(Number);
    expect(published).toBeGreaterThanOrEqual(1);
    expect(published! + rejected! + unfinished!).toBe(4);
    expect(r.stdout).toBe('');
    const ledger = await runCli(['ledger', 'runs', '--config', sb.configPath, '--json']);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ rows: [{ status: 'interrupted (SIGINT)' }] });
    const next = await runCli(['reconcile', '--config', sb.configPath]);
    expect(next.code, next.stderr).toBe(0);
    expect(channelState(sb.channelDir).records).toEqual([
      'noarch/app-1.0-h0_0.conda',
      'noarch/app-1.1-h0_0.conda',
      'noarch/app-1.2-h0_0.conda',
    ]);
  });

  it('Ctrl-C before applying says nothing was changed; under --json it is JSON on stdout', async () => {
    // A registry that never answers: the run is reading it when Ctrl-C comes.
    const requests: string[] = [];
    const server = createServer((req) => requests.push(req.url ?? ''));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const hung = await Sandbox.create(join(work, 'hung'), {
        configOverrides: {
          registry: {
            type: 'github',
            repository: 'example/registry',
            tokenEnv: 'REGISTRY_TOKEN',
            url: `http://127.0.0.1:${port}/graphql`,
          },
        },
      });
      let pid = 0;
      const running = runCli(['reconcile', '--config', hung.configPath, '--json'], {
        env: { REGISTRY_TOKEN: 'test-token' },
        started: (p) => (pid = p),
        timeoutMs: 60_000,
      });
      while (requests.length === 0) await new Promise((r) => setTimeout(r, 20));
      process.kill(pid, 'SIGINT');
      const r = await running;
      expect(r.code).toBe(130);
      const message =
        'interrupted (SIGINT) while listing staging, target and registry: nothing in staging or the channel was changed';
      expect(r.stderr).toContain(message);
      expect(JSON.parse(r.stdout)).toMatchObject({
        formatVersion: 1,
        error: { code: 'FG_INTERRUPTED', message: expect.stringContaining(message) as unknown },
        exitCode: 130,
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('a name from staging stays on one line', () => {
  let sb: Sandbox;
  const summary = join(work, 'step-summary.md');
  /** A stray whose name forges a run's header line, with a line separator, NEL, a bidi override and a BOM. */
  const FORGED = 'x\nforgegate run at 2026-01-01T00:00:00Z · registry 0 · plan: publish 1 → done: published 1';
  const OTHERS = ['y\u2028forged line', 'z\u0085forged line', 'w\u202egnp.exe\ufeff'];
  beforeAll(async () => {
    sb = await Sandbox.create(join(work, 'names'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    mkdirSync(join(sb.stagingDir, 'noarch'), { recursive: true });
    for (const name of [FORGED, ...OTHERS]) writeFileSync(join(sb.stagingDir, 'noarch', name), 'junk');
  }, 60_000);

  it('in the terminal output (new strays in --quiet, deleted strays) and the step summary', async () => {
    const first = await runCli(['reconcile', '--config', sb.configPath, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    expect(lines(first.stdout).filter((l) => l.includes('published 1'))).toEqual([
      '  new noarch/x\\u000aforgegate run at 2026-01-01T00:00:00Z · registry 0 · plan: publish 1 → done: published 1',
    ]);
    expect(first.stdout).toContain('new noarch/y\\u2028forged line');
    expect(first.stdout).toContain('new noarch/z\\u0085forged line');
    expect(first.stdout).toContain('new noarch/w\\u202egnp.exe\\ufeff');
    expect(lines(first.stdout).filter((l) => l.startsWith('forgegate run'))).toHaveLength(1);
    // Past rejectRetention: deleted, and listed by name in the terminal and in the step summary.
    backdateSightings(sb.ledgerPath, 8 * 86_400_000);
    writeFileSync(summary, '');
    const second = await runCli(['reconcile', '--config', sb.configPath], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(second.code, second.stderr).toBe(0);
    expect(lines(second.stdout).filter((l) => l.includes('published 1'))).toEqual([
      '  deleted noarch/x\\u000aforgegate run at 2026-01-01T00:00:00Z · registry 0 · plan: publish 1 → done: published 1',
    ]);
    expect(lines(second.stdout).filter((l) => l.startsWith('forgegate run'))).toHaveLength(1);
    for (const text of [first.stdout, second.stdout, readFileSync(summary, 'utf8')])
      expect(text).not.toMatch(/[\r\u0085\u2028\u2029\u202e\ufeff]/);
    const page = readFileSync(summary, 'utf8');
    expect(lines(page).filter((l) => l.includes('published 1'))).toHaveLength(1);
    expect(lines(page).filter((l) => l.startsWith('forgegate run'))).toHaveLength(0);
  });
});
