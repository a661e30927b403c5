// Time passing, as the ledger sees it: a run that applies always uses the machine clock, so tests make what an
// earlier run saw older instead of moving the clock.
import Database from 'better-sqlite3';
import { toUtcString } from '../../src/util/time.js';

/** Every staged file the ledger remembers now counts as first seen `ms` before now. */
export function backdateSightings(ledgerPath: string, ms: number): void {
  // The SQLite file itself, as an administrator's tool would edit it: forgegate's Ledger keeps its handle inside.
  const db = new Database(ledgerPath);
  try {
    db.prepare('UPDATE sightings_v1 SET first_seen_at = ?').run(toUtcString(Date.now() - ms));
  } finally {
    db.close();
  }
}

/** The latest run recorded in the ledger says it started at `atMs` (a clock that has since moved). */
export function setLastRunStart(ledgerPath: string, atMs: number): void {
  const db = new Database(ledgerPath);
  try {
    db.prepare('UPDATE runs_v1 SET started_at = ? WHERE id = (SELECT max(id) FROM runs_v1)').run(toUtcString(atMs));
  } finally {
    db.close();
  }
}
