// The applier: carries out a plan item by item, in parallel, each item's failure contained. All I/O lives here
// and in the store adapters. Per publish: quarantine → verify → register → place; then the target makes every placed
// file visible at once (one index write per label and subdir, however many files); then confirm → record → unstage.
import pLimit from 'p-limit';
import type { UnpackLimits } from '../conda/limits.js';
import { verifyArtifact } from '../conda/verify-artifact.js';
import type { ArtifactFacts, Digests } from '../model.js';
import type { ReasonCode } from '../reasons.js';
import type { Quarantine } from '../ports/quarantine.js';
import type { RegistrySource } from '../ports/registry.js';
import type { ReportSink } from '../ports/reports.js';
import type { StagedArtifact, StagedItem, StagingStore } from '../ports/staging.js';
import type { Held, PublishOutcome, TargetStore } from '../ports/target.js';
import { parseArtifactFilename } from '../conda/filename.js';
import { artifactKey, uploadIdentity } from '../plan/identity.js';
import type { StagedIndex } from '../plan/staged-index.js';
import type { CleanupItem, Plan, PlanItem, PublishItem } from '../plan/types.js';
import type { Clock } from '../ports/clock.js';
import { sameDigests } from '../util/digest.js';
import { isForgegateError } from '../errors.js';
import { asPermissionError } from '../util/fs-errors.js';
import { probe } from '../ports/probe.js';
import { toUtcString } from '../util/time.js';
import type { ApplyFact, FactSink, ItemResult, Outcome } from './outcome.js';
import { publishedTwinContent } from './twin.js';
import { servedBundles } from './served-bundles.js';
import { contentDifference } from '../conda/package-content.js';
import { twinDiffers, twinUnreadable } from '../plan/target-check.js';

export interface ApplyDeps {
  staging: StagingStore;
  quarantine: Quarantine;
  target: TargetStore;
  registry: RegistrySource;
  /** Security alerts (a confirmation mismatch, a registry conflict, staging changed under the run). */
  alerts: Pick<ReportSink, 'sendAlert'>;
  /** Where the facts applying learns are told, as they happen. */
  record: FactSink;
  concurrency: number;
  /** Resource bounds for reading each artifact (from the policy). */
  unpackLimits: UnpackLimits;
  clock: Clock;
  onProgress?: (done: number, total: number) => void;
  /** Each item as it finishes (what a run stopped by a signal says it finished). */
  onItemDone?: (result: ItemResult) => void;
}

/** What applying did: each item's outcome, and how many target indexes were written (once per label and subdir). */
export interface ApplyResult {
  results: ItemResult[];
  indexWrites: number;
}

/** Work an item still has after the target flushed: confirming and unstaging happen once the file is visible. */
interface Pending {
  kind: 'pending';
  finish: () => Promise<Outcome>;
}

export async function applyPlan(plan: Plan, staged: StagedIndex, deps: ApplyDeps): Promise<ApplyResult> {
  const limit = pLimit(deps.concurrency);
  let done = 0;
  // Whatever one item throws is that item's transient failure; the next run retries it.
  const contained = async (work: () => Promise<Outcome | Pending>): Promise<Outcome | Pending> => work().catch(failure);
  const first = await Promise.all(
    plan.items.map(async (item) => ({
      item,
      work: await limit(() => contained(() => applyItem(item, staged, plan, deps))),
    })),
  );
  let indexWrites = 0;
  let flushFailure: Outcome | null = null;
  if (first.some((r) => r.work.kind === 'pending') && deps.target.flush) {
    try {
      indexWrites = await deps.target.flush();
      probe('flushed');
    } catch (e) {
      // Every placed file stays invisible: each item is a transient failure the next run repairs.
      flushFailure = failure(e);
    }
  }
  const results = await Promise.all(
    first.map(({ item, work }) =>
      limit(async (): Promise<ItemResult> => {
        const outcome =
          work.kind !== 'pending' ? work : flushFailure !== null ? flushFailure : await contained(work.finish);
        const result: ItemResult = { item, outcome: outcome as Outcome };
        deps.onItemDone?.(result);
        deps.onProgress?.(++done, plan.items.length);
        return result;
      }),
    ),
  );
  await Promise.all(
    plan.strays
      .filter((s) => s.delete)
      .map((s) =>
        limit(async () => {
          const item = staged.byHandle.get(s.handle);
          // Any other failure is retried by the next run; a changed object is an alert, never acted on.
          if (item) await unstage(item, s.subdir, null, deps).catch(() => undefined);
        }),
      ),
  );
  return { results, indexWrites };
}

/**
 * Remove one staged item. When the store says it (or its folder) is no longer the object listed, nothing is
 * removed and a security alert is raised: that is how a swapped folder would aim a deletion at the channel.
 */
async function unstage(item: StagedItem, subdir: string | null, feedstock: string | null, deps: ApplyDeps) {
  try {
    await deps.staging.remove(item);
    return null;
  } catch (e) {
    if (!isForgegateError(e) || e.code !== 'FG_STAGING_CHANGED') throw e;
    await deps.alerts.sendAlert({
      kind: 'STAGING_CHANGED',
      subdir: subdir ?? '-',
      filename: item.filename,
      feedstock,
      detail: e.message,
    });
    return { kind: 'alert', detail: e.message } satisfies Outcome;
  }
}

/** An item's exception as its transient failure (permission errors keep their code: an admin must act). */
function failure(e: unknown): Outcome {
  const err = asPermissionError(e, 'apply');
  const code = isForgegateError(err) ? err.code : undefined;
  return { kind: 'failed', detail: firstLine(err), ...(code !== undefined ? { code } : {}) };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500);
}

/** The artifact, then its signatures; an alert (nothing more removed) when staging changed under the run. */
async function removeStaged(
  item: PlanItem,
  artifact: StagedArtifact,
  staged: StagedIndex,
  deps: ApplyDeps,
): Promise<Outcome | null> {
  const alert = await unstage(artifact, item.subdir, item.feedstock, deps);
  if (alert) return alert;
  probe('artifact-removed');
  for (const handle of item.signatures) {
    const sig = staged.byHandle.get(handle);
    const sigAlert = sig ? await unstage(sig, item.subdir, item.feedstock, deps) : null;
    if (sigAlert) return sigAlert;
  }
  return null;
}

async function applyItem(item: PlanItem, staged: StagedIndex, plan: Plan, deps: ApplyDeps): Promise<Outcome | Pending> {
  const artifact = staged.artifacts.get(artifactKey(item.subdir, item.filename));
  if (!artifact) return { kind: 'failed', detail: 'artifact vanished from the observation (bug)' };
  switch (item.decision) {
    case 'wait':
      return { kind: 'waiting' };
    case 'reject': {
      const alert = item.deleteStaged ? await removeStaged(item, artifact, staged, deps) : null;
      return alert ?? { kind: 'rejected', reason: item.reason, detail: item.detail, deleted: item.deleteStaged };
    }
    case 'cleanup':
      return cleanup(item, artifact, staged, deps);
    case 'publish':
      return publish(item, artifact, staged, plan, deps);
  }
}

const expectedOf = (item: PublishItem | CleanupItem): Digests => ({
  size: item.size,
  sha256: item.sha256,
  md5: item.md5,
});

/** The publication of exactly these bytes under the item's label, for the record (the tombstone of REPLAYED). */
function publication(item: PublishItem | CleanupItem, held: Held, deps: ApplyDeps): ApplyFact {
  const { subdir, filename, label, feedstock } = item;
  const digests = { size: held.size, sha256: held.sha256, md5: held.md5 };
  const uploadedAt = held.uploadedAt ?? null;
  return {
    kind: 'publication',
    subdir,
    filename,
    label,
    digests,
    feedstock,
    uploadedAt,
    evidence: item.passed,
    ...(held.attestations !== undefined ? { attestations: held.attestations } : {}),
    at: toUtcString(deps.clock()),
  };
}

async function cleanup(
  item: CleanupItem,
  artifact: StagedArtifact,
  staged: StagedIndex,
  deps: ApplyDeps,
): Promise<Outcome | Pending> {
  const stagedDigests = await deps.staging.digest(artifact);
  const expected = expectedOf(item);
  if (!sameDigests(stagedDigests, expected)) {
    return {
      kind: 'rejected',
      reason: 'DIGEST_MISMATCH',
      detail: 'staged bytes differ from the statement',
      deleted: false,
    };
  }
  return {
    kind: 'pending',
    finish: async () => {
      // Never delete from staging before the target provably holds identical bytes: ask it afresh.
      const held = await deps.target.confirm(item.subdir, item.filename, item.label);
      if (held === null || !sameDigests(held, expected)) {
        return {
          kind: 'failed',
          detail: 'the target no longer holds these bytes under the label; the next run re-plans',
        };
      }
      deps.record(publication(item, held, deps));
      return (await removeStaged(item, artifact, staged, deps)) ?? { kind: 'cleaned' };
    },
  };
}

/** A verdict on bytes proven to be the statement's: it holds for every later upload of exactly them. */
function verdict(item: PublishItem, artifact: StagedArtifact, reason: ReasonCode, detail: string, deps: ApplyDeps) {
  const { subdir, filename } = item;
  const identity = uploadIdentity(artifact, item.sha256);
  deps.record({ kind: 'verdict', identity, subdir, filename, reason, detail, at: toUtcString(deps.clock()) });
}

/** The other format of this build is published: this one joins it only if both hold the same package. */
async function twinConflict(item: PublishItem, facts: ArtifactFacts, deps: ApplyDeps): Promise<string | null> {
  if (item.twin === null) return null;
  const twin = await publishedTwinContent(deps.target, item.subdir, item.twin, deps.unpackLimits);
  if ('error' in twin) return twinUnreadable(item.subdir, item.twin.filename, twin.error);
  if (facts.content === undefined) throw new Error('verification did not work out the package content (bug)');
  const difference = contentDifference(facts.content, twin);
  return difference === null ? null : twinDiffers(item.subdir, item.twin.filename, difference);
}

async function publish(
  item: PublishItem,
  artifact: StagedArtifact,
  staged: StagedIndex,
  plan: Plan,
  deps: ApplyDeps,
): Promise<Outcome | Pending> {
  const expected = expectedOf(item);
  const bundles = servedBundles(item, staged);
  if ('error' in bundles) return { kind: 'failed', detail: bundles.error };
  const copy = await deps.quarantine.admit(artifact);
  try {
    probe('admitted');
    // Verify the quarantined bytes: a file swapped in staging after listing can never reach the target.
    const check = await verifyArtifact(
      await deps.quarantine.open(copy),
      { size: expected.size, filename: item.filename, subdir: item.subdir },
      { limits: deps.unpackLimits, content: item.twin !== null },
    );
    const digests = check.ok ? check.facts : check.digests;
    if (digests !== null && !sameDigests(digests, expected)) {
      // Not remembered: the next upload under this name and statement may well be the right bytes.
      const detail =
        `quarantined bytes: size ${digests.size}, sha256 ${digests.sha256}; statement: size ${expected.size}, ` +
        `sha256 ${expected.sha256}`;
      return { kind: 'rejected', reason: 'DIGEST_MISMATCH', detail, deleted: false };
    }
    if (!check.ok) {
      if (digests !== null) verdict(item, artifact, check.reason, check.detail, deps);
      return { kind: 'rejected', reason: check.reason, detail: check.detail, deleted: false };
    }
    probe('verified');
    const conflict = await twinConflict(item, check.facts, deps);
    if (conflict !== null) {
      // Both files are fixed (nothing published is ever replaced): the verdict holds for every later run.
      verdict(item, artifact, 'TARGET_CONFLICT', conflict, deps);
      return { kind: 'rejected', reason: 'TARGET_CONFLICT', detail: conflict, deleted: false };
    }

    let registered = false;
    if (item.register) {
      const name = parseArtifactFilename(item.filename)?.name;
      if (name === undefined) return { kind: 'failed', detail: 'a planned publication has no artifact name (bug)' };
      const reg = await deps.registry.register(name, item.feedstock, plan.registryCommit);
      if (reg.kind === 'conflict') {
        await deps.alerts.sendAlert({
          kind: 'REGISTRY_CONFLICT',
          subdir: item.subdir,
          filename: item.filename,
          feedstock: item.feedstock,
          detail:
            `"${name}" was registered to ${reg.owners.join(', ')} ` +
            `while this run registered it for ${item.feedstock}`,
        });
        return {
          kind: 'rejected',
          reason: 'OUTPUT_NOT_ALLOWED',
          detail: `"${name}" is now registered to ${reg.owners.join(', ')}`,
          deleted: false,
        };
      }
      registered = reg.kind === 'registered';
    }

    const twin = item.twin === null ? undefined : { filename: item.twin.filename, sha256: item.twin.sha256 };
    const result = await deps.target.publish(copy, item.label, check.facts, twin, bundles);
    if (result.kind === 'conflict')
      return { kind: 'rejected', reason: 'TARGET_CONFLICT', detail: result.detail, deleted: false };
    probe('published');
    return {
      kind: 'pending',
      finish: () => confirmPublished(item, artifact, staged, deps, check.facts, result, registered),
    };
  } finally {
    await deps.quarantine.discard(copy).catch(() => undefined);
  }
}

/** After the flush: the target must serve exactly the verified bytes, else the copy is withdrawn, with an alert. */
async function confirmPublished(
  item: PublishItem,
  artifact: StagedArtifact,
  staged: StagedIndex,
  deps: ApplyDeps,
  facts: ArtifactFacts,
  placed: PublishOutcome,
  registered: boolean,
): Promise<Outcome> {
  const held = await deps.target.confirm(item.subdir, item.filename, item.label);
  if (held === null || !sameDigests(held, facts)) {
    const served = held === null ? 'nothing' : `size ${held.size} sha256 ${held.sha256}`;
    const detail =
      `after publishing, the target serves ${served} instead of the verified bytes ` + `(sha256 ${facts.sha256})`;
    if (placed.kind === 'published') await deps.target.withdraw(item.subdir, item.filename, item.label);
    await deps.alerts.sendAlert({
      kind: 'TARGET_CONFIRMATION_MISMATCH',
      subdir: item.subdir,
      filename: item.filename,
      feedstock: item.feedstock,
      detail,
    });
    return { kind: 'alert', detail };
  }
  probe('confirmed');
  deps.record(publication(item, held, deps));
  probe('recorded');
  const alert = await removeStaged(item, artifact, staged, deps);
  if (alert) return alert;
  probe('staging-removed');
  const notes = [item.detail, ...facts.notes].filter((n): n is string => n !== null && n !== '');
  return { kind: 'published', registered, ...(notes.length > 0 ? { detail: notes.join('; ') } : {}) };
}
