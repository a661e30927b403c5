// Ledger schema v1. The version is in every table name, so a future v2 never misreads v1 rows.
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs_v1 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at TEXT NOT NULL, finished_at TEXT, mode TEXT NOT NULL, status TEXT NOT NULL,
  registry_commit TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS decisions_v1 (
  run_id INTEGER NOT NULL REFERENCES runs_v1(id), subdir TEXT NOT NULL, filename TEXT NOT NULL,
  feedstock TEXT, decision TEXT NOT NULL, reason TEXT, outcome TEXT NOT NULL, detail TEXT,
  PRIMARY KEY (run_id, subdir, filename)
);
CREATE TABLE IF NOT EXISTS publications_v1 (
  subdir TEXT NOT NULL, filename TEXT NOT NULL, label TEXT NOT NULL,
  sha256 TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL, feedstock TEXT,
  run_id INTEGER, published_at TEXT NOT NULL,
  PRIMARY KEY (subdir, filename, label)
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
CREATE TABLE IF NOT EXISTS lock_v1 (
  name TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
);
`;

/** The tables SCHEMA creates: a file holding any other table is not a forgegate ledger. */
export const TABLES: readonly string[] = [...SCHEMA.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1]!);
