// The SQLite ledger (WAL): history, tombstones and report deduplication. Safety never depends on it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { ForgegateError } from '../errors.js';
import type { Digests, FailureReport } from '../model.js';
import type { Decision, LedgerFacts } from '../plan/types.js';
import { isReasonCode } from '../reasons.js';
import { UNATTRIBUTED, safeCommit, safeFeedstock } from '../reports/attribution.js';
import { openLedger } from './open.js';

export interface RunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  mode: string;
  status: string;
  registry_commit: string | null;
  summary: string | null;
}
export interface DecisionRow {
  run_id: number;
  subdir: string;
  filename: string;
  feedstock: string | null;
  decision: Decision;
  reason: string | null;
  outcome: string;
  detail: string | null;
}
export interface PublicationRow {
  subdir: string;
  filename: string;
  label: string;
  sha256: string;
  md5: string;
  size: number;
  feedstock: string | null;
  run_id: number | null;
  published_at: string;
}

/** The de-duplication key: the report's destination as forgegate computes it (never raw statement text). */
export function reportKey(r: Pick<FailureReport, 'feedstock' | 'commit' | 'subdir' | 'filename' | 'reason'>): string {
  const feedstock = safeFeedstock(r.feedstock) ?? UNATTRIBUTED;
  return `${feedstock}|${safeCommit(r.commit) ?? '-'}|${r.subdir}/${r.filename}|${r.reason}`;
}

export class Ledger {
  readonly db: Database.Database;

  constructor(path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (e) {
      throw new ForgegateError('FG_LEDGER', `cannot create the ledger folder for ${path}: ${(e as Error).message}`, {
        fix: 'Check the `ledger` path in the config and its folder permissions.',
      });
    }
    this.db = openLedger(path);
  }

  close(): void {
    this.db.close();
  }

  startRun(mode: 'plan' | 'apply', startedAt: string): number {
    const r = this.db
      .prepare('INSERT INTO runs_v1 (started_at, mode, status) VALUES (?, ?, ?)')
      .run(startedAt, mode, 'running');
    return Number(r.lastInsertRowid);
  }

  finishRun(id: number, finishedAt: string, status: string, registryCommit: string | null, summary: unknown): void {
    this.db
      .prepare('UPDATE runs_v1 SET finished_at = ?, status = ?, registry_commit = ?, summary = ? WHERE id = ?')
      .run(finishedAt, status, registryCommit, JSON.stringify(summary), id);
  }

  recordDecision(row: DecisionRow): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO decisions_v1 (run_id, subdir, filename, feedstock, decision, reason, outcome, detail)
      VALUES (@run_id, @subdir, @filename, @feedstock, @decision, @reason, @outcome, @detail)`,
      )
      .run(row);
  }

  recordPublication(p: {
    subdir: string;
    filename: string;
    label: string;
    digests: Digests;
    feedstock: string | null;
    runId: number | null;
    at: string;
  }): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO publications_v1
        (subdir, filename, label, sha256, md5, size, feedstock, run_id, published_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.subdir, p.filename, p.label, p.digests.sha256, p.digests.md5, p.digests.size, p.feedstock, p.runId, p.at);
  }

  recordVerifyFailure(
    identity: string,
    subdir: string,
    filename: string,
    reason: string,
    detail: string,
    at: string,
  ): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO verify_failures_v1 (identity, subdir, filename, reason, detail, recorded_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(identity, subdir, filename, reason, detail, at);
  }

  /** The facts the planner may use: only for names that are staged now. */
  facts(keys: Iterable<string>): LedgerFacts {
    const facts: LedgerFacts = { publications: new Map(), verifyFailures: new Map() };
    const pub = this.db.prepare('SELECT label, sha256 FROM publications_v1 WHERE subdir = ? AND filename = ?');
    const fail = this.db.prepare(
      'SELECT identity, reason, detail FROM verify_failures_v1 WHERE subdir = ? AND filename = ?',
    );
    for (const key of keys) {
      const slash = key.indexOf('/');
      const [subdir, filename] = [key.slice(0, slash), key.slice(slash + 1)];
      const rows = pub.all(subdir, filename) as { label: string; sha256: string }[];
      if (rows.length > 0) facts.publications.set(key, rows);
      for (const f of fail.all(subdir, filename) as { identity: string; reason: string; detail: string }[]) {
        if (isReasonCode(f.reason)) facts.verifyFailures.set(f.identity, { reason: f.reason, detail: f.detail });
      }
    }
    return facts;
  }

  wasReported(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM reports_v1 WHERE report_key = ?').get(key) !== undefined;
  }

  markReported(r: FailureReport, at: string): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO reports_v1 (report_key, feedstock, commit_id, subdir, filename, reason, sent_at) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(reportKey(r), r.feedstock, r.commit, r.subdir, r.filename, r.reason, at);
  }

  runs(limit = 20): RunRow[] {
    return this.db.prepare('SELECT * FROM runs_v1 ORDER BY id DESC LIMIT ?').all(limit) as RunRow[];
  }

  failures(limit = 100): DecisionRow[] {
    return this.db
      .prepare(
        `SELECT * FROM decisions_v1 WHERE outcome IN ('rejected', 'failed', 'alert') ORDER BY run_id DESC, subdir, ` +
          `filename LIMIT ?`,
      )
      .all(limit) as DecisionRow[];
  }

  publications(limit = 100): PublicationRow[] {
    return this.db
      .prepare('SELECT * FROM publications_v1 ORDER BY published_at DESC, subdir, filename LIMIT ?')
      .all(limit) as PublicationRow[];
  }
}
