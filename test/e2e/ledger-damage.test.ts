// A ledger that is corrupt, truncated or another program's database stops the run with its own exit code (8) and
// the fix, and is never written to. Real folders, the real CLI process.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { stagedFiles } from '../helpers/staging-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-ledger-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function sandbox(name: string): Promise<Sandbox> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
    feedstock: 'app',
  });
  mkdirSync(join(sb.root, 'state'), { recursive: true });
  return sb;
}

/** The run stops with exit 8 and the fix, changes nothing, and leaves the ledger file byte for byte as it was. */
async function expectRefused(sb: Sandbox, what: RegExp): Promise<void> {
  const before = readFileSync(sb.ledgerPath);
  const staged = stagedFiles(sb.stagingDir);
  const r = await runCli(['reconcile', '--config', sb.configPath]);
  expect(r.code).toBe(8);
  expect(r.stderr).toMatch(new RegExp(`error\\[FG_LEDGER_INVALID\\]: the ledger .*forgegate\\.db ${what.source}`));
  expect(r.stderr).toContain(`fix: Move it aside, with its -wal and -shm files (mv '${sb.ledgerPath}'`);
  expect(r.stderr).toContain('that is always safe');
  expect(r.stderr).not.toContain('internal error');
  expect(readFileSync(sb.ledgerPath)).toEqual(before);
  expect(stagedFiles(sb.stagingDir)).toEqual(staged);
  expect(channelState(sb.channelDir).records).toEqual([]);
  const view = await runCli(['ledger', 'failures', '--config', sb.configPath]);
  expect(view.code).toBe(8);
  expect(view.stderr).toContain('error[FG_LEDGER_INVALID]');
}

describe('a damaged or foreign ledger', () => {
  let garbage: Sandbox;
  beforeAll(async () => {
    garbage = await sandbox('garbage');
  }, 60_000);

  it('a file that is not SQLite at all: exit 8 with the fix, never exit 70', async () => {
    writeFileSync(garbage.ledgerPath, 'not a database, whatever it once was\n'.repeat(200));
    await expectRefused(garbage, /is damaged \(file is not a database\)/);
  });

  it('moving it aside, as the fix says, lets the next run work', async () => {
    renameSync(garbage.ledgerPath, `${garbage.ledgerPath}.broken`);
    const r = await runCli(['reconcile', '--config', garbage.configPath]);
    expect(r.code).toBe(0);
    expect(channelState(garbage.channelDir).records).toEqual(['noarch/app-1.0-h0_0.conda']);
  });

  it('a ledger truncated to half its size: exit 8 with the fix', async () => {
    const sb = await sandbox('truncated');
    // A plan no longer creates the ledger: make one as a run would, and close it.
    new Ledger(sb.ledgerPath).close();
    expect(existsSync(`${sb.ledgerPath}-wal`)).toBe(false); // closed cleanly: everything is in the main file
    truncateSync(sb.ledgerPath, Math.floor(statSync(sb.ledgerPath).size / 2));
    await expectRefused(sb, /is damaged/);
  });

  it("another program's SQLite database: exit 8, and forgegate adds nothing to it", async () => {
    const sb = await sandbox('foreign');
    const other = new Database(sb.ledgerPath);
    other.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO accounts VALUES (1, 'x');");
    other.close();
    await expectRefused(sb, /is not a forgegate ledger/);
  });
});
