import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import { LEDGER_APPLICATION_ID } from '../../src/ledger/open.js';
import { runs } from '../../src/ledger/views.js';

const work = mkdtempSync(join(tmpdir(), 'fg-ledger-open-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('opening the ledger', () => {
  it('marks a new ledger as forgegate’s with its application id', () => {
    const path = join(work, 'new.db');
    new Ledger(path).close();
    const db = new Database(path);
    expect(db.pragma('application_id', { simple: true })).toBe(LEDGER_APPLICATION_ID);
    db.close();
  });

  it('adopts a ledger written before the application id existed, keeping its rows', () => {
    const path = join(work, 'legacy.db');
    const old = new Database(path);
    old.exec(
      'CREATE TABLE runs_v1 (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT, ' +
        'mode TEXT NOT NULL, status TEXT NOT NULL, registry_commit TEXT, summary TEXT); INSERT INTO runs_v1 ' +
        "(started_at, mode, status) VALUES ('2026-01-01T00:00:00Z', 'apply', 'ok');",
    );
    old.close();
    const ledger = new Ledger(path);
    expect(runs(ledger, { limit: 10 }).rows.map((r) => r.startedAt)).toEqual(['2026-01-01T00:00:00Z']);
    ledger.close();
  });

  it('refuses a database holding tables forgegate never creates', () => {
    const path = join(work, 'mixed.db');
    const db = new Database(path);
    db.exec('CREATE TABLE runs_v1 (id INTEGER); CREATE TABLE invoices (id INTEGER);');
    db.close();
    expect(() => new Ledger(path)).toThrow(expect.objectContaining({ code: 'FG_LEDGER_INVALID', exitCode: 8 }));
  });
});
