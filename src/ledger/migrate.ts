// Schema migrations, each in one transaction: a crash mid-way leaves the old tables as they were, and the next open
// migrates again. Rows move; none is lost (a v1 rejection row per run folds into one row with first and last seen).
import type Database from 'better-sqlite3';
import { chainAfter } from '../audit/chain.js';
import { SCHEMA_VERSION } from './schema.js';

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** v1 → v2: decisions_v1 becomes decisions_v2 (with times) plus rejections_v1 (one row per upload and reason). */
function fromV1(db: Database.Database): void {
  if (!hasTable(db, 'decisions_v1')) return;
  db.exec(`
    INSERT OR IGNORE INTO decisions_v2
      (run_id, subdir, filename, feedstock, decision, reason, outcome, detail, deleted, decided_at)
    SELECT d.run_id, d.subdir, d.filename, d.feedstock, d.decision, d.reason, d.outcome, d.detail, 0,
           COALESCE(r.started_at, '1970-01-01T00:00:00Z')
    FROM decisions_v1 d LEFT JOIN runs_v1 r ON r.id = d.run_id
    WHERE d.outcome <> 'rejected';
    INSERT OR IGNORE INTO rejections_v1
      (identity, reason, subdir, filename, feedstock, detail, first_run_id, first_seen_at, last_run_id, last_seen_at,
       runs, deleted_at)
    SELECT d.subdir || '/' || d.filename || '|v1', d.reason, d.subdir, d.filename,
           (SELECT feedstock FROM decisions_v1 x WHERE x.subdir = d.subdir AND x.filename = d.filename
              AND x.reason = d.reason AND x.outcome = 'rejected' ORDER BY x.run_id DESC LIMIT 1),
           (SELECT detail FROM decisions_v1 x WHERE x.subdir = d.subdir AND x.filename = d.filename
              AND x.reason = d.reason AND x.outcome = 'rejected' ORDER BY x.run_id DESC LIMIT 1),
           MIN(d.run_id), COALESCE(MIN(r.started_at), '1970-01-01T00:00:00Z'),
           MAX(d.run_id), COALESCE(MAX(r.started_at), '1970-01-01T00:00:00Z'), COUNT(*), NULL
    FROM decisions_v1 d LEFT JOIN runs_v1 r ON r.id = d.run_id
    WHERE d.outcome = 'rejected' AND d.reason IS NOT NULL
    GROUP BY d.subdir, d.filename, d.reason;
    DROP TABLE decisions_v1;
  `);
}

/** v3 → v4: every publication recorded before the log existed becomes a log entry, oldest first. */
function toV4(db: Database.Database): void {
  if ((db.prepare('SELECT COUNT(*) AS n FROM publication_log_v1').get() as { n: number }).n > 0) return;
  const rows = db.prepare('SELECT * FROM publications_v1 ORDER BY published_at, rowid').all() as {
    subdir: string;
    filename: string;
    label: string;
    sha256: string;
    md5: string;
    size: number;
    published_at: string;
  }[];
  const insert = db.prepare(
    'INSERT INTO publication_log_v1 (seq, subdir, filename, entry, hash) VALUES (?, ?, ?, ?, ?)',
  );
  let head: { seq: number; hash: string } | null = null;
  for (const r of rows) {
    const e = chainAfter(head, {
      kind: 'publish',
      subdir: r.subdir,
      filename: r.filename,
      labels: [r.label],
      from: [],
      sha256: r.sha256,
      md5: r.md5,
      size: r.size,
      uploadedAt: null,
      evidence: null,
      at: r.published_at,
    });
    insert.run(e.seq, e.subdir, e.filename, JSON.stringify(e), e.hash);
    head = e;
  }
}

/** Bring a writable ledger (its current tables already created) up to SCHEMA_VERSION. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version >= SCHEMA_VERSION) return;
  db.transaction(() => {
    fromV1(db);
    if (version < 4) toV4(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
