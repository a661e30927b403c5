// The publication log in a real ledger: a publish is logged with the upload time read back right after it (the
// folder channel's mtime) and its evidence, a yank as a move, `audit manifest` exports it, the ledger refuses to
// update or delete a log row, and an edit made anyway (triggers dropped) is caught. An older ledger is migrated.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { chainAfter, type LogEntry } from '../../src/audit/chain.js';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e audit-log '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPEC = { name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' } as const;

async function published(name: string): Promise<{ sb: Sandbox; filename: string }> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  const built = await sb.build(SPEC);
  await sb.stage(built, { feedstock: 'app' });
  const r = await runCli(['reconcile', '--config', sb.configPath]);
  expect(r.code, r.stderr).toBe(0);
  return { sb, filename: built.filename };
}

function logEntries(sb: Sandbox): Record<string, unknown>[] {
  const db = new Database(sb.ledgerPath, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM publication_log_v1 ORDER BY seq').all() as { entry: string }[]).map(
      (r) => JSON.parse(r.entry) as Record<string, unknown>,
    );
  } finally {
    db.close();
  }
}

describe('publication log', () => {
  it('logs a publish with the mtime read back and its evidence, a yank as a move; the manifest holds both', async () => {
    const { sb, filename } = await published('log');
    const [entry] = logEntries(sb);
    const mtime = statSync(join(sb.channelDir, 'noarch', filename)).mtimeMs;
    expect(entry).toMatchObject({
      seq: 1,
      kind: 'publish',
      subdir: 'noarch',
      filename,
      labels: ['main'],
      uploadedAt: new Date(Math.floor(mtime)).toISOString(),
      evidence: expect.stringMatching(/^app: key [0-9a-f]{64} \(app-1\.0-h0_0\.conda\.sig\)$/) as unknown,
      prev: '0'.repeat(64),
    });
    const yank = await runCli(['yank', '--config', sb.configPath, '--reason', 'bad', `noarch/${filename}`]);
    expect(yank.code, yank.stderr).toBe(0);
    const entries = logEntries(sb);
    expect(entries[1]).toMatchObject({
      seq: 2,
      kind: 'yank',
      labels: ['broken'],
      from: ['main'],
      sha256: entry!['sha256'],
      evidence: 'admin yank: bad',
      prev: entry!['hash'],
    });

    const out = join(work, 'manifest.jsonl');
    const r = await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ formatVersion: 1, manifest: out, entries: 2, head: entries[1]!['hash'] });
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      ...entries,
      { manifest: 'forgegate publication log', formatVersion: 1, count: 2, head: entries[1]!['hash'] },
    ]);
  });

  it('the ledger refuses to update or delete a log row; an edit with the triggers dropped is FG_AUDIT_TAMPERED', async () => {
    const { sb } = await published('tamper');
    const db = new Database(sb.ledgerPath);
    try {
      expect(() => db.prepare('UPDATE publication_log_v1 SET hash = ?').run('x')).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM publication_log_v1').run()).toThrow(/append-only/);
      db.exec('DROP TRIGGER publication_log_v1_no_update');
      const row = db.prepare('SELECT entry FROM publication_log_v1 WHERE seq = 1').get() as { entry: string };
      const edited = { ...(JSON.parse(row.entry) as Record<string, unknown>), sha256: 'f'.repeat(64) };
      db.prepare('UPDATE publication_log_v1 SET entry = ? WHERE seq = 1').run(JSON.stringify(edited));
    } finally {
      db.close();
    }
    const r = await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', join(work, 'm2.jsonl')]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/error\[FG_AUDIT_TAMPERED\].*entry 1: was changed after it was written/);
  });

  it('a schema 3 ledger is migrated: its publications become log entries, without upload time or evidence', async () => {
    const { sb, filename } = await published('migrate');
    const db = new Database(sb.ledgerPath);
    try {
      db.exec(
        'DROP TRIGGER publication_log_v1_no_delete; DELETE FROM publication_log_v1; DROP TABLE publication_log_v1;',
      );
      db.pragma('user_version = 3');
    } finally {
      db.close();
    }
    const r = await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', join(work, 'm3.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(logEntries(sb)).toEqual([
      expect.objectContaining({ seq: 1, kind: 'publish', filename, uploadedAt: null, evidence: null }),
    ]);
  });

  it('a ledger rewritten whole (every hash recomputed) no longer holds the manifest kept elsewhere', async () => {
    const { sb } = await published('rewritten');
    const manifest = join(work, 'm4.jsonl');
    expect((await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', manifest])).code).toBe(0);
    const db = new Database(sb.ledgerPath);
    try {
      // Whoever holds the ledger file forges a consistent chain: entry 1 with another upload time, re-hashed.
      const row = db.prepare('SELECT entry FROM publication_log_v1 WHERE seq = 1').get() as { entry: string };
      const { seq: _s, prev: _p, hash: _h, ...rest } = JSON.parse(row.entry) as Record<string, unknown>;
      const forged = chainAfter(null, {
        ...(rest as unknown as Omit<LogEntry, 'seq' | 'prev'>),
        uploadedAt: '2030-01-01T00:00:00.000Z',
      });
      db.exec('DROP TRIGGER publication_log_v1_no_update');
      db.prepare('UPDATE publication_log_v1 SET entry = ?, hash = ? WHERE seq = 1').run(
        JSON.stringify(forged),
        forged.hash,
      );
    } finally {
      db.close();
    }
    // The forged ledger verifies on its own...
    expect((await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', join(work, 'm5.jsonl')])).code).toBe(
      0,
    );
    // ...but not against the manifest kept where the channel token cannot write.
    const r = await runCli(['audit', '--config', sb.configPath, '--manifest', manifest, '--no-report']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/FG_AUDIT_TAMPERED.*does not contain the manifest/);
  });
});
