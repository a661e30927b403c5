// `--plan` reads the staged bytes of every item it would publish, read-only, and verifies them as the applier will
// verify the quarantined copy: the verdicts go back into the pure planner as observed facts.
import pLimit from 'p-limit';
import type { StagedIndex } from '../plan/staged-index.js';
import type { UnpackLimits } from '../conda/limits.js';
import { verifyArtifact } from '../conda/verify-artifact.js';
import { publishedTwinContent } from '../apply/twin.js';
import type { PackageContent } from '../conda/package-content.js';
import type { StagingStore } from '../ports/staging.js';
import type { TargetStore } from '../ports/target.js';
import { twinContentKey } from '../plan/target-check.js';
import { artifactKey, uploadIdentity } from '../plan/identity.js';
import type { Inspection, Plan } from '../plan/types.js';

export interface Inspected {
  inspections: Map<string, Inspection>;
  /** What each published twin the plan compares with installs (see PlanItem.twin). */
  twinContents: Map<string, PackageContent | { error: string }>;
}

export async function inspectStaged(
  plan: Plan,
  index: StagedIndex,
  staging: StagingStore,
  target: TargetStore,
  opts: {
    limits: UnpackLimits;
    concurrency: number;
    onProgress?: (done: number, total: number) => void;
    only?: (item: Plan['items'][number]) => boolean;
  },
): Promise<Inspected> {
  const items = plan.items.filter((i) => i.decision === 'publish' && (opts.only?.(i) ?? true));
  const verdicts = new Map<string, Inspection>();
  const twinContents = new Map<string, PackageContent | { error: string }>();
  const limit = pLimit(opts.concurrency);
  let done = 0;
  if (items.length > 0) opts.onProgress?.(0, items.length);
  await Promise.all(
    items.map((item) =>
      limit(async () => {
        const artifact = index.artifacts.get(artifactKey(item.subdir, item.filename))!;
        const identity = uploadIdentity(artifact, item.sha256!);
        verdicts.set(identity, await inspectOne(staging, artifact, item, opts.limits));
        if (item.twin !== null) {
          const key = twinContentKey(item.subdir, item.twin.filename, item.twin.sha256);
          const twin = await publishedTwinContent(target, item.subdir, item.twin, opts.limits).catch(() => null);
          // Unreadable now: the plan leaves the comparison to the run, as it does for unreadable staged bytes.
          if (twin !== null) twinContents.set(key, twin);
        }
        opts.onProgress?.(++done, items.length);
      }),
    ),
  );
  return { inspections: verdicts, twinContents };
}

async function inspectOne(
  staging: StagingStore,
  artifact: Parameters<NonNullable<StagingStore['open']>>[0],
  item: Plan['items'][number],
  limits: UnpackLimits,
): Promise<Inspection> {
  if (!staging.open) return { kind: 'unavailable', detail: `the ${staging.kind} staging store cannot be read` };
  try {
    const check = await verifyArtifact(
      await staging.open(artifact),
      { size: item.size!, filename: item.filename, subdir: item.subdir },
      { limits, content: item.twin !== null },
    );
    const digests = check.ok ? { size: check.facts.size, sha256: check.facts.sha256, md5: check.facts.md5 } : null;
    return check.ok
      ? { kind: 'verified', digests: digests!, ...(check.facts.content ? { content: check.facts.content } : {}) }
      : { kind: 'refused', reason: check.reason, detail: check.detail, digests: check.digests };
  } catch (e) {
    // Unreadable now (gone, a network error): the plan says so; the apply decides on the quarantined copy.
    return { kind: 'unavailable', detail: (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200) };
  }
}
