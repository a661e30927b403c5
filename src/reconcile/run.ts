// One reconcile run: lock → observe → plan (pure) → apply → report → record. `planOnly` stops after planning: it
// reads the staged bytes it would publish, opens the ledger read-only (or not at all) and writes nothing.
import { applyPlan, type StagedIndex } from '../apply/applier.js';
import type { ItemResult } from '../apply/outcome.js';
import type { Config } from '../config/types.js';
import { ExitCode, ForgegateError, isForgegateError, SIGNAL_EXIT, type ExitCodeValue } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { earlierRejections } from '../ledger/views.js';
import { RunLock } from '../ledger/lock.js';
import { asLedgerError } from '../ledger/open.js';
import { assemblePlan } from '../plan/planner.js';
import type { Observation, Plan, PlanItem, PlanSettings, StrayItem } from '../plan/types.js';
import { artifactKey, sighting, uploadIdentity } from '../plan/identity.js';
import type { ReportSink } from '../ports/reports.js';
import { createRegistry, createReportSink, createStores } from './wiring.js';
import { fixFor, isReasonCode } from '../reasons.js';
import { faultPoint } from '../util/fault.js';
import { asPermissionError } from '../util/fs-errors.js';
import { toUtcString } from '../util/time.js';
import { checkClock, rerunFix } from './clock-check.js';
import { inspectStaged } from './inspect.js';
import { observe } from './observe.js';
import { failureReports, sendReports } from './report-failures.js';

export const RESULT_FORMAT_VERSION = 1;

const PERMISSION_FIX =
  'Let the user forgegate runs as write to the folder named (chown or chmod); the next run retries. Nothing is ' +
  'reported to the maintainers.';

export interface ReconcileOptions {
  planOnly: boolean;
  /** The time decisions are made at (`--at`, plans only); defaults to the wall clock. */
  nowMs?: number;
  /** Run even though the clock moved against the last run (the operator checked it). */
  acceptClockJump?: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress per phase, `what` naming what is counted (PHASE: `reading staged artifacts`, …). */
  onProgress?: (what: string, done: number, total: number) => void;
  /**
   * A signal (Ctrl-C, a service stop) is ending the run: what it finished and what it did not, told just before the
   * process exits (the ledger already says `interrupted`).
   */
  onInterrupt?: (interruption: Interruption) => void;
}

/** What a run is doing, named for progress lines and for what an interrupted run says it was doing. */
export const PHASE = {
  preparing: 'checking the clock, the lock and the staging layout',
  observing: 'listing staging, target and registry',
  inspecting: 'reading staged artifacts',
  planning: 'working out the plan',
  applying: 'applying decisions',
  reporting: 'sending failure reports',
} as const;

export interface Interruption {
  signal: NodeJS.Signals;
  mode: 'plan' | 'apply';
  phase: keyof typeof PHASE;
  /** Items applying finished, by outcome (`published`, `rejected`, …). */
  finished: Record<string, number>;
  /** Items of the plan not finished: not started, or started and not yet confirmed. */
  unfinished: number;
}

export interface ResultItem {
  subdir: string;
  filename: string;
  feedstock: string | null;
  decision: PlanItem['decision'];
  reason: string | null;
  fix: string | null;
  detail: string | null;
  label: string | null;
  /** What applying did; null for --plan. */
  outcome: string | null;
  /** The staged artifact and its signatures are (plan: will be) deleted: rejected past rejectRetention. */
  deleteStaged: boolean;
  /** Plans: `verified` or `not inspected: why` for what would be published; null otherwise. */
  inspection: string | null;
  /** Why the administrators answer for this rejection, not the maintainers (see PlanItem.adminCause). */
  adminCause: string | null;
  /** Evidence that did not decide this item (see PlanItem.warnings). */
  warnings: string[];
  /**
   * An earlier run already decided this upload the same way: the same rejection (same bytes, same reason) or a
   * wait for an upload it had already seen. `--quiet` leaves such an item out. Never true for what changes
   * something (a publication, a cleanup, a deletion) or a failure.
   */
  seenBefore: boolean;
}

/** A stray, and whether an earlier run already saw that very file (`--quiet` lists only new ones and deletions). */
export type ResultStray = StrayItem & { seenBefore: boolean };

export interface ReconcileResult {
  formatVersion: typeof RESULT_FORMAT_VERSION;
  mode: 'plan' | 'apply';
  now: string;
  registryCommit: string | null;
  targetChannel: string;
  items: ResultItem[];
  strays: ResultStray[];
  summary: Record<string, number>;
  /** Anything applying would change in staging or the target: a publication, a cleanup, a deletion. */
  changesPending: boolean;
  reports: { sent: number; error: string | null };
  /** Target indexes written by this run: one per (label, subdir) it published into, whatever the count. */
  indexWrites: number;
  exitCode: ExitCodeValue;
}

function toResultItem(item: PlanItem, applied: ItemResult | undefined, seen: Seen): ResultItem {
  const o = applied?.outcome;
  // A failure forgegate may not write past is the admin's to fix: it says so, with the fix.
  if (o?.kind === 'failed' && o.code === 'FG_PERMISSION')
    return {
      ...toResultItem(item, undefined, seen),
      outcome: o.kind,
      reason: o.code,
      fix: PERMISSION_FIX,
      detail: o.detail,
      seenBefore: false,
    };
  const reason = o?.kind === 'rejected' ? o.reason : item.reason;
  const detail = o && 'detail' in o && o.detail !== undefined ? o.detail : item.detail;
  const deleteStaged = o ? o.kind === 'rejected' && o.deleted : item.deleteStaged;
  const did = o?.kind ?? item.decision;
  const seenBefore =
    !deleteStaged &&
    (((did === 'rejected' || did === 'reject') && reason !== null && seen.rejection(item, reason)) ||
      ((did === 'waiting' || did === 'wait') && seen.upload(item)));
  return {
    subdir: item.subdir,
    filename: item.filename,
    feedstock: item.feedstock,
    decision: item.decision,
    reason,
    fix: reason !== null && isReasonCode(reason) ? fixFor(reason) : null,
    detail,
    label: item.label,
    outcome: o ? o.kind : null,
    deleteStaged,
    // Applying verifies the quarantined copy instead; what it read for retention is no news.
    inspection: applied ? null : item.inspection,
    adminCause: item.adminCause,
    warnings: item.warnings,
    seenBefore,
  };
}

/** What the ledger knew before this run recorded anything: for telling news from repeats (`--quiet`). */
interface Seen {
  /** An earlier run rejected exactly this upload for this reason. */
  rejection(item: PlanItem, reason: string): boolean;
  /** An earlier run saw this very staged artifact. */
  upload(item: PlanItem): boolean;
  /** An earlier run saw this very stray file. */
  stray(stray: StrayItem): boolean;
}

/** Read before this run records anything (rejections are recorded at the end of applying). */
function seenBy(ledger: Ledger | null, observation: Observation, plan: Plan, index: StagedIndex): Seen {
  const { staging } = observation;
  const rejected =
    ledger === null
      ? new Map<string, Set<string>>()
      : earlierRejections(
          ledger,
          plan.items.map((i) => identityOf(i, index)),
        );
  const sightingOf = new Map<string, string>([
    ...staging.artifacts.map((a) => [a.handle, sighting.artifact(a)] as const),
    ...staging.signatures.map((s) => [s.handle, sighting.signature(s)] as const),
    ...staging.others.map((f) => [f.handle, sighting.file(f)] as const),
  ]);
  const known = (handle: string | undefined): boolean => {
    const key = handle === undefined ? undefined : sightingOf.get(handle);
    return key !== undefined && observation.ledger.firstSeen.has(key);
  };
  return {
    rejection: (item, reason) => rejected.get(identityOf(item, index))?.has(reason) ?? false,
    upload: (item) => known(index.artifacts.get(artifactKey(item.subdir, item.filename))?.handle),
    stray: (s) => known(s.handle),
  };
}

function summarise(plan: Plan, results: ItemResult[] | null): Record<string, number> {
  const summary: Record<string, number> = { ...plan.summary };
  const deletions = plan.items.filter((i) => i.deleteStaged).length;
  if (deletions > 0) summary['delete'] = deletions;
  for (const r of results ?? []) summary[r.outcome.kind] = (summary[r.outcome.kind] ?? 0) + 1;
  return summary;
}

function changesPending(plan: Plan): boolean {
  return (
    plan.items.some((i) => i.decision === 'publish' || i.decision === 'cleanup' || i.deleteStaged) ||
    plan.strays.some((s) => s.delete)
  );
}

/** Stop on Ctrl-C or a service stop, saying so in the ledger (and releasing the lock) instead of dying mid-word. */
function onSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals): void => stop(signal);
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function reconcile(config: Config, opts: ReconcileOptions): Promise<ReconcileResult> {
  if (!opts.planOnly && opts.nowMs !== undefined)
    throw new ForgegateError('FG_USAGE', 'a run that applies must use the machine clock', {
      fix: 'Pass --at only with --plan.',
    });
  const clock = (): number => opts.nowMs ?? Date.now();
  const ledger = opts.planOnly ? Ledger.openReadOnly(config.ledger) : new Ledger(config.ledger);
  const lock = opts.planOnly || ledger === null ? null : new RunLock(ledger);
  const stores = createStores(config, { env: opts.env, readOnly: opts.planOnly });
  let runId: number | null = null;
  let plan: Plan | null = null;
  let index: StagedIndex | null = null;
  const settings: PlanSettings = {
    targetChannel: config.target.channel,
    labels: config.target.labels,
    subdirs: config.staging.subdirs,
    policy: config.policy,
    registryHome: registryHome(config),
  };
  const limits = { maxUnpackedBytes: config.policy.maxUnpackedBytes, maxUnpackRatio: config.policy.maxUnpackRatio };
  let phase: keyof typeof PHASE = 'preparing';
  const progress = (p: keyof typeof PHASE) => (done: number, total: number) => opts.onProgress?.(PHASE[p], done, total);
  /** What applying finished so far: what an interrupted run says it did. */
  const finished: ItemResult[] = [];
  const stopSignals = onSignals((signal) => {
    try {
      if (runId !== null && ledger !== null) ledger.markInterrupted(runId, toUtcString(Date.now()), signal);
      lock?.release();
    } catch {
      // The ledger could not say so; the next run marks a `running` run without a lock holder as interrupted.
    }
    try {
      const done: Record<string, number> = {};
      for (const r of finished) done[r.outcome.kind] = (done[r.outcome.kind] ?? 0) + 1;
      const mode = opts.planOnly ? 'plan' : 'apply';
      const unfinished = (plan?.items.length ?? 0) - finished.length;
      opts.onInterrupt?.({ signal, mode, phase, finished: done, unfinished });
    } catch {
      // Saying what was finished is a courtesy; exiting with the signal's code is what matters.
    }
    process.exit(SIGNAL_EXIT[signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM']);
  });
  try {
    // Before anything is recorded (a refused run must not become the next one's reference), and before the lock,
    // whose expiry is read with the same clock.
    if (!opts.acceptClockJump)
      checkClock(Date.now(), ledger?.lastRunStartedAt() ?? null, config.policy, rerunFix(config.configPath, opts.env));
    lock?.acquire();
    if (!opts.planOnly && ledger !== null) {
      runId = ledger.startRun('apply', toUtcString(Date.now()));
      ledger.markAbandoned(runId);
    }
    // Before anything is read: a staging layout uploaders could rearrange under the run is refused.
    await stores.staging.preflight?.();
    // Under the lock and before the target is listed: an index write a crashed run left half done is finished.
    if (!opts.planOnly) await stores.target.sweep?.();
    const registry = createRegistry(config.registry, { env: opts.env });
    phase = 'observing';
    const observed = await observe(stores, registry, ledger, clock(), progress('observing'));
    index = observed.index;
    let observation: Observation = observed.observation;
    plan = assemblePlan(observation, settings);
    // A plan predicts what the applier would find in the quarantined copy from the staged bytes. Applying reads
    // them only for uploads past rejectRetention, so bytes that never verify are deleted as the plan said they
    // would be, instead of being retried forever.
    const inspect = opts.planOnly || plan.items.some((i) => i.decision === 'publish' && i.pastRetention);
    if (inspect) {
      phase = 'inspecting';
      const { inspections, twinContents } = await inspectStaged(plan, index, stores.staging, stores.target, {
        limits,
        concurrency: config.policy.concurrency,
        onProgress: progress('inspecting'),
        ...(opts.planOnly ? {} : { only: (i: PlanItem) => i.pastRetention }),
      });
      observation = { ...observation, inspections, twinContents };
      plan = assemblePlan(observation, settings);
    }

    phase = 'planning';
    const seen = seenBy(ledger, observation, plan, index);
    // Custody others could change is refused before anything is copied (a plan copies nothing, so it leaves the
    // quarantine alone); checked after planning so that a permission error here is remembered against the plan.
    if (!opts.planOnly) await stores.quarantine.preflight?.();

    let results: ItemResult[] | null = null;

    let indexWrites = 0;
    let alerts = 0;
    let reports = { sent: 0, error: null as string | null };
    if (!opts.planOnly && ledger !== null && runId !== null) {
      // Ages count from here for whatever this run sees first (a plan changes nothing, so it records nothing).
      ledger.recordSightings(observed.sightings, toUtcString(observation.observedAtMs));
      faultPoint('planned');
      const reportSink = createReportSink(config.reports, { env: opts.env });
      // Count alerts whatever raised them (a confirmation mismatch, a registry conflict, staging that changed under
      // the run): each one means exit 6.
      const sink: ReportSink = {
        kind: reportSink.kind,
        sendFailures: (r) => reportSink.sendFailures(r),
        sendAlert: async (a) => {
          alerts++;
          await reportSink.sendAlert(a);
        },
      };
      // Under the lock, what a crashed run left in the quarantine is debris.
      await stores.quarantine.sweep?.();
      phase = 'applying';
      if (plan.items.length > 0) progress('applying')(0, plan.items.length);
      const applied = await applyPlan(plan, index, {
        ...stores,
        registry,
        ledger,
        alerts: sink,
        runId,
        concurrency: config.policy.concurrency,
        unpackLimits: limits,
        clock,
        onProgress: progress('applying'),
        onItemDone: (r) => finished.push(r),
      });
      results = applied.results;
      indexWrites = applied.indexWrites;
      phase = 'reporting';
      reports = await sendReports(failureReports(results), sink, ledger, clock());
      // Decisions are made when the run observed the world (before anything it then published).
      recordResults(ledger, runId, results, index, toUtcString(observation.observedAtMs));
    }
    const byKey = new Map((results ?? []).map((r) => [artifactKey(r.item.subdir, r.item.filename), r]));
    const summary = summarise(plan, results);
    const permission = (results ?? []).some((r) => r.outcome.kind === 'failed' && r.outcome.code === 'FG_PERMISSION');
    const exitCode =
      alerts > 0
        ? ExitCode.SECURITY_ALERT
        : permission
          ? ExitCode.PERMISSION
          : (summary['failed'] ?? 0) > 0 || reports.error !== null
            ? ExitCode.PARTIAL
            : ExitCode.OK;
    if (runId !== null && ledger !== null)
      ledger.finishRun(
        runId,
        toUtcString(Date.now()),
        exitCode === ExitCode.OK ? 'ok' : `exit-${exitCode}`,
        plan.registryCommit,
        summary,
      );
    return {
      formatVersion: RESULT_FORMAT_VERSION,
      mode: opts.planOnly ? 'plan' : 'apply',
      now: plan.now,
      registryCommit: plan.registryCommit,
      targetChannel: plan.targetChannel,
      items: plan.items.map((i) => toResultItem(i, byKey.get(artifactKey(i.subdir, i.filename)), seen)),
      strays: plan.strays.map((st) => ({ ...st, seenBefore: seen.stray(st) })),
      summary,
      changesPending: changesPending(plan),
      reports,
      indexWrites,
      exitCode,
    };
  } catch (e) {
    const error = asPermissionError(asLedgerError(e, config.ledger), 'prepare the run');
    try {
      if (runId !== null && ledger !== null) {
        // Whatever a permission error stopped is the administrators' to answer for if it expires meanwhile.
        if (isForgegateError(error) && error.code === 'FG_PERMISSION' && plan !== null && index !== null)
          recordHolds(ledger, plan.items, index, error.message, toUtcString(Date.now()));
        ledger.finishRun(runId, toUtcString(Date.now()), isForgegateError(error) ? error.code : 'crashed', null, null);
      }
    } catch {
      // A damaged ledger cannot record how the run ended; the error thrown says why.
    }
    throw error;
  } finally {
    stopSignals();
    try {
      lock?.release();
    } catch {
      // As above: the lock row lives in the ledger, and it expires by itself.
    }
    await stores.close();
    ledger?.close();
  }
}

/** Where maintainers ask for a registry change: the registry repository's issues, or its administrators. */
export function registryHome(config: Config): string {
  return config.registry.type === 'github'
    ? `https://github.com/${config.registry.repository}/issues`
    : "the registry repository's pull requests (ask this gate's administrators)";
}

function identityOf(item: PlanItem, index: StagedIndex): string {
  const artifact = index.artifacts.get(artifactKey(item.subdir, item.filename))!;
  return uploadIdentity(artifact, item.sha256 ?? artifact.sha256 ?? '-');
}

function recordHolds(ledger: Ledger, items: PlanItem[], index: StagedIndex, detail: string, at: string): void {
  ledger.db.transaction(() => {
    for (const item of items.filter((i) => i.decision === 'publish'))
      ledger.recordHold(identityOf(item, index), item.subdir, item.filename, 'FG_PERMISSION', detail, at);
  })();
}

/** Rejections once per upload and reason (then only their last sighting moves); every other outcome per run. */
function recordResults(ledger: Ledger, runId: number, results: ItemResult[], index: StagedIndex, at: string): void {
  ledger.db.transaction(() => {
    for (const { item, outcome } of results) {
      const detail = 'detail' in outcome && outcome.detail !== undefined ? outcome.detail : item.detail;
      if (outcome.kind === 'rejected') {
        ledger.recordRejection({
          identity: identityOf(item, index),
          subdir: item.subdir,
          filename: item.filename,
          feedstock: item.feedstock,
          reason: outcome.reason,
          detail: item.adminCause ? `${detail} (admin-side: ${item.adminCause})` : detail,
          run_id: runId,
          at,
          deleted: outcome.deleted,
        });
        continue;
      }
      if (outcome.kind === 'failed' && outcome.code === 'FG_PERMISSION')
        ledger.recordHold(identityOf(item, index), item.subdir, item.filename, outcome.code, outcome.detail, at);
      ledger.recordDecision({
        run_id: runId,
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
    }
  })();
}
