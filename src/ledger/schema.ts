// Ledger schema. The version is in every table name, so a newer table never misreads older rows; a change is a
// new table plus a migration (ledger/migrate.ts) that moves the old rows over in one transaction.
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs_v1 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL, status TEXT NOT NULL,
  registry_commit TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS decisions_v2 (
  run_id INTEGER NOT NULL REFERENCES runs_v1(id), subdir TEXT NOT NULL, filename TEXT NOT NULL,
  feedstock TEXT, decision TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL, detail TEXT,
  deleted INTEGER NOT NULL DEFAULT 0, decided_at TEXT NOT NULL,
  PRIMARY KEY (run_id, subdir, filename)
);
CREATE INDEX IF NOT EXISTS decisions_v2_file ON decisions_v2 (filename, subdir);
CREATE TABLE IF NOT EXISTS rejections_v1 (
  identity TEXT NOT NULL, reason TEXT NOT NULL, subdir TEXT NOT NULL, filename TEXT NOT NULL, feedstock TEXT,
  detail TEXT, first_run_id INTEGER, first_seen_at TEXT NOT NULL, last_run_id INTEGER, last_seen_at TEXT NOT NULL,
  runs INTEGER NOT NULL, deleted_at TEXT,
  PRIMARY KEY (identity, reason)
);
CREATE INDEX IF NOT EXISTS rejections_v1_file ON rejections_v1 (filename, subdir);
CREATE TABLE IF NOT EXISTS holds_v1 (
  identity TEXT PRIMARY KEY, subdir TEXT NOT NULL, filename TEXT NOT NULL, code TEXT NOT NULL, detail TEXT NOT NULL,
  first_at TEXT NOT NULL, last_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publications_v1 (
  subdir TEXT NOT NULL, filename TEXT NOT NULL, label TEXT NOT NULL,
  sha256 TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL, feedstock TEXT,
  run_id INTEGER, published_at TEXT NOT NULL,
  PRIMARY KEY (subdir, filename, label)
);
CREATE TABLE IF NOT EXISTS evidence_v1 (
  subdir TEXT NOT NULL, filename TEXT NOT NULL, label TEXT NOT NULL, evidence TEXT NOT NULL, file TEXT NOT NULL,
  sha256 TEXT NOT NULL, keyid TEXT, publisher TEXT, signing_time TEXT, log_id TEXT, log_index TEXT,
  trusted_root_sha256 TEXT, run_id INTEGER, recorded_at TEXT NOT NULL,
  PRIMARY KEY (subdir, filename, label, evidence, file)
);
CREATE TABLE IF NOT EXISTS verify_failures_v1 (
  identity TEXT PRIMARY KEY, subdir TEXT NOT NULL, filename TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, recorded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reports_v1 (
  report_key TEXT PRIMARY KEY, feedstock TEXT, commit_id TEXT, subdir TEXT NOT NULL, filename TEXT NOT NULL,
  reason TEXT NOT NULL, sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sightings_v1 (
  identity TEXT PRIMARY KEY, first_seen_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_actions_v1 (
  id INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, subdir TEXT NOT NULL, filename TEXT NOT NULL,
  detail TEXT NOT NULL, acted_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publication_log_v1 (
  seq INTEGER PRIMARY KEY, subdir TEXT NOT NULL, filename TEXT NOT NULL, entry TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS publication_log_v1_file ON publication_log_v1 (subdir, filename);
CREATE TRIGGER IF NOT EXISTS publication_log_v1_no_update BEFORE UPDATE ON publication_log_v1
  BEGIN SELECT RAISE(ABORT, 'the publication log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS publication_log_v1_no_delete BEFORE DELETE ON publication_log_v1
  BEGIN SELECT RAISE(ABORT, 'the publication log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_names_v1 (
  subdir TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL, audited_at TEXT NOT NULL,
  PRIMARY KEY (subdir, name)
);
CREATE TABLE IF NOT EXISTS lock_v1 (
  name TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
);
`;

/**
 * `PRAGMA user_version` of a ledger with this schema: 1 had decisions_v1 (one row per item per run); 3 added
 * admin_actions_v1 (a new table: nothing to move, but an older forgegate must not write a ledger it cannot read whole);
 * 4 added evidence_v1 (which evidence each publication rests on: key id or publisher, Rekor entry, digests),
 * publication_log_v1, the hash-chained log `forgegate audit` checks (the migration logs every earlier
 * publication in the order they were recorded, without an upload time or evidence: v3 kept neither), and
 * audit_names_v1 (each package name's files at the last audit: upload times are looked up only where they changed).
 */
export const SCHEMA_VERSION = 4;

/** Tables of older schema versions, recognised (and migrated) as forgegate's own. */
export const LEGACY_TABLES: readonly string[] = ['decisions_v1'];

/** The tables SCHEMA creates: a file holding any other table (but a legacy one) is not a forgegate ledger. */
export const TABLES: readonly string[] = [...SCHEMA.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1]!);
