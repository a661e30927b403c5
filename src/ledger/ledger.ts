// The SQLite ledger (WAL): history, tombstones and report deduplication. Safety never depends on it.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { chainAfter, type LogEntry, type LoggedEntry } from '../audit/chain.js';
import { ForgegateError } from '../errors.js';
import type { Digests, PassedEvidence } from '../model.js';
import { noLedgerFacts, type LedgerFacts } from '../ports/ledger-facts.js';
import { isReasonCode } from '../reasons.js';
import { parseUtcTime } from '../util/time.js';
import { attachHandle } from './handle.js';
import { openLedger } from './open.js';

export interface DecisionRow {
  run_id: number;
  subdir: string;
  filename: string;
  feedstock: string | null;
  decision: string;
  reason: string | null;
  outcome: string;
  detail: string | null;
  /** The staged artifact (and its signatures) were deleted by this decision. */
  deleted: boolean;
  decided_at: string;
}

/** One rejection of one upload for one reason: recorded once, then only its last sighting moves. */
export interface RejectionRow {
  identity: string;
  subdir: string;
  filename: string;
  feedstock: string | null;
  reason: string;
  detail: string | null;
  run_id: number;
  at: string;
  deleted: boolean;
}

interface HoldRow {
  identity: string;
  code: string;
  detail: string;
  first_at: string;
}

/** A failure report as the ledger remembers it: delivered once, under the key report code computes. */
export interface ReportedRow {
  key: string;
  feedstock: string | null;
  commit: string | null;
  subdir: string;
  filename: string;
  reason: string;
}

export class Ledger {
  readonly #db: Database.Database;

  readonly readOnly: boolean;
  readonly #tables = new Map<string, boolean>();

  constructor(path: string, opts: { readOnly?: boolean } = {}) {
    this.readOnly = opts.readOnly ?? false;
    if (!this.readOnly) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (e) {
        throw new ForgegateError('FG_LEDGER', `cannot create the ledger folder for ${path}: ${(e as Error).message}`, {
          fix: 'Check the `ledger` path in the config and its folder permissions.',
        });
      }
    }
    this.#db = openLedger(path, { readOnly: this.readOnly });
    attachHandle(this, this.#db);
  }

  /** Run `fn` in one transaction: all of its writes land, or none (nested: a savepoint in the outer one). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /** For a plan or a view: the ledger opened read-only, or null when there is none yet (nothing is created). */
  static openReadOnly(path: string): Ledger | null {
    return existsSync(path) ? new Ledger(path, { readOnly: true }) : null;
  }

  /** Whether a table exists: a read-only ledger of an older schema (or an empty file) may lack newer ones. */
  has(table: string): boolean {
    let known = this.#tables.get(table);
    if (known === undefined) {
      known =
        this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
      this.#tables.set(table, known);
    }
    return known;
  }

  close(): void {
    this.#db.close();
  }

  startRun(mode: 'plan' | 'apply', startedAt: string): number {
    const r = this.#db
      .prepare('INSERT INTO runs_v1 (started_at, mode, status) VALUES (?, ?, ?)')
      .run(startedAt, mode, 'running');
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, finishedAt: string, status: string, registryCommit: string | null, summary: unknown): void {
    this.#db
      .prepare('UPDATE runs_v1 SET finished_at = ?, status = ?, registry_commit = ?, summary = ? WHERE id = ?')
      .run(finishedAt, status, registryCommit, JSON.stringify(summary), id);
  }

  recordDecision(row: DecisionRow): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO decisions_v2
        (run_id, subdir, filename, feedstock, decision, reason, outcome, detail, deleted, decided_at)
      VALUES (@run_id, @subdir, @filename, @feedstock, @decision, @reason, @outcome, @detail, @deleted, @decided_at)`,
      )
      .run({ ...row, deleted: row.deleted ? 1 : 0 });
  }

  /** A rejection: a new row the first time this upload is rejected for this reason, else its last sighting. */
  recordRejection(r: RejectionRow): void {
    this.#db
      .prepare(
        `INSERT INTO rejections_v1 (identity, reason, subdir, filename, feedstock, detail, first_run_id, first_seen_at,
          last_run_id, last_seen_at, runs, deleted_at)
        VALUES (@identity, @reason, @subdir, @filename, @feedstock, @detail, @run_id, @at, @run_id, @at, 1, @deleted_at)
        ON CONFLICT (identity, reason) DO UPDATE SET last_run_id = @run_id, last_seen_at = @at, runs = runs + 1,
          detail = @detail, feedstock = COALESCE(@feedstock, feedstock),
          deleted_at = COALESCE(@deleted_at, deleted_at)`,
      )
      .run({ ...r, deleted_at: r.deleted ? r.at : null });
  }

  /**
   * An admin-side failure (FG_PERMISSION) kept this upload from being published: remembered so that, should its
   * statement expire meanwhile, the rejection goes to the administrators and never to the maintainers.
   */
  recordHold(identity: string, subdir: string, filename: string, code: string, detail: string, at: string): void {
    this.#db
      .prepare(
        `INSERT INTO holds_v1 (identity, subdir, filename, code, detail, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (identity) DO UPDATE SET code = excluded.code, detail = excluded.detail,
          last_at = excluded.last_at`,
      )
      .run(identity, subdir, filename, code, detail, at, at);
  }

  /** A run stopped by a signal: say so, instead of leaving it `running` forever. */
  markInterrupted(id: number, at: string, signal: string): void {
    this.#db
      .prepare("UPDATE runs_v1 SET finished_at = ?, status = ? WHERE id = ? AND status = 'running'")
      .run(at, `interrupted (${signal})`, id);
  }

  /** Under the lock, any other run still `running` died without a word (SIGKILL, power loss): say so. */
  markAbandoned(currentId: number): void {
    this.#db
      .prepare("UPDATE runs_v1 SET status = 'interrupted (died)' WHERE status = 'running' AND id <> ?")
      .run(currentId);
  }

  recordPublication(p: {
    subdir: string;
    filename: string;
    label: string;
    digests: Digests;
    feedstock: string | null;
    runId: number | null;
    at: string;
  }): boolean {
    const r = this.#db
      .prepare(
        `INSERT OR IGNORE INTO publications_v1
        (subdir, filename, label, sha256, md5, size, feedstock, run_id, published_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.subdir, p.filename, p.label, p.digests.sha256, p.digests.md5, p.digests.size, p.feedstock, p.runId, p.at);
    return r.changes > 0;
  }

  /**
   * The evidence a publication rests on, for later audit: each passing piece's file and sha256, and the key id, or
   * the publisher, signing time, Rekor log id and index and trusted root's sha256.
   */
  recordEvidence(p: {
    subdir: string;
    filename: string;
    label: string;
    evidence: readonly PassedEvidence[];
    runId: number | null;
    at: string;
  }): void {
    const insert = this.#db.prepare(
      `INSERT OR IGNORE INTO evidence_v1
        (subdir, filename, label, evidence, file, sha256, keyid, publisher, signing_time, log_id, log_index,
         trusted_root_sha256, run_id, recorded_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of p.evidence) {
      const k = e.evidence === 'sigstore.json' ? e : null;
      insert.run(
        p.subdir,
        p.filename,
        p.label,
        e.evidence,
        e.file,
        e.evidence === 'sig' ? e.sha256 : e.bundleSha256,
        e.evidence === 'sig' ? e.keyid : null,
        k?.publisher ?? null,
        k?.signingTime ?? null,
        k?.logs.map((l) => l.logId).join(' ') ?? null,
        k?.logs.map((l) => l.logIndex).join(' ') ?? null,
        k?.trustedRootSha256 ?? null,
        p.runId,
        p.at,
      );
    }
  }

  /** Every evidence row of a published file (audits, `ledger` commands). */
  evidenceOf(subdir: string, filename: string): Record<string, unknown>[] {
    return this.#db
      .prepare('SELECT * FROM evidence_v1 WHERE subdir = ? AND filename = ? ORDER BY label, evidence, file')
      .all(subdir, filename) as Record<string, unknown>[];
  }

  /** What an administrator did to the channel through forgegate (a yank), for history and audits. */
  recordAdminAction(a: { action: 'yank'; subdir: string; filename: string; detail: string; at: string }): void {
    this.#db
      .prepare('INSERT INTO admin_actions_v1 (action, subdir, filename, detail, acted_at) VALUES (?, ?, ?, ?, ?)')
      .run(a.action, a.subdir, a.filename, a.detail, a.at);
  }

  /**
   * Append one entry to the hash-chained publication log, after its head. Call it inside the transaction that
   * records what it logs, so the log and the tables never disagree.
   */
  recordLogEntry(entry: Omit<LogEntry, 'seq' | 'prev'>): LoggedEntry {
    const e = chainAfter(this.logHead(), entry);
    this.#db
      .prepare('INSERT INTO publication_log_v1 (seq, subdir, filename, entry, hash) VALUES (?, ?, ?, ?, ?)')
      .run(e.seq, e.subdir, e.filename, JSON.stringify(e), e.hash);
    return e;
  }

  /** The log's last entry (its seq and hash), or null while it is empty. */
  logHead(): { seq: number; hash: string } | null {
    if (!this.has('publication_log_v1')) return null;
    const row = this.#db.prepare('SELECT seq, hash FROM publication_log_v1 ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    return row ?? null;
  }

  /**
   * The log's rows in seq order (of one subdir, by its indexed column, when given), as stored: the entry's JSON
   * text, unchecked (src/audit/ checks the chain). Streamed: never all in memory.
   */
  *logRows(subdir?: string): IterableIterator<{ seq: number; subdir: string; filename: string; entry: string }> {
    if (!this.has('publication_log_v1')) return;
    const sql =
      subdir === undefined
        ? 'SELECT seq, subdir, filename, entry FROM publication_log_v1 ORDER BY seq'
        : 'SELECT seq, subdir, filename, entry FROM publication_log_v1 WHERE subdir = ? ORDER BY seq';
    const stmt = this.#db.prepare(sql);
    yield* (subdir === undefined ? stmt.iterate() : stmt.iterate(subdir)) as IterableIterator<{
      seq: number;
      subdir: string;
      filename: string;
      entry: string;
    }>;
  }

  /** Per package name of one subdir, the fingerprint of its files at the last audit. */
  auditFingerprints(subdir: string): Map<string, string> {
    if (!this.has('audit_names_v1')) return new Map();
    const rows = this.#db.prepare('SELECT name, fingerprint FROM audit_names_v1 WHERE subdir = ?').all(subdir) as {
      name: string;
      fingerprint: string;
    }[];
    return new Map(rows.map((r) => [r.name, r.fingerprint]));
  }

  /** Remember these names' fingerprints; forget `changed` ones, so the next audit looks them up again. */
  recordAuditFingerprints(
    subdir: string,
    fingerprints: ReadonlyMap<string, string>,
    changed: Iterable<string>,
    at: string,
  ): void {
    const put = this.#db.prepare(
      `INSERT INTO audit_names_v1 (subdir, name, fingerprint, audited_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (subdir, name) DO UPDATE SET fingerprint = excluded.fingerprint, audited_at = excluded.audited_at`,
    );
    const drop = this.#db.prepare('DELETE FROM audit_names_v1 WHERE subdir = ? AND name = ?');
    this.transaction(() => {
      for (const [name, fp] of fingerprints) put.run(subdir, name, fp, at);
      for (const name of changed) drop.run(subdir, name);
    });
  }

  /** The hash of log entry `seq`, or null when the log has none. */
  logHashAt(seq: number): string | null {
    if (!this.has('publication_log_v1')) return null;
    const row = this.#db.prepare('SELECT hash FROM publication_log_v1 WHERE seq = ?').get(seq) as
      { hash: string } | undefined;
    return row?.hash ?? null;
  }

  /** The latest publish entry of one file, for what a yank moved (null: the gate never published it). */
  lastPublishEntry(subdir: string, filename: string): LoggedEntry | null {
    if (!this.has('publication_log_v1')) return null;
    const rows = this.#db
      .prepare('SELECT entry FROM publication_log_v1 WHERE subdir = ? AND filename = ? ORDER BY seq DESC')
      .all(subdir, filename) as { entry: string }[];
    for (const r of rows) {
      const e = JSON.parse(r.entry) as LoggedEntry;
      if (e.kind === 'publish') return e;
    }
    return null;
  }

  recordVerifyFailure(
    identity: string,
    subdir: string,
    filename: string,
    reason: string,
    detail: string,
    at: string,
  ): void {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO verify_failures_v1 (identity, subdir, filename, reason, detail, recorded_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(identity, subdir, filename, reason, detail, at);
  }

  /** The facts the planner may use: only for names that are staged now, and the sightings of what is staged. */
  lookup(keys: Iterable<string>, sightings: Iterable<string> = []): LedgerFacts {
    const facts = noLedgerFacts();
    // An empty ledger file (a plan opens it read-only and creates nothing) has no tables yet.
    if (!this.has('sightings_v1')) return facts;
    const seen = this.#db.prepare('SELECT first_seen_at FROM sightings_v1 WHERE identity = ?');
    for (const identity of sightings) {
      const row = seen.get(identity) as { first_seen_at: string } | undefined;
      const at = row === undefined ? null : parseUtcTime(row.first_seen_at);
      if (at !== null) facts.firstSeen.set(identity, at);
    }
    const pub = this.#db.prepare('SELECT label, sha256 FROM publications_v1 WHERE subdir = ? AND filename = ?');
    const fail = this.#db.prepare(
      'SELECT identity, reason, detail FROM verify_failures_v1 WHERE subdir = ? AND filename = ?',
    );
    const hold = this.has('holds_v1')
      ? this.#db.prepare('SELECT identity, code, detail, first_at FROM holds_v1 WHERE subdir = ? AND filename = ?')
      : null;
    for (const key of keys) {
      const slash = key.indexOf('/');
      const [subdir, filename] = [key.slice(0, slash), key.slice(slash + 1)];
      const rows = pub.all(subdir, filename) as { label: string; sha256: string }[];
      if (rows.length > 0) facts.publications.set(key, rows);
      for (const f of fail.all(subdir, filename) as { identity: string; reason: string; detail: string }[]) {
        if (isReasonCode(f.reason)) facts.verifyFailures.set(f.identity, { reason: f.reason, detail: f.detail });
      }
      for (const h of (hold?.all(subdir, filename) ?? []) as HoldRow[]) {
        const since = parseUtcTime(h.first_at);
        if (since !== null) facts.holds.set(h.identity, { code: h.code, detail: h.detail, sinceMs: since });
      }
    }
    return facts;
  }

  /**
   * Remember when these staged files were first seen (`at`, the machine clock), keeping earlier sightings; forget
   * sightings of files no longer staged, so an upload that comes back later starts afresh.
   */
  recordSightings(identities: Iterable<string>, at: string): void {
    this.#db.transaction(() => {
      this.#db.exec('CREATE TEMP TABLE IF NOT EXISTS staged_now (identity TEXT PRIMARY KEY); DELETE FROM staged_now;');
      const add = this.#db.prepare('INSERT OR IGNORE INTO staged_now (identity) VALUES (?)');
      for (const identity of identities) add.run(identity);
      this.#db
        .prepare('INSERT OR IGNORE INTO sightings_v1 (identity, first_seen_at) SELECT identity, ? FROM staged_now')
        .run(at);
      this.#db.exec('DELETE FROM sightings_v1 WHERE identity NOT IN (SELECT identity FROM staged_now)');
    })();
  }

  /** Say that one staged file was first seen at `at` (the demo and tests stand in for an earlier run with it). */
  markSeen(identity: string, at: string): void {
    this.#db.prepare('INSERT OR REPLACE INTO sightings_v1 (identity, first_seen_at) VALUES (?, ?)').run(identity, at);
  }

  /** When the latest run started (the machine clock then), or null before the first run. */
  lastRunStartedAt(): number | null {
    if (!this.has('runs_v1')) return null;
    const row = this.#db.prepare('SELECT started_at FROM runs_v1 ORDER BY id DESC LIMIT 1').get() as
      { started_at: string } | undefined;
    return row === undefined ? null : parseUtcTime(row.started_at);
  }

  wasReported(key: string): boolean {
    return this.#db.prepare('SELECT 1 FROM reports_v1 WHERE report_key = ?').get(key) !== undefined;
  }

  markReported(r: ReportedRow, at: string): void {
    this.#db
      .prepare(
        'INSERT OR IGNORE INTO reports_v1 (report_key, feedstock, commit_id, subdir, filename, reason, sent_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(r.key, r.feedstock, r.commit, r.subdir, r.filename, r.reason, at);
  }
}
