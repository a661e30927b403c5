// The one writer of the ledger. A run's facts flow down to it: when the run starts, what staging holds, what applying
// learnt as it happened (publications before their staged copies go, verdicts on bytes), each item's outcome in one
// transaction, what reports were delivered, and how the run ended. Everything else only reads the ledger.
import type { ApplyFact, ItemResult } from '../apply/outcome.js';
import type { Finding } from '../audit/findings.js';
import type { Ledger, ReportedRow } from '../ledger/ledger.js';
import { artifactKey, uploadIdentity } from '../plan/identity.js';
import type { StagedIndex } from '../plan/staged-index.js';
import type { PlanItem } from '../plan/types.js';
import type { PassedEvidence } from '../model.js';

/** The upload one item decided: its name, size and the sha256 its statement binds (or the store's, or none). */
export function identityOf(item: PlanItem, index: StagedIndex): string {
  const artifact = index.artifacts.get(artifactKey(item.subdir, item.filename));
  if (artifact === undefined) throw new Error(`${item.subdir}/${item.filename} is planned but was not staged (bug)`);
  return uploadIdentity(artifact, item.sha256 ?? artifact.sha256 ?? '-');
}

export class RunRecord {
  readonly runId: number;
  readonly #ledger: Ledger;

  private constructor(ledger: Ledger, runId: number) {
    this.#ledger = ledger;
    this.runId = runId;
  }

  /** A new run row; any other run still `running` died without a word (the run lock is held). */
  static start(ledger: Ledger, at: string): RunRecord {
    const runId = ledger.transaction(() => {
      const id = ledger.startRun('apply', at);
      ledger.markAbandoned(id);
      return id;
    });
    return new RunRecord(ledger, runId);
  }

  /** Ages count from here for whatever this run sees first. */
  sightings(identities: Iterable<string>, at: string): void {
    this.#ledger.recordSightings(identities, at);
  }

  /** What applying learnt, as it happens (the applier's FactSink). */
  readonly fact = (f: ApplyFact): void => {
    if (f.kind === 'publication') {
      // The table, the evidence and the hash-chained log together: a publication is logged once, when first recorded.
      this.#ledger.transaction(() => {
        const first = this.#ledger.recordPublication({ ...f, runId: this.runId });
        this.#ledger.recordEvidence({ ...f, runId: this.runId });
        if (!first) return;
        this.#ledger.recordLogEntry({
          kind: 'publish',
          subdir: f.subdir,
          filename: f.filename,
          labels: [f.label],
          from: [],
          sha256: f.digests.sha256,
          md5: f.digests.md5,
          size: f.digests.size,
          uploadedAt: f.uploadedAt,
          evidence: `${f.feedstock}: ${evidenceText(f.evidence)}`,
          // Only where the target serves attestations: absent means "unknown" to the audit, null means "none".
          ...(f.attestations !== undefined ? { attestations: f.attestations } : {}),
          at: f.at,
        });
      });
    } else this.#ledger.recordVerifyFailure(f.identity, f.subdir, f.filename, f.reason, f.detail, f.at);
  };

  /**
   * One item's outcome, in one transaction: a rejection once per upload and reason (then only its last sighting
   * moves), every other outcome per run, and a hold when an admin-side failure (FG_PERMISSION) stopped it.
   */
  outcome({ item, outcome }: ItemResult, index: StagedIndex, at: string): void {
    const detail = 'detail' in outcome && outcome.detail !== undefined ? outcome.detail : item.detail;
    const identity = identityOf(item, index);
    this.#ledger.transaction(() => {
      if (outcome.kind === 'rejected') {
        this.#ledger.recordRejection({
          identity,
          subdir: item.subdir,
          filename: item.filename,
          feedstock: item.feedstock,
          reason: outcome.reason,
          detail: item.adminCause ? `${detail ?? ''} (admin-side: ${item.adminCause})` : detail,
          run_id: this.runId,
          at,
          deleted: outcome.deleted,
        });
        return;
      }
      if (outcome.kind === 'failed' && outcome.code === 'FG_PERMISSION')
        this.#ledger.recordHold(identity, item.subdir, item.filename, outcome.code, outcome.detail, at);
      this.#ledger.recordDecision({
        run_id: this.runId,
        subdir: item.subdir,
        filename: item.filename,
        feedstock: item.feedstock,
        decision: item.decision,
        reason: outcome.kind === 'failed' ? (outcome.code ?? null) : item.reason,
        outcome: outcome.kind,
        detail,
        deleted: false,
        decided_at: at,
      });
    });
  }

  /** A permission error stopped the whole run: every upload it would have published is held by the admins. */
  holds(items: readonly PlanItem[], index: StagedIndex, detail: string, at: string): void {
    this.#ledger.transaction(() => {
      for (const item of items.filter((i) => i.decision === 'publish'))
        this.#ledger.recordHold(identityOf(item, index), item.subdir, item.filename, 'FG_PERMISSION', detail, at);
    });
  }

  /** Reports delivered together are remembered together. */
  reported(rows: readonly ReportedRow[], at: string): void {
    this.#ledger.transaction(() => {
      for (const r of rows) this.#ledger.markReported(r, at);
    });
  }

  wasReported(key: string): boolean {
    return this.#ledger.wasReported(key);
  }

  finish(at: string, status: string, registryCommit: string | null, summary: unknown): void {
    this.#ledger.finishRun(this.runId, at, status, registryCommit, summary);
  }

  interrupted(at: string, signal: string): void {
    this.#ledger.markInterrupted(this.runId, at, signal);
  }
}

/**
 * An administrator's action on the channel (a yank), for history and audits: in the admin table and, as a move from
 * `from` to `to`, in the publication log (with the bytes the gate published under that name, where it did).
 */
export function recordAdminAction(
  ledger: Ledger,
  action: { action: 'yank'; subdir: string; filename: string; detail: string; at: string },
  move: { from: string[]; to: string; reason: string },
): void {
  ledger.transaction(() => {
    ledger.recordAdminAction(action);
    const published = ledger.lastPublishEntry(action.subdir, action.filename);
    ledger.recordLogEntry({
      kind: 'yank',
      subdir: action.subdir,
      filename: action.filename,
      labels: [move.to],
      from: move.from,
      sha256: published?.sha256 ?? null,
      md5: published?.md5 ?? null,
      size: published?.size ?? null,
      uploadedAt: null,
      evidence: `admin yank: ${move.reason}`,
      at: action.at,
    });
  });
}

/**
 * What audits reported before (reports_v1, keyed by finding), where a delivered finding is remembered, and the
 * fingerprints of each package name's files at the last audit (upload times are looked up where they changed).
 */
export function auditMemory(ledger: Ledger): {
  wasReported(key: string): boolean;
  reported(key: string, f: Finding, at: string): void;
  fingerprints(subdir: string): Map<string, string>;
  audited(subdir: string, fingerprints: ReadonlyMap<string, string>, withFindings: Iterable<string>, at: string): void;
} {
  return {
    fingerprints: (subdir) => ledger.auditFingerprints(subdir),
    audited: (subdir, fps, withFindings, at) => ledger.recordAuditFingerprints(subdir, fps, withFindings, at),
    wasReported: (key) => ledger.wasReported(key),
    reported: (key, f, at) =>
      ledger.markReported(
        { key, feedstock: null, commit: null, subdir: f.subdir, filename: f.filename, reason: f.code },
        at,
      ),
  };
}

/** The evidence of a publication as the publication log states it: each piece that passed, with its file. */
function evidenceText(passed: readonly PassedEvidence[]): string {
  if (passed.length === 0) return '-';
  return passed
    .map((p) =>
      p.evidence === 'sig'
        ? `key ${p.keyid} (${p.file})`
        : `publisher ${p.publisher}, Rekor ${p.logs.map((l) => l.logIndex).join(', ')}, ` +
          `signed ${p.signingTime} (${p.file})`,
    )
    .join('; ');
}
