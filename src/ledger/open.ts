// Open the ledger, or say exactly why not. A corrupt, truncated or foreign file is the operator's to move aside
// (always safe: a lost ledger can delay a deletion, never cause one), not a bug; a file forgegate did not create is
// never written to.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ForgegateError, isForgegateError } from '../errors.js';
import { migrate } from './migrate.js';
import { LEGACY_TABLES, SCHEMA, SCHEMA_VERSION, TABLES } from './schema.js';

/** `PRAGMA application_id` of every ledger forgegate creates ("FGLG"). */
export const LEDGER_APPLICATION_ID = 0x46474c47;

const OPEN_ATTEMPTS = 50;
const OPEN_RETRY_MS = 100;
const CORRUPT = /^SQLITE_(CORRUPT|NOTADB)/;

function moveAside(path: string): string {
  return (
    `Move it aside, with its -wal and -shm files (mv '${path}' '${path}.broken'); that is always safe: the next ` +
    'run starts a new ledger.'
  );
}

export function invalidLedger(path: string, what: string): ForgegateError {
  return new ForgegateError('FG_LEDGER_INVALID', `the ledger ${path} ${what}`, { fix: moveAside(path) });
}

/** A SQLite error met while using the ledger, as the error an operator can act on; anything else unchanged. */
export function asLedgerError(e: unknown, path: string): unknown {
  if (isForgegateError(e)) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return e;
  if (CORRUPT.test(code)) return invalidLedger(path, `is damaged (${(e as Error).message})`);
  if (code.startsWith('SQLITE_BUSY'))
    return new ForgegateError('FG_LOCKED', `the ledger ${path} stayed locked by another process`, {
      transient: true,
      fix: 'Another run is using the ledger; this run did nothing. Schedule runs so they do not overlap.',
    });
  return new ForgegateError('FG_LEDGER', `cannot use the ledger ${path}: ${(e as Error).message}`, {
    fix: 'Check the `ledger` path in the config, the free space and the permissions of its folder.',
  });
}

/** Refuse a file forgegate did not create, and a damaged one, before anything writes to it. */
function checkIdentity(db: Database.Database, path: string): 'ours' | 'new' {
  const id = db.pragma('application_id', { simple: true }) as number;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
    (t) => t.name,
  );
  const onlyOurs = tables.every((t) => TABLES.includes(t) || LEGACY_TABLES.includes(t) || t === 'sqlite_sequence');
  // Ledgers from before the application id was set are recognised by their tables.
  const legacy = id === 0 && tables.includes('runs_v1') && onlyOurs;
  if (id !== LEDGER_APPLICATION_ID && !legacy && !(id === 0 && tables.length === 0))
    throw invalidLedger(path, 'is not a forgegate ledger (another SQLite database)');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (id === LEDGER_APPLICATION_ID && version > SCHEMA_VERSION)
    throw new ForgegateError(
      'FG_LEDGER_INVALID',
      `the ledger ${path} has schema version ${version}, written by a newer forgegate (this one knows ` +
        `${SCHEMA_VERSION})`,
      { fix: 'Run the newer forgegate that wrote it; never an older one on a newer ledger.' },
    );
  const check = db.pragma('quick_check') as { quick_check: string }[];
  if (check.length !== 1 || check[0]!.quick_check !== 'ok')
    throw invalidLedger(
      path,
      `is damaged (${(check[0]?.quick_check ?? 'no answer').split('\n').slice(0, 2).join(' ')})`,
    );
  return id === LEDGER_APPLICATION_ID ? 'ours' : 'new';
}

/**
 * SQLite opens a WAL database read-only only by creating its -wal and -shm files beside it, which a read-only
 * folder forbids and a plan must not leave behind. Without a -wal file the main file holds every committed row, so
 * a plan reads an in-memory copy of it; with one (a run is using the ledger, or one crashed), it reads through it.
 */
function openReadOnly(path: string): Database.Database {
  if (existsSync(`${path}-wal`)) return new Database(path, { timeout: 5000, readonly: true, fileMustExist: true });
  const bytes = readFileSync(path);
  // The header's read/write versions say WAL (2); a copy in memory has no -wal to read, so it says rollback (1).
  if (bytes.length >= 100 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  return new Database(bytes);
}

/**
 * Open and prepare the ledger. Switching to WAL does not wait on SQLite's busy timeout, so two runs starting
 * together can see "database is locked" here: retry for a few seconds, then say another run is busy with it.
 */
export function openLedger(path: string, opts: { readOnly?: boolean } = {}): Database.Database {
  for (let attempt = 1; ; attempt++) {
    let db: Database.Database | null = null;
    try {
      // Read-only (plans): nothing is created, converted or migrated; an older schema is read as it is.
      db = opts.readOnly ? openReadOnly(path) : new Database(path, { timeout: 5000 });
      const state = checkIdentity(db, path);
      if (opts.readOnly) return db;
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      migrate(db);
      if (state === 'new') db.pragma(`application_id = ${LEDGER_APPLICATION_ID}`);
      return db;
    } catch (e) {
      db?.close();
      const err = asLedgerError(e, path);
      if (isForgegateError(err) && err.code === 'FG_LOCKED' && attempt < OPEN_ATTEMPTS) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OPEN_RETRY_MS);
        continue;
      }
      if (isForgegateError(err)) throw err;
      throw new ForgegateError('FG_LEDGER', `cannot open ledger ${path}: ${(e as Error).message}`, {
        fix: 'Check the `ledger` path in the config and its folder permissions.',
      });
    }
  }
}
