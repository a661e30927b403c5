// A temporary SQLite database that sorts what an audit reads, so memory does not grow with the channel: one subdir's
// copies (every label, read index by index in whatever order the index has) and the checked publication log go to
// disk, and come back sorted by file name. Not the ledger, but here because SQLite handles live in ledger/. Created
// in a private folder under the OS temp dir (or `parent`), deleted on close; rollback journal in memory (one batch's
// pages; better-sqlite3's defensive mode refuses journal_mode OFF), no WAL, no sync: scratch space for one audit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LoggedEntry } from '../audit/chain.js';
import type { ChannelCopy, LogFacts } from '../audit/compare.js';
import type { InventoryFile } from '../ports/inventory.js';

/** One fact about one copy: from the index, from storage, or both; the spill merges facts of one (file, label). */
export type CopyFact = Omit<InventoryFile, 'subdir'>;

/** Rows per transaction while filling: one commit per batch keeps inserts fast and the in-memory journal small. */
const BATCH = 20_000;
/** Page cache of the scratch database: a fixed bound, whatever the channel's size. */
const CACHE_KIB = 32 * 1024;

const SCHEMA = `
CREATE TABLE copies (
  filename TEXT NOT NULL, label TEXT NOT NULL, ord INTEGER NOT NULL,
  indexed TEXT, stored_seen INTEGER NOT NULL, stored_size INTEGER, stored_digests TEXT, uploaded_at TEXT,
  advertised TEXT, served TEXT,
  PRIMARY KEY (filename, label)) WITHOUT ROWID;
CREATE TABLE log (
  subdir TEXT NOT NULL, filename TEXT NOT NULL, seq INTEGER NOT NULL, facts TEXT NOT NULL,
  PRIMARY KEY (subdir, filename, seq)) WITHOUT ROWID;
`;

export class AuditSpill {
  readonly #dir: string;
  readonly #db: Database.Database;
  readonly #putCopy: Database.Statement;
  readonly #putLog: Database.Statement;
  readonly #setTime: Database.Statement;
  #pending = 0;

  constructor(parent: string = tmpdir()) {
    this.#dir = mkdtempSync(join(parent, 'forgegate-audit-'));
    try {
      this.#db = new Database(join(this.#dir, 'spill.sqlite'));
      this.#db.pragma('journal_mode = MEMORY');
      this.#db.pragma('synchronous = OFF');
      this.#db.pragma(`cache_size = -${CACHE_KIB}`);
      this.#db.pragma('temp_store = FILE');
      this.#db.exec(SCHEMA);
    } catch (e) {
      rmSync(this.#dir, { recursive: true, force: true });
      throw e;
    }
    // Two facts about one copy merge: the index's digests, storage's size and time; the last of each kind wins.
    this.#putCopy = this.#db.prepare(
      `INSERT INTO copies (filename, label, ord, indexed, stored_seen, stored_size, stored_digests, uploaded_at,
         advertised, served)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (filename, label) DO UPDATE SET
         indexed = coalesce(excluded.indexed, indexed),
         stored_seen = max(stored_seen, excluded.stored_seen),
         stored_size = coalesce(excluded.stored_size, stored_size),
         stored_digests = coalesce(excluded.stored_digests, stored_digests),
         uploaded_at = coalesce(excluded.uploaded_at, uploaded_at),
         advertised = coalesce(excluded.advertised, advertised),
         served = coalesce(excluded.served, served)`,
    );
    this.#putLog = this.#db.prepare('INSERT INTO log (subdir, filename, seq, facts) VALUES (?, ?, ?, ?)');
    this.#setTime = this.#db.prepare('UPDATE copies SET uploaded_at = ? WHERE filename = ? AND label = ?');
  }

  #write(run: () => void): void {
    if (this.#pending === 0) this.#db.exec('BEGIN');
    run();
    if (++this.#pending >= BATCH) this.flush();
  }

  /** Commit what was written so far (reads see it only then). */
  flush(): void {
    if (this.#pending === 0) return;
    this.#db.exec('COMMIT');
    this.#pending = 0;
  }

  /** Forget the copies of the last subdir. */
  clearCopies(): void {
    this.flush();
    this.#db.exec('DELETE FROM copies');
  }

  /** One fact about a copy; `ord` orders a file's labels as the indexes were listed. */
  putCopy(f: CopyFact, ord: number): void {
    this.#write(() =>
      this.#putCopy.run(
        f.filename,
        f.label,
        ord,
        f.indexed === null ? null : JSON.stringify([f.indexed.sha256, f.indexed.md5, f.indexed.size]),
        f.storedSize === undefined ? 0 : 1,
        f.storedSize ?? null,
        f.storedDigests ? JSON.stringify([f.storedDigests.sha256, f.storedDigests.md5]) : null,
        f.uploadedAt,
        // JSON, so that "none" (null) and "not read" (SQL NULL) stay apart through the merge.
        f.advertised === undefined ? null : JSON.stringify(f.advertised),
        f.served === undefined ? null : JSON.stringify(f.served),
      ),
    );
  }

  /** An upload time read after the index (anaconda.org's `/package`), for a copy the index listed. */
  setUploadTime(filename: string, label: string, at: string): void {
    this.#write(() => this.#setTime.run(at, filename, label));
  }

  /** Every file of the subdir being read, sorted by name: label → copy, labels in index order. */
  *copies(): Generator<[string, Map<string, ChannelCopy>]> {
    this.flush();
    const rows = this.#db
      .prepare(
        `SELECT filename, label, indexed, stored_seen, stored_size, stored_digests, uploaded_at, advertised, served
         FROM copies ORDER BY filename, ord`,
      )
      .iterate() as IterableIterator<{
      filename: string;
      label: string;
      indexed: string | null;
      stored_seen: number;
      stored_size: number | null;
      stored_digests: string | null;
      uploaded_at: string | null;
      advertised: string | null;
      served: string | null;
    }>;
    let name: string | null = null;
    let group = new Map<string, ChannelCopy>();
    for (const r of rows) {
      if (r.filename !== name) {
        if (name !== null) yield [name, group];
        name = r.filename;
        group = new Map();
      }
      const d = r.indexed === null ? null : (JSON.parse(r.indexed) as [string, string, number]);
      const s = r.stored_digests === null ? null : (JSON.parse(r.stored_digests) as [string, string]);
      group.set(r.label, {
        indexed: d === null ? null : { sha256: d[0], md5: d[1], size: d[2] },
        uploadedAt: r.uploaded_at,
        ...(r.stored_seen === 1 ? { storedSize: r.stored_size } : {}),
        ...(s !== null ? { storedDigests: { sha256: s[0], md5: s[1] } } : {}),
        ...(r.advertised !== null ? { advertised: JSON.parse(r.advertised) as string | null } : {}),
        ...(r.served !== null ? { served: JSON.parse(r.served) as string | null } : {}),
      });
    }
    if (name !== null) yield [name, group];
  }

  /** One checked log entry (call in chain order; only what the comparison needs is kept). */
  putLog(subdir: string, e: LoggedEntry): void {
    const facts: LogFacts = {
      seq: e.seq,
      kind: e.kind,
      filename: e.filename,
      labels: e.labels,
      sha256: e.sha256,
      md5: e.md5,
      size: e.size,
      uploadedAt: e.uploadedAt,
      ...(e.attestations !== undefined ? { attestations: e.attestations } : {}),
    };
    this.#write(() => this.#putLog.run(subdir, e.filename, e.seq, JSON.stringify(facts)));
  }

  /** The log entries of one subdir, by file name, then seq. */
  *log(subdir: string): Generator<LogFacts> {
    this.flush();
    const rows = this.#db
      .prepare('SELECT facts FROM log WHERE subdir = ? ORDER BY filename, seq')
      .iterate(subdir) as IterableIterator<{ facts: string }>;
    for (const r of rows) yield JSON.parse(r.facts) as LogFacts;
  }

  close(): void {
    try {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#db.close();
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }
}
