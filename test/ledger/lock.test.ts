import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import { RunLock } from '../../src/ledger/lock.js';

const work = mkdtempSync(join(tmpdir(), 'fg-ledger-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('run lock in the ledger', () => {
  it('lets only one of two runs hold it, and frees it on release', () => {
    const path = join(work, 'a.db');
    const [l1, l2] = [new Ledger(path), new Ledger(path)];
    const [a, b] = [new RunLock(l1), new RunLock(l2)];
    a.acquire();
    expect(() => b.acquire()).toThrow(expect.objectContaining({ code: 'FG_LOCKED' }));
    a.release();
    expect(() => b.acquire()).not.toThrow();
    b.release();
    l1.close();
    l2.close();
  });

  it('takes over a lock whose holder expired or died on this host', () => {
    const path = join(work, 'b.db');
    const ledger = new Ledger(path);
    const db = new Database(path);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    db.prepare('INSERT INTO lock_v1 (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      'reconcile',
      'x',
      hostname(),
      Number(dead),
      Date.now(),
      Date.now() + 60_000,
    );
    const lock = new RunLock(ledger);
    expect(() => lock.acquire()).not.toThrow();
    lock.release();
    db.prepare('INSERT INTO lock_v1 (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      'reconcile',
      'y',
      'another-host',
      1,
      Date.now() - 120_000,
      Date.now() - 60_000,
    );
    expect(() => lock.acquire()).not.toThrow();
    lock.release();
    db.close();
    ledger.close();
  });

  it('keeps a live holder on another host until its lock expires', () => {
    const ledger = new Ledger(join(work, 'c.db'));
    const db = new Database(join(work, 'c.db'));
    db.prepare('INSERT INTO lock_v1 (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      'reconcile',
      'z',
      'another-host',
      1,
      Date.now(),
      Date.now() + 60_000,
    );
    expect(() => new RunLock(ledger).acquire()).toThrow(/another run holds the ledger lock/);
    db.close();
    ledger.close();
  });
});
