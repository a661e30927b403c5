// One reconcile run, top to bottom: observe → plan (pure) → apply → record → report, under the run lock. Facts flow
// down: the applier tells what it learns to the run's record (the one writer of the ledger) and returns outcomes.
// `planOnly` stops after planning: it reads the staged bytes it would publish, opens the ledger read-only (or not at
// all) and writes nothing.
import { applyPlan } from '../apply/applier.js';
import type { ItemResult } from '../apply/outcome.js';
import type { Config } from '../config/types.js';
import { ExitCode, ForgegateError, isForgegateError, SIGNAL_EXIT, type ExitCodeValue } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { earlierRejections } from '../ledger/views.js';
import { RunLock } from '../ledger/lock.js';
import { asLedgerError } from '../ledger/open.js';
import { assemblePlan } from '../plan/planner.js';
import type { Observation, Plan, PlanItem, PlanSettings, StrayItem } from '../plan/types.js';
import { artifactKey, sighting } from '../plan/identity.js';
import type { StagedIndex } from '../plan/staged-index.js';
import type { UnpackLimits } from '../conda/limits.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { ReportSink } from '../ports/reports.js';
import { probe } from '../ports/probe.js';
import type { Stores } from '../ports/stores.js';
import { createRegistry, createReportSink, createStores } from './wiring.js';
import { fixFor, isReasonCode } from '../reasons.js';
import { asPermissionError } from '../util/fs-errors.js';
import { toUtcString } from '../util/time.js';
import { checkClock, rerunFix } from './clock-check.js';
import { inspectStaged } from './inspect.js';
import { observe } from './observe.js';
import { loadTrust, trustSourceOf, type TrustState } from './trust-root.js';
import { identityOf, RunRecord } from './record.js';
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
  /** Evidence that did not decide this item (see PlanItem.warnings), and the same by code and file. */
  warnings: string[];
  evidenceWarnings: PlanItem['evidenceWarnings'];
  /** The evidence that passed: key id, or publisher, Rekor entries and signing time (see PlanItem.passed). */
  passed: PlanItem['passed'];
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
  /** The plan's own format (PLAN_FORMAT_VERSION), which the items follow. */
  planFormatVersion: Plan['formatVersion'];
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
  /** What the run says once, whatever the items (the Sigstore trusted root could not be had, say). */
  notices: string[];
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
    evidenceWarnings: item.evidenceWarnings,
    passed: item.passed,
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
  const clock: Clock = () => opts.nowMs ?? systemClock();
  const settings: PlanSettings = {
    targetChannel: config.target.channel,
    labels: config.target.labels,
    subdirs: config.staging.subdirs,
    policy: config.policy,
    registryHome: registryHome(config),
  };
  const limits = { maxUnpackedBytes: config.policy.maxUnpackedBytes, maxUnpackRatio: config.policy.maxUnpackRatio };
  const state: RunState = { phase: 'preparing', record: null, plan: null, index: null, finished: [], notices: [] };
  const progress = (p: keyof typeof PHASE) => (done: number, total: number) => opts.onProgress?.(PHASE[p], done, total);

  const ledger = opts.planOnly ? Ledger.openReadOnly(config.ledger) : new Ledger(config.ledger);
  const lock = opts.planOnly || ledger === null ? null : new RunLock(ledger);
  let stores: Stores | null = null;
  const stopSignals = onSignals((signal) => interrupted(signal, state, lock, opts));
  try {
    stores = createStores(config, { env: opts.env, readOnly: opts.planOnly });
    // Before anything is recorded (a refused run must not become the next one's reference), and before the lock,
    // whose expiry is read with the same clock.
    if (!opts.acceptClockJump)
      checkClock(Date.now(), ledger?.lastRunStartedAt() ?? null, config.policy, rerunFix(config.configPath, opts.env));
    lock?.acquire();
    if (!opts.planOnly && ledger !== null) state.record = RunRecord.start(ledger, toUtcString(Date.now()));
    await prepareStores(stores, opts.planOnly);

    // observe
    state.phase = 'observing';
    const registry = createRegistry(config.registry, { env: opts.env });
    const trustRoot = async (): Promise<TrustState> => {
      const got = await loadTrust(trustSourceOf(config));
      if (got.unavailable !== undefined)
        state.notices.push(`TRUST_ROOT_UNAVAILABLE: ${got.unavailable}; .sigstore.json evidence waits this run`);
      return got;
    };
    const observed = await observe(stores, registry, ledger, clock(), progress('observing'), trustRoot);
    state.index = observed.index;
    for (const [feedstock, why] of observed.observation.registry.invalidKeyFiles ?? [])
      state.notices.push(
        `REGISTRY_KEYS_FILE_INVALID: ${why}; feedstock "${feedstock}" has no keys or publishers until an admin fixes ` +
          'it (forgegate registry lint)',
      );

    // plan (and, for a plan or what retention would delete, read the staged bytes first)
    const { plan, observation } = await planRun(observed.observation, observed.index, stores, settings, {
      planOnly: opts.planOnly,
      limits,
      concurrency: config.policy.concurrency,
      onProgress: progress('inspecting'),
      onPhase: (p) => (state.phase = p),
    });
    state.plan = plan;
    state.phase = 'planning';
    const seen = seenBy(ledger, observation, plan, observed.index);
    if (opts.planOnly || state.record === null)
      return resultOf(plan, null, seen, {
        planOnly: true,
        reports: { sent: 0, error: null },
        indexWrites: 0,
        notices: state.notices,
      });
    const record = state.record;
    // Custody others could change is refused before anything is copied; checked after planning so that a
    // permission error here is remembered against the plan.
    await stores.quarantine.preflight?.();
    record.sightings(observed.sightings, toUtcString(observation.observedAtMs));
    probe('planned');

    // apply, recording facts as they happen and each item's outcome as it finishes
    let alerts = 0;
    const reportSink = createReportSink(config.reports, { env: opts.env });
    const sink: ReportSink = {
      kind: reportSink.kind,
      sendFailures: (r) => reportSink.sendFailures(r),
      // Every alert, whatever raised it, means exit 6.
      sendAlert: async (a) => {
        alerts++;
        await reportSink.sendAlert(a);
      },
    };
    // Under the lock, what a crashed run left in the quarantine is debris.
    await stores.quarantine.sweep?.();
    state.phase = 'applying';
    if (plan.items.length > 0) progress('applying')(0, plan.items.length);
    // Decisions are dated when the run observed the world (before anything it then published).
    const decidedAt = toUtcString(observation.observedAtMs);
    const applied = await applyPlan(plan, observed.index, {
      ...stores,
      registry,
      alerts: sink,
      record: record.fact,
      concurrency: config.policy.concurrency,
      unpackLimits: limits,
      clock,
      onProgress: progress('applying'),
      onItemDone: (r) => {
        record.outcome(r, observed.index, decidedAt);
        state.finished.push(r);
      },
    });

    // report
    state.phase = 'reporting';
    const reports = await sendReports(failureReports(applied.results), sink, record, clock());
    const result = resultOf(plan, applied.results, seen, {
      planOnly: false,
      reports,
      indexWrites: applied.indexWrites,
      alerts,
      notices: state.notices,
    });
    record.finish(
      toUtcString(Date.now()),
      result.exitCode === ExitCode.OK ? 'ok' : `exit-${result.exitCode}`,
      plan.registryCommit,
      result.summary,
    );
    return result;
  } catch (e) {
    const error = asPermissionError(asLedgerError(e, config.ledger), 'prepare the run');
    try {
      const { record, plan, index } = state;
      if (record !== null) {
        // Whatever a permission error stopped is the administrators' to answer for if it expires meanwhile.
        if (isForgegateError(error) && error.code === 'FG_PERMISSION' && plan !== null && index !== null)
          record.holds(plan.items, index, error.message, toUtcString(Date.now()));
        record.finish(toUtcString(Date.now()), isForgegateError(error) ? error.code : 'crashed', null, null);
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
    await stores?.close();
    ledger?.close();
  }
}

/** What a run carries from phase to phase, for what an interrupted or failed run says and records. */
interface RunState {
  phase: keyof typeof PHASE;
  /** The run's record in the ledger: null for a plan, or before the run started. */
  record: RunRecord | null;
  plan: Plan | null;
  index: StagedIndex | null;
  /** What applying finished so far: what an interrupted run says it did. */
  finished: ItemResult[];
  /** Said once in the result (ReconcileResult.notices). */
  notices: string[];
}

/** Under the lock, before anything is listed: staging's layout is checked, and a half-done index write finished. */
async function prepareStores(stores: Stores, planOnly: boolean): Promise<void> {
  // A staging layout uploaders could rearrange under the run is refused before anything is read.
  await stores.staging.preflight?.();
  // Before the target is listed: an index write a crashed run left half done is finished (a plan changes nothing).
  if (!planOnly) await stores.target.sweep?.();
}

/**
 * The plan, from what was observed. A plan predicts what the applier would find in the quarantined copy from the
 * staged bytes; applying reads them only for uploads past rejectRetention, so bytes that never verify are deleted as
 * the plan said they would be, instead of being retried forever.
 */
async function planRun(
  observed: Observation,
  index: StagedIndex,
  stores: Stores,
  settings: PlanSettings,
  opts: {
    planOnly: boolean;
    limits: UnpackLimits;
    concurrency: number;
    onProgress: (done: number, total: number) => void;
    onPhase: (phase: 'inspecting') => void;
  },
): Promise<{ plan: Plan; observation: Observation }> {
  const plan = assemblePlan(observed, settings);
  const inspect = opts.planOnly || plan.items.some((i) => i.decision === 'publish' && i.pastRetention);
  if (!inspect) return { plan, observation: observed };
  opts.onPhase('inspecting');
  const { inspections, twinContents } = await inspectStaged(plan, index, stores.staging, stores.target, {
    limits: opts.limits,
    concurrency: opts.concurrency,
    onProgress: opts.onProgress,
    ...(opts.planOnly ? {} : { only: (i: PlanItem) => i.pastRetention }),
  });
  const observation = { ...observed, inspections, twinContents };
  return { plan: assemblePlan(observation, settings), observation };
}

/** The run's answer: each item as planned and as applied, the counts and the exit code. */
function resultOf(
  plan: Plan,
  results: ItemResult[] | null,
  seen: Seen,
  run: {
    planOnly: boolean;
    reports: { sent: number; error: string | null };
    indexWrites: number;
    alerts?: number;
    notices: string[];
  },
): ReconcileResult {
  const byKey = new Map((results ?? []).map((r) => [artifactKey(r.item.subdir, r.item.filename), r]));
  const summary = summarise(plan, results);
  const permission = (results ?? []).some((r) => r.outcome.kind === 'failed' && r.outcome.code === 'FG_PERMISSION');
  const exitCode =
    (run.alerts ?? 0) > 0
      ? ExitCode.SECURITY_ALERT
      : permission
        ? ExitCode.PERMISSION
        : (summary['failed'] ?? 0) > 0 || run.reports.error !== null
          ? ExitCode.PARTIAL
          : ExitCode.OK;
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    planFormatVersion: plan.formatVersion,
    mode: run.planOnly ? 'plan' : 'apply',
    now: plan.now,
    registryCommit: plan.registryCommit,
    targetChannel: plan.targetChannel,
    items: plan.items.map((i) => toResultItem(i, byKey.get(artifactKey(i.subdir, i.filename)), seen)),
    strays: plan.strays.map((st) => ({ ...st, seenBefore: seen.stray(st) })),
    summary,
    changesPending: changesPending(plan),
    reports: run.reports,
    indexWrites: run.indexWrites,
    notices: run.notices,
    exitCode,
  };
}

/** A signal ends the run: the ledger says so, the lock goes, and the caller says what was finished. */
function interrupted(signal: NodeJS.Signals, state: RunState, lock: RunLock | null, opts: ReconcileOptions): never {
  try {
    state.record?.interrupted(toUtcString(Date.now()), signal);
    lock?.release();
  } catch {
    // The ledger could not say so; the next run marks a `running` run without a lock holder as interrupted.
  }
  try {
    const done: Record<string, number> = {};
    for (const r of state.finished) done[r.outcome.kind] = (done[r.outcome.kind] ?? 0) + 1;
    const unfinished = (state.plan?.items.length ?? 0) - state.finished.length;
    const mode = opts.planOnly ? 'plan' : 'apply';
    opts.onInterrupt?.({ signal, mode, phase: state.phase, finished: done, unfinished });
  } catch {
    // Saying what was finished is a courtesy; exiting with the signal's code is what matters.
  }
  process.exit(SIGNAL_EXIT[signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM']);
}

/** Where maintainers ask for a registry change: the registry repository's issues, or its administrators. */
export function registryHome(config: Config): string {
  return config.registry.type === 'github'
    ? `https://github.com/${config.registry.repository}/issues`
    : "the registry repository's pull requests (ask this gate's administrators)";
}
