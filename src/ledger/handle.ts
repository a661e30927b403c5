// The SQLite handle behind a Ledger, for the ledger's own modules (views, the run lock) only: everything outside
// ledger/ goes through the Ledger's typed methods. The architecture test keeps it that way.
import type Database from 'better-sqlite3';
import type { Ledger } from './ledger.js';

const handles = new WeakMap<Ledger, Database.Database>();

export function attachHandle(ledger: Ledger, db: Database.Database): void {
  handles.set(ledger, db);
}

export function dbOf(ledger: Ledger): Database.Database {
  const db = handles.get(ledger);
  if (db === undefined) throw new Error('ledger handle missing (bug)');
  return db;
}
