// A run lock with expiry in the ledger: two overlapping runs never both apply.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ForgegateError } from '../errors.js';
import { dbOf } from './handle.js';
import type { Ledger } from './ledger.js';

export const LOCK_TTL_MS = 10 * 60_000;
const LOCK_NAME = 'reconcile';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RunLock {
  readonly owner = randomUUID();
  #ledger: Ledger;
  #timer: NodeJS.Timeout | null = null;

  constructor(ledger: Ledger) {
    this.#ledger = ledger;
  }

  /** Take the lock or throw FG_LOCKED. A holder that expired, or died on this host, is replaced. */
  acquire(nowMs = Date.now(), ttlMs = LOCK_TTL_MS): void {
    const db = dbOf(this.#ledger);
    const take = db.transaction(() => {
      const row = db.prepare('SELECT owner, host, pid, expires_at FROM lock_v1 WHERE name = ?').get(LOCK_NAME) as
        { owner: string; host: string; pid: number; expires_at: number } | undefined;
      const deadHere = row !== undefined && row.host === hostname() && !alive(row.pid);
      if (row !== undefined && row.expires_at > nowMs && !deadHere) {
        throw new ForgegateError(
          'FG_LOCKED',
          `another run holds the ledger lock (pid ${row.pid} on ${row.host}, until ` +
            `${new Date(row.expires_at).toISOString()})`,
          {
            fix:
              'Nothing to do: the other run is working. Schedule runs so they do not overlap ' +
              '(cron uses flock; GitHub uses a concurrency group).',
            transient: true,
          },
        );
      }
      db.prepare(
        'INSERT OR REPLACE INTO lock_v1 (name, owner, host, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(LOCK_NAME, this.owner, hostname(), process.pid, nowMs, nowMs + ttlMs);
    });
    take.immediate();
    // Renew while we work, so a long apply is never taken over.
    this.#timer = setInterval(() => this.#renew(ttlMs), Math.max(1000, ttlMs / 3));
    this.#timer.unref();
  }

  #renew(ttlMs: number): void {
    dbOf(this.#ledger)
      .prepare('UPDATE lock_v1 SET expires_at = ? WHERE name = ? AND owner = ?')
      .run(Date.now() + ttlMs, LOCK_NAME, this.owner);
  }

  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    dbOf(this.#ledger).prepare('DELETE FROM lock_v1 WHERE name = ? AND owner = ?').run(LOCK_NAME, this.owner);
  }
}
