// The questions an operator asks the ledger: recent runs, failures, publications, and the history of one file or
// package. Rows come out in camelCase with times; each view says whether --limit cut it short.
import { parseArtifactFilename } from '../conda/filename.js';
import { dbOf } from './handle.js';
import type { Ledger } from './ledger.js';

export const LEDGER_FORMAT_VERSION = 1;

export interface ViewFilter {
  limit: number;
  /** RFC 3339 UTC: only what happened at or after it. */
  since?: string;
  feedstock?: string;
  reason?: string;
}

export interface View<T> {
  rows: T[];
  /** More rows matched than --limit allowed. */
  truncated: boolean;
}

export interface RunView {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  mode: string;
  status: string;
  registryCommit: string | null;
  summary: Record<string, number> | null;
}

export interface FailureView {
  /** `rejected` (one row per upload and reason), `failed` (transient) or `alert`. */
  outcome: string;
  artifact: string;
  feedstock: string | null;
  reason: string | null;
  detail: string | null;
  /** When a run first met it (a failure: when it happened). */
  firstSeenAt: string;
  /** When a run last met it. */
  lastSeenAt: string;
  /** How many runs met it. */
  runs: number;
  firstRunId: number | null;
  lastRunId: number | null;
  /** When the staged upload was deleted (past rejectRetention); null while it stays. */
  deletedAt: string | null;
}

export interface PublicationView {
  artifact: string;
  label: string;
  feedstock: string | null;
  sha256: string;
  size: number;
  runId: number | null;
  publishedAt: string;
}

function cut<T>(rows: T[], limit: number): View<T> {
  return { rows: rows.slice(0, limit), truncated: rows.length > limit };
}

export function runs(ledger: Ledger, f: ViewFilter): View<RunView> {
  if (!ledger.has('runs_v1')) return { rows: [], truncated: false };
  const rows = dbOf(ledger)
    .prepare('SELECT * FROM runs_v1 WHERE started_at >= ? ORDER BY id DESC LIMIT ?')
    .all(f.since ?? '', f.limit + 1) as {
    id: number;
    started_at: string;
    finished_at: string | null;
    mode: string;
    status: string;
    registry_commit: string | null;
    summary: string | null;
  }[];
  return cut(
    rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      mode: r.mode,
      status: r.status,
      registryCommit: r.registry_commit,
      summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, number> | null),
    })),
    f.limit,
  );
}

interface RejectionSql {
  subdir: string;
  filename: string;
  feedstock: string | null;
  reason: string;
  detail: string | null;
  first_seen_at: string;
  last_seen_at: string;
  runs: number;
  first_run_id: number | null;
  last_run_id: number | null;
  deleted_at: string | null;
}
interface DecisionSql {
  run_id: number;
  subdir: string;
  filename: string;
  feedstock: string | null;
  decision: string;
  reason: string | null;
  outcome: string;
  detail: string | null;
  deleted: number;
  decided_at: string;
}

const rejectionView = (r: RejectionSql): FailureView => ({
  outcome: 'rejected',
  artifact: `${r.subdir}/${r.filename}`,
  feedstock: r.feedstock,
  reason: r.reason,
  detail: r.detail,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  runs: r.runs,
  firstRunId: r.first_run_id,
  lastRunId: r.last_run_id,
  deletedAt: r.deleted_at,
});

export function failures(ledger: Ledger, f: ViewFilter): View<FailureView> {
  const out: FailureView[] = [];
  const since = f.since ?? '';
  const feedstock = f.feedstock ?? null;
  const reason = f.reason ?? null;
  if (ledger.has('rejections_v1')) {
    const rows = dbOf(ledger)
      .prepare(
        `SELECT * FROM rejections_v1 WHERE last_seen_at >= ? AND (? IS NULL OR feedstock = ?)
         AND (? IS NULL OR reason = ?) ORDER BY last_seen_at DESC, subdir, filename LIMIT ?`,
      )
      .all(since, feedstock, feedstock, reason, reason, f.limit + 1) as RejectionSql[];
    out.push(...rows.map(rejectionView));
  }
  if (ledger.has('decisions_v2')) {
    const rows = dbOf(ledger)
      .prepare(
        `SELECT * FROM decisions_v2 WHERE outcome IN ('failed', 'alert') AND decided_at >= ?
         AND (? IS NULL OR feedstock = ?) AND (? IS NULL OR reason = ? OR outcome = ?)
         ORDER BY decided_at DESC, subdir, filename LIMIT ?`,
      )
      .all(since, feedstock, feedstock, reason, reason, reason, f.limit + 1) as DecisionSql[];
    out.push(
      ...rows.map((d) => ({
        outcome: d.outcome,
        artifact: `${d.subdir}/${d.filename}`,
        feedstock: d.feedstock,
        reason: d.reason,
        detail: d.detail,
        firstSeenAt: d.decided_at,
        lastSeenAt: d.decided_at,
        runs: 1,
        firstRunId: d.run_id,
        lastRunId: d.run_id,
        deletedAt: null,
      })),
    );
  }
  out.sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt) || a.artifact.localeCompare(b.artifact));
  return cut(out, f.limit);
}

/**
 * For each upload identity, the reasons earlier runs rejected it for: a rejection among them is no news (a cron
 * log in `--quiet` does not repeat it every run).
 */
export function earlierRejections(ledger: Ledger, identities: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!ledger.has('rejections_v1')) return out;
  const query = dbOf(ledger).prepare('SELECT reason FROM rejections_v1 WHERE identity = ?');
  for (const identity of new Set(identities)) {
    const reasons = (query.all(identity) as { reason: string }[]).map((r) => r.reason);
    if (reasons.length > 0) out.set(identity, new Set(reasons));
  }
  return out;
}

export function publications(ledger: Ledger, f: ViewFilter): View<PublicationView> {
  if (!ledger.has('publications_v1')) return { rows: [], truncated: false };
  const feedstock = f.feedstock ?? null;
  const rows = dbOf(ledger)
    .prepare(
      `SELECT * FROM publications_v1 WHERE published_at >= ? AND (? IS NULL OR feedstock = ?)
       ORDER BY published_at DESC, subdir, filename LIMIT ?`,
    )
    .all(f.since ?? '', feedstock, feedstock, f.limit + 1) as {
    subdir: string;
    filename: string;
    label: string;
    sha256: string;
    size: number;
    feedstock: string | null;
    run_id: number | null;
    published_at: string;
  }[];
  return cut(
    rows.map((p) => ({
      artifact: `${p.subdir}/${p.filename}`,
      label: p.label,
      feedstock: p.feedstock,
      sha256: p.sha256,
      size: p.size,
      runId: p.run_id,
      publishedAt: p.published_at,
    })),
    f.limit,
  );
}

export interface HistoryEvent {
  at: string;
  /** seen · decided · rejected · published · reported · held */
  event: string;
  runId: number | null;
  decision: string | null;
  outcome: string | null;
  reason: string | null;
  detail: string | null;
}

export interface FileHistory {
  artifact: string;
  feedstock: string | null;
  /** The earliest time the ledger knows it by. */
  firstSeenAt: string | null;
  /** The latest outcome a run recorded (published, rejected, waiting, failed, …). */
  lastOutcome: string | null;
  publishedAt: string | null;
  events: HistoryEvent[];
}

/**
 * Every file the query names: `subdir/file`, a file name, or a package name (every file of that package). Each
 * with what every run that saw it did, in time order.
 */
export function history(ledger: Ledger, query: string, f: ViewFilter): View<FileHistory> {
  const files = new Map<string, FileHistory>();
  const since = f.since ?? '';
  const matches = (subdir: string, filename: string): boolean =>
    query === filename || query === `${subdir}/${filename}` || parseArtifactFilename(filename)?.name === query;
  const file = (subdir: string, filename: string): FileHistory => {
    const key = `${subdir}/${filename}`;
    let h = files.get(key);
    if (!h) {
      h = { artifact: key, feedstock: null, firstSeenAt: null, lastOutcome: null, publishedAt: null, events: [] };
      files.set(key, h);
    }
    return h;
  };
  const event = (h: FileHistory, e: Partial<HistoryEvent> & Pick<HistoryEvent, 'at' | 'event'>): void => {
    if (e.at < since) return;
    h.events.push({ runId: null, decision: null, outcome: null, reason: null, detail: null, ...e });
  };
  // Candidates by file name: exact, or `<name>-…` for a package name (checked with the conda file-name parser).
  const like = `${query.replace(/^[^/]*\//, '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const candidates = (table: string): string => `SELECT * FROM ${table} WHERE filename LIKE ? ESCAPE '\\'`;
  if (ledger.has('decisions_v2')) {
    for (const d of dbOf(ledger).prepare(candidates('decisions_v2')).all(like) as DecisionSql[]) {
      if (!matches(d.subdir, d.filename)) continue;
      const h = file(d.subdir, d.filename);
      h.feedstock ??= d.feedstock;
      event(h, {
        at: d.decided_at,
        event: 'decided',
        runId: d.run_id,
        decision: d.decision,
        outcome: d.outcome,
        reason: d.reason,
        detail: d.deleted ? `${d.detail ?? ''} (deleted from staging)`.trim() : d.detail,
      });
    }
  }
  if (ledger.has('rejections_v1')) {
    for (const r of dbOf(ledger).prepare(candidates('rejections_v1')).all(like) as RejectionSql[]) {
      if (!matches(r.subdir, r.filename)) continue;
      const h = file(r.subdir, r.filename);
      h.feedstock ??= r.feedstock;
      const runs = r.runs === 1 ? 'one run' : `${r.runs} runs, last at ${r.last_seen_at} (run ${r.last_run_id})`;
      event(h, {
        at: r.first_seen_at,
        event: 'rejected',
        runId: r.first_run_id,
        decision: 'reject',
        outcome: 'rejected',
        reason: r.reason,
        detail: `${r.detail ?? ''} [${runs}]`.trim(),
      });
      if (r.deleted_at !== null)
        event(h, { at: r.deleted_at, event: 'deleted', runId: r.last_run_id, reason: r.reason, outcome: 'deleted' });
    }
  }
  if (ledger.has('publications_v1')) {
    for (const p of dbOf(ledger).prepare(candidates('publications_v1')).all(like) as {
      subdir: string;
      filename: string;
      label: string;
      sha256: string;
      feedstock: string | null;
      run_id: number | null;
      published_at: string;
    }[]) {
      if (!matches(p.subdir, p.filename)) continue;
      const h = file(p.subdir, p.filename);
      h.feedstock ??= p.feedstock;
      h.publishedAt = p.published_at;
      event(h, {
        at: p.published_at,
        event: 'published',
        runId: p.run_id,
        outcome: 'published',
        detail: `label ${p.label}, sha256 ${p.sha256}`,
      });
    }
  }
  if (ledger.has('reports_v1')) {
    for (const r of dbOf(ledger).prepare(candidates('reports_v1')).all(like) as {
      subdir: string;
      filename: string;
      feedstock: string | null;
      commit_id: string | null;
      reason: string;
      sent_at: string;
    }[]) {
      if (!matches(r.subdir, r.filename)) continue;
      event(file(r.subdir, r.filename), {
        at: r.sent_at,
        event: 'reported',
        reason: r.reason,
        detail:
          `to ${r.feedstock ?? 'the administrators'}` + (r.commit_id ? ` (commit ${r.commit_id.slice(0, 12)})` : ''),
      });
    }
  }
  if (ledger.has('holds_v1')) {
    for (const r of dbOf(ledger).prepare(candidates('holds_v1')).all(like) as HoldSql[]) {
      if (!matches(r.subdir, r.filename)) continue;
      event(file(r.subdir, r.filename), {
        at: r.first_at,
        event: 'held',
        reason: r.code,
        detail: `${r.detail} (last at ${r.last_at})`,
      });
    }
  }
  const out = [...files.values()].filter((h) => h.events.length > 0);
  for (const h of out) {
    h.events.sort((a, b) => a.at.localeCompare(b.at) || (a.runId ?? 0) - (b.runId ?? 0));
    h.firstSeenAt = h.events[0]!.at;
    h.lastOutcome = [...h.events].reverse().find((e) => e.outcome !== null)?.outcome ?? null;
  }
  out.sort((a, b) => a.artifact.localeCompare(b.artifact));
  const filtered = out.filter(
    (h) =>
      (f.feedstock === undefined || h.feedstock === f.feedstock) &&
      (f.reason === undefined || h.events.some((e) => e.reason === f.reason)),
  );
  return cut(filtered, f.limit);
}

interface HoldSql {
  subdir: string;
  filename: string;
  code: string;
  detail: string;
  first_at: string;
  last_at: string;
}
