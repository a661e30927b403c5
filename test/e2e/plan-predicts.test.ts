// A plan an admin reviews cannot surprise: it reads the staged bytes it would publish, shows what it will delete,
// never writes the ledger, and tells a script (--detailed-exitcode) whether anything is pending.
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { backdateSightings } from '../helpers/ledger-time.js';
import { handToOperator, operatorSpawn } from '../helpers/operator.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-plan-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Item {
  filename: string;
  decision: string;
  reason: string | null;
  outcome: string | null;
  inspection: string | null;
  deleteStaged: boolean;
}
interface Result {
  items: Item[];
  strays: { filename: string; delete: boolean }[];
  changesPending: boolean;
  summary: Record<string, number>;
}
const byFile = (r: Result): Record<string, Item> => Object.fromEntries(r.items.map((i) => [i.filename, i]));

let sb: Sandbox;
beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  const good = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
  const unsafe = await sb.build({
    name: 'app',
    version: '1.1',
    build: 'h0_0',
    subdir: 'noarch',
    extraEntries: [{ name: 'lib/../../../etc/cron.d/evil', type: 'file', content: 'x\n' }],
  });
  const invalid = await sb.build({
    name: 'app',
    version: '1.2',
    build: 'h0_0',
    subdir: 'noarch',
    indexOverrides: { version: '9.9' },
  });
  const tampered = await sb.build({ name: 'app', version: '1.3', build: 'h0_0', subdir: 'noarch' });
  for (const b of [good, unsafe, invalid]) await sb.stage(b, { feedstock: 'app' });
  const path = await sb.stage(tampered, { feedstock: 'app' });
  // Same size, other bytes: only reading them shows it.
  const bytes = readFileSync(path);
  bytes[bytes.length - 30]! ^= 0xff;
  appendFileSync(path, ''); // keep mtime games out of it; the content changes below
  (await import('node:fs')).writeFileSync(path, bytes);
}, 60_000);

describe('reconcile --plan', () => {
  it('predicts ARTIFACT_UNSAFE, ARTIFACT_INVALID and DIGEST_MISMATCH from the staged bytes, and creates no ledger', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const items = byFile(JSON.parse(r.stdout) as Result);
    expect(items['app-1.0-h0_0.conda']).toMatchObject({ decision: 'publish', inspection: 'verified' });
    expect(items['app-1.1-h0_0.conda']).toMatchObject({ decision: 'reject', reason: 'ARTIFACT_UNSAFE' });
    expect(items['app-1.2-h0_0.conda']).toMatchObject({ decision: 'reject', reason: 'ARTIFACT_INVALID' });
    expect(items['app-1.3-h0_0.conda']).toMatchObject({ decision: 'reject', reason: 'DIGEST_MISMATCH' });
    expect(existsSync(sb.ledgerPath)).toBe(false);
    const text = await runCli(['reconcile', '--config', sb.configPath, '--plan']);
    expect(text.stdout).toContain('staged bytes: 1 verified');
  });

  it('--detailed-exitcode: 2 while changes are pending', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--detailed-exitcode']);
    expect(r.code).toBe(ExitCode.CHANGES_PENDING);
    expect(r.stdout).toContain('publish');
    const misuse = await runCli(['reconcile', '--config', sb.configPath, '--detailed-exitcode']);
    expect(misuse.code).toBe(ExitCode.USAGE);
    expect(misuse.stderr).toContain('--detailed-exitcode goes with --plan');
  });

  it('the apply does what the plan said', async () => {
    const plan = byFile(
      JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'])).stdout) as Result,
    );
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const done = byFile(JSON.parse(r.stdout) as Result);
    for (const [file, p] of Object.entries(plan)) {
      expect(done[file]!.outcome, file).toBe(p.decision === 'publish' ? 'published' : 'rejected');
      expect(done[file]!.reason, file).toBe(p.reason);
    }
    expect(channelState(sb.channelDir).records).toEqual(['noarch/app-1.0-h0_0.conda']);
  });

  it('opens an existing ledger read-only: a plan leaves it byte for byte, with no run row', async () => {
    const before = readFileSync(sb.ledgerPath);
    // Read from a copy: opening the file itself read-only would leave -wal and -shm files beside it.
    const runs = (): number => {
      const copy = readFileSync(sb.ledgerPath);
      copy[18] = copy[19] = 1;
      const db = new Database(copy);
      try {
        return (db.prepare('SELECT count(*) AS n FROM runs_v1').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const n = runs();
    expect((await runCli(['reconcile', '--config', sb.configPath, '--plan'])).code).toBe(0);
    expect(readFileSync(sb.ledgerPath).equals(before)).toBe(true);
    expect(existsSync(`${sb.ledgerPath}-wal`)).toBe(false);
    expect(runs()).toBe(n);
  });

  it('works on a ledger it may not write (and in a folder it may not write)', async () => {
    const ro = await Sandbox.create(join(work, 'ro'));
    await ro.addFeedstock('app', ['app']);
    await ro.commitRegistry();
    await ro.stage(await ro.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    expect((await runCli(['reconcile', '--config', ro.configPath])).code).toBe(0);
    await ro.stage(await ro.build({ name: 'app', version: '2.1', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    handToOperator(ro.root, [work]);
    chmodSync(ro.ledgerPath, 0o444);
    chmodSync(join(ro.root, 'state'), 0o555);
    // Not root: the test's own user is the one the bits bind, and must be able to remove the folder afterwards.
    onTestFinished(() => chmodSync(join(ro.root, 'state'), 0o755));
    const r = await runCli(['reconcile', '--config', ro.configPath, '--plan', '--json'], operatorSpawn());
    expect(r.code, r.stderr).toBe(0);
    expect(byFile(JSON.parse(r.stdout) as Result)['app-2.1-h0_0.conda']).toMatchObject({ decision: 'publish' });
    expect(statSync(ro.ledgerPath).mode & 0o777).toBe(0o444);
    // The views read it too.
    const runs = await runCli(['ledger', 'runs', '--config', ro.configPath, '--json'], operatorSpawn());
    expect(runs.code, runs.stderr).toBe(0);
    expect((JSON.parse(runs.stdout) as { rows: unknown[] }).rows).toHaveLength(1);
    // Bytes the plan cannot read: the item says so, and the plan still goes on.
    chmodSync(join(ro.stagingDir, 'noarch', 'app-2.1-h0_0.conda'), 0o000);
    const blind = await runCli(['reconcile', '--config', ro.configPath, '--plan', '--json'], operatorSpawn());
    expect(blind.code, blind.stderr).toBe(0);
    const item = byFile(JSON.parse(blind.stdout) as Result)['app-2.1-h0_0.conda']!;
    expect(item).toMatchObject({ decision: 'publish', inspection: expect.stringMatching(/^not inspected: .*EACCES/) });
    const text = await runCli(['reconcile', '--config', ro.configPath, '--plan'], operatorSpawn());
    expect(text.stdout).toContain('staged bytes: 0 verified, 1 not inspected');
  });
});

describe('deletions', () => {
  it('appear in the plan (table and JSON), in the run table and in the ledger', async () => {
    // Everything rejected above is past rejectRetention eight days on.
    backdateSightings(sb.ledgerPath, 8 * 86_400_000);
    const plan = JSON.parse(
      (await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'])).stdout,
    ) as Result;
    const doomed = plan.items.filter((i) => i.deleteStaged).map((i) => i.filename);
    expect(doomed.sort()).toEqual(['app-1.1-h0_0.conda', 'app-1.2-h0_0.conda', 'app-1.3-h0_0.conda']);
    expect(plan.changesPending).toBe(true);
    expect(plan.summary['delete']).toBe(3);
    const table = await runCli(['reconcile', '--config', sb.configPath, '--plan']);
    expect(table.stdout).toMatch(/reject \+ delete +noarch\/app-1\.1-h0_0\.conda/);
    expect(table.stdout).toContain('delete 3');
    const run = await runCli(['reconcile', '--config', sb.configPath]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/rejected \+ deleted +noarch\/app-1\.1-h0_0\.conda/);
    const fails = await runCli(['ledger', 'failures', '--config', sb.configPath, '--json']);
    const rows = (JSON.parse(fails.stdout) as { rows: { artifact: string; deletedAt: string | null }[] }).rows;
    expect(
      rows
        .filter((f) => f.deletedAt !== null)
        .map((f) => f.artifact)
        .sort(),
    ).toEqual(['noarch/app-1.1-h0_0.conda', 'noarch/app-1.2-h0_0.conda', 'noarch/app-1.3-h0_0.conda']);
    const after = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--detailed-exitcode']);
    expect(after.code).toBe(0);
  });
});
