// One reconcile run: lock → observe → plan (pure) → apply → report → record. `planOnly` stops after planning.
import { applyPlan } from '../apply/applier.js';
import type { ItemResult } from '../apply/outcome.js';
import type { Config } from '../config/types.js';
import { ExitCode, ForgegateError, isForgegateError, type ExitCodeValue } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { RunLock } from '../ledger/lock.js';
import { asLedgerError } from '../ledger/open.js';
import { assemblePlan } from '../plan/planner.js';
import type { Plan, PlanItem, StrayItem } from '../plan/types.js';
import { artifactKey } from '../plan/identity.js';
import type { ReportSink } from '../model.js';
import { createRegistry, createReportSink, createStores } from './wiring.js';
import { fixFor, isReasonCode } from '../reasons.js';
import { faultPoint } from '../util/fault.js';
import { toUtcString } from '../util/time.js';
import { checkClock } from './clock-check.js';
import { observe } from './observe.js';
import { failureReports, sendReports } from './report-failures.js';

export const RESULT_FORMAT_VERSION = 1;

export interface ReconcileOptions {
  planOnly: boolean;
  /** The time decisions are made at (`--now`, plans only); defaults to the wall clock. */
  nowMs?: number;
  /** Run even though the clock moved against the last run (the operator checked it). */
  acceptClockJump?: boolean;
  env: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number) => void;
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
}

export interface ReconcileResult {
  formatVersion: typeof RESULT_FORMAT_VERSION;
  mode: 'plan' | 'apply';
  now: string;
  registryCommit: string | null;
  targetChannel: string;
  items: ResultItem[];
  strays: StrayItem[];
  summary: Record<string, number>;
  reports: { sent: number; error: string | null };
  /** Target indexes written by this run: one per (label, subdir) it published into, whatever the count. */
  indexWrites: number;
  exitCode: ExitCodeValue;
}

function toResultItem(item: PlanItem, applied: ItemResult | undefined): ResultItem {
  const o = applied?.outcome;
  const reason = o?.kind === 'rejected' ? o.reason : item.reason;
  const detail = o && 'detail' in o && o.detail !== undefined ? o.detail : item.detail;
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
  };
}

function summarise(plan: Plan, results: ItemResult[] | null): Record<string, number> {
  const summary: Record<string, number> = { ...plan.summary };
  for (const r of results ?? []) summary[r.outcome.kind] = (summary[r.outcome.kind] ?? 0) + 1;
  return summary;
}

export async function reconcile(config: Config, opts: ReconcileOptions): Promise<ReconcileResult> {
  if (!opts.planOnly && opts.nowMs !== undefined)
    throw new ForgegateError('FG_USAGE', 'a run that applies must use the machine clock', {
      fix: 'Pass --now only with --plan.',
    });
  const clock = (): number => opts.nowMs ?? Date.now();
  const ledger = new Ledger(config.ledger);
  const lock = opts.planOnly ? null : new RunLock(ledger);
  const stores = createStores(config, { env: opts.env, readOnly: opts.planOnly });
  let runId: number | null = null;
  try {
    // Before anything is recorded (a refused run must not become the next one's reference), and before the lock,
    // whose expiry is read with the same clock.
    if (!opts.acceptClockJump) checkClock(Date.now(), ledger.lastRunStartedAt(), config.policy);
    lock?.acquire();
    runId = ledger.startRun(opts.planOnly ? 'plan' : 'apply', toUtcString(Date.now()));
    // Before anything is read: a staging layout uploaders could rearrange under the run is refused, and so is
    // custody others could change (a plan copies nothing, so it leaves the quarantine alone).
    await stores.staging.preflight?.();
    if (!opts.planOnly) await stores.quarantine.preflight?.();
    const registry = createRegistry(config.registry, { env: opts.env });
    const { observation, index, sightings } = await observe(stores, registry, ledger, clock());
    const plan = assemblePlan(observation, {
      targetChannel: config.target.channel,
      labels: config.target.labels,
      subdirs: config.staging.subdirs,
      policy: config.policy,
    });

    let results: ItemResult[] | null = null;

    let indexWrites = 0;
    let alerts = 0;
    let reports = { sent: 0, error: null as string | null };
    if (!opts.planOnly) {
      // Ages count from here for whatever this run sees first (a plan changes nothing, so it records nothing).
      ledger.recordSightings(sightings, toUtcString(observation.observedAtMs));
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
      // Under the lock, what a crashed run left in the quarantine or the target's temp folder is debris.
      await stores.quarantine.sweep?.();
      await stores.target.sweep?.();
      const applied = await applyPlan(plan, index, {
        ...stores,
        registry,
        ledger,
        alerts: sink,
        runId,
        concurrency: config.policy.concurrency,
        unpackLimits: {
          maxUnpackedBytes: config.policy.maxUnpackedBytes,
          maxUnpackRatio: config.policy.maxUnpackRatio,
        },
        clock,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      results = applied.results;
      indexWrites = applied.indexWrites;
      reports = await sendReports(failureReports(results), sink, ledger, clock());
      const id = runId;
      ledger.db.transaction(() => {
        for (const { item, outcome } of results!) {
          ledger.recordDecision({
            run_id: id,
            subdir: item.subdir,
            filename: item.filename,
            feedstock: item.feedstock,
            decision: item.decision,
            reason: outcome.kind === 'rejected' ? outcome.reason : item.reason,
            outcome: outcome.kind,
            detail: 'detail' in outcome && outcome.detail !== undefined ? outcome.detail : item.detail,
          });
        }
      })();
    }
    const byKey = new Map((results ?? []).map((r) => [artifactKey(r.item.subdir, r.item.filename), r]));
    const summary = summarise(plan, results);
    const exitCode =
      alerts > 0
        ? ExitCode.SECURITY_ALERT
        : (summary['failed'] ?? 0) > 0 || reports.error !== null
          ? ExitCode.PARTIAL
          : ExitCode.OK;
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
      items: plan.items.map((i) => toResultItem(i, byKey.get(artifactKey(i.subdir, i.filename)))),
      strays: plan.strays,
      summary,
      reports,
      indexWrites,
      exitCode,
    };
  } catch (e) {
    const error = asLedgerError(e, config.ledger);
    try {
      if (runId !== null)
        ledger.finishRun(runId, toUtcString(Date.now()), isForgegateError(error) ? error.code : 'crashed', null, null);
    } catch {
      // A damaged ledger cannot record how the run ended; the error thrown says why.
    }
    throw error;
  } finally {
    try {
      lock?.release();
    } catch {
      // As above: the lock row lives in the ledger, and it expires by itself.
    }
    await stores.close();
    ledger.close();
  }
}
