// The ledger answers questions: what happened to one file or package, filtered views with times, one rejection row
// per upload (not one per run), a note when --limit cut a view short, and JSON with formatVersion and camelCase.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { LEDGER_APPLICATION_ID } from '../../src/ledger/open.js';
import { SCHEMA_VERSION } from '../../src/ledger/schema.js';
import { generateKeyPair } from '../../src/statement/keys.js';
import { runCli } from '../helpers/cli.js';
import { ExitCode } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-history-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface View<T> {
  formatVersion: number;
  view: string;
  rows: T[];
  truncated: boolean;
}
interface Failure {
  outcome: string;
  artifact: string;
  feedstock: string | null;
  reason: string;
  firstSeenAt: string;
  lastSeenAt: string;
  runs: number;
}
interface History {
  artifact: string;
  firstSeenAt: string;
  lastOutcome: string;
  publishedAt: string | null;
  events: { at: string; event: string; runId: number | null; reason: string | null }[];
}

let sb: Sandbox;
const ledger = async (...args: string[]): Promise<{ code: number | null; stdout: string }> =>
  runCli(['ledger', ...args, '--config', sb.configPath]);
const json = async <T>(...args: string[]): Promise<View<T>> =>
  JSON.parse((await ledger(...args, '--json')).stdout) as View<T>;

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('numpy', ['numpy']);
  await sb.addFeedstock('scipy', ['scipy']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'numpy', version: '2.1.0', build: 'py312_0', subdir: 'linux-64' }), {
    feedstock: 'numpy',
  });
  await sb.stage(await sb.build({ name: 'numpy', version: '2.1.1', build: 'py312_0', subdir: 'linux-64' }), {
    feedstock: 'numpy',
    keys: [generateKeyPair()],
  });
  await sb.stage(await sb.build({ name: 'scipy', version: '1.0', build: 'py312_0', subdir: 'linux-64' }), {
    feedstock: 'scipy',
    keys: [generateKeyPair()],
  });
  // A 5-minute cron: three runs see the same rejected uploads.
  for (let i = 0; i < 3; i++) expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
}, 60_000);

describe('forgegate ledger', () => {
  it('records a rejection once per upload, with first and last seen and the number of runs', async () => {
    const v = await json<Failure>('failures');
    expect(v).toMatchObject({ formatVersion: 1, view: 'failures', truncated: false });
    expect(v.rows.map((r) => [r.artifact, r.reason, r.runs])).toEqual([
      ['linux-64/numpy-2.1.1-py312_0.conda', 'SIGNATURE_INVALID', 3],
      ['linux-64/scipy-1.0-py312_0.conda', 'SIGNATURE_INVALID', 3],
    ]);
    expect(v.rows[0]!.lastSeenAt >= v.rows[0]!.firstSeenAt).toBe(true);
  });

  it('history of a package: every file, every event with its time, in order', async () => {
    const v = await json<History>('history', 'numpy');
    expect(v.rows.map((h) => h.artifact)).toEqual([
      'linux-64/numpy-2.1.0-py312_0.conda',
      'linux-64/numpy-2.1.1-py312_0.conda',
    ]);
    const [published, rejected] = v.rows as [History, History];
    expect(published).toMatchObject({ lastOutcome: 'published', publishedAt: expect.any(String) });
    expect(published.events.map((e) => e.event)).toEqual(['decided', 'published']);
    expect(rejected.events.map((e) => e.event)).toEqual(['rejected', 'reported']);
    expect(rejected.events[0]).toMatchObject({ reason: 'SIGNATURE_INVALID', runId: 1 });
    for (const h of v.rows) expect(h.firstSeenAt).toBe(h.events[0]!.at);
  });

  it('history of one file, by name or subdir/name, as text', async () => {
    const byName = await json<History>('history', 'numpy-2.1.0-py312_0.conda');
    const byPath = await json<History>('history', 'linux-64/numpy-2.1.0-py312_0.conda');
    expect(byName.rows).toEqual(byPath.rows);
    expect(byName.rows).toHaveLength(1);
    const text = await ledger('history', 'numpy-2.1.1-py312_0.conda');
    expect(text.stdout).toMatch(/linux-64\/numpy-2\.1\.1-py312_0\.conda · feedstock numpy · first seen \S+Z/);
    expect(text.stdout).toMatch(/rejected +1 +rejected +SIGNATURE_INVALID .*\[3 runs, last at \S+Z \(run 3\)\]/);
    expect((await ledger('history', 'pandas')).stdout).toContain('the ledger has nothing about "pandas"');
  });

  it('filters views by feedstock, reason and time', async () => {
    expect((await json<Failure>('failures', '--feedstock', 'scipy')).rows.map((r) => r.artifact)).toEqual([
      'linux-64/scipy-1.0-py312_0.conda',
    ]);
    expect((await json<Failure>('failures', '--reason', 'DIGEST_MISMATCH')).rows).toEqual([]);
    expect((await json<Failure>('failures', '--reason', 'SIGNATURE_INVALID')).rows).toHaveLength(2);
    expect((await json<Failure>('failures', '--since', '1h')).rows).toHaveLength(2);
    expect((await json<Failure>('failures', '--since', '2999-01-01T00:00:00Z')).rows).toEqual([]);
    expect((await json<{ artifact: string }>('publications', '--feedstock', 'numpy')).rows).toHaveLength(1);
    expect((await json<{ artifact: string }>('publications', '--feedstock', 'scipy')).rows).toEqual([]);
    const bad = await ledger('failures', '--reason', 'NOPE');
    expect(bad.code).toBe(ExitCode.USAGE);
  });

  it('says when --limit cut a view short', async () => {
    const text = await ledger('runs', '--limit', '2');
    expect(text.stdout).toContain('(showing the latest 2: more match;');
    const v = await json<{ id: number; startedAt: string; status: string }>('runs', '--limit', '2');
    expect(v).toMatchObject({ truncated: true });
    expect(v.rows.map((r) => r.id)).toEqual([3, 2]);
    expect(v.rows[0]).toMatchObject({ status: 'ok', startedAt: expect.stringMatching(/Z$/) });
    expect((await json<unknown>('runs', '--limit', '3')).truncated).toBe(false);
  });
});

describe('a ledger written by the previous schema (decisions_v1)', () => {
  it('is migrated on open: one rejection row per upload and reason, other decisions with their run time', async () => {
    const old = await Sandbox.create(join(work, 'v1'));
    mkdirSync(join(old.root, 'state'));
    const db = new Database(old.ledgerPath);
    db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
    db.exec(`
      CREATE TABLE runs_v1 (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT,
        mode TEXT NOT NULL, status TEXT NOT NULL, registry_commit TEXT, summary TEXT);
      CREATE TABLE decisions_v1 (run_id INTEGER NOT NULL REFERENCES runs_v1(id), subdir TEXT NOT NULL,
        filename TEXT NOT NULL, feedstock TEXT, decision TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL,
        detail TEXT, PRIMARY KEY (run_id, subdir, filename));
      INSERT INTO runs_v1 (started_at, mode, status) VALUES ('2026-01-01T00:00:00Z', 'apply', 'ok'),
        ('2026-01-01T00:05:00Z', 'apply', 'ok'), ('2026-01-01T00:10:00Z', 'plan', 'ok');
      INSERT INTO decisions_v1 VALUES
        (1, 'noarch', 'old-1.0-0.conda', 'old', 'reject', 'KEY_UNKNOWN', 'rejected', 'no keys'),
        (2, 'noarch', 'old-1.0-0.conda', 'old', 'reject', 'KEY_UNKNOWN', 'rejected', 'no keys'),
        (2, 'noarch', 'ok-1.0-0.conda', 'ok', 'publish', NULL, 'failed', 'network');
    `);
    db.close();
    const r = await runCli(['ledger', 'failures', '--config', old.configPath, '--json']);
    expect(r.code, r.stdout).toBe(0);
    const rows = (JSON.parse(r.stdout) as View<Failure>).rows;
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          outcome: 'rejected',
          artifact: 'noarch/old-1.0-0.conda',
          runs: 2,
          firstSeenAt: '2026-01-01T00:00:00Z',
          lastSeenAt: '2026-01-01T00:05:00Z',
        }),
        expect.objectContaining({
          outcome: 'failed',
          artifact: 'noarch/ok-1.0-0.conda',
          firstSeenAt: '2026-01-01T00:05:00Z',
        }),
      ]),
    );
    const after = new Database(old.ledgerPath, { readonly: true });
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = (
        after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      expect(tables).not.toContain('decisions_v1');
      expect(tables).toEqual(expect.arrayContaining(['decisions_v2', 'rejections_v1', 'holds_v1']));
    } finally {
      after.close();
    }
  });
});
