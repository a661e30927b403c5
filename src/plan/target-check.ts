// Step 9 of upload-statement-v1: the target. Nothing is ever overwritten; what was taken off stays off; the other
// format of a build (its twin) is published beside the first only when both hold the same package.
import { artifactTwin } from '../conda/filename.js';
import { contentDifference, type PackageContent } from '../conda/package-content.js';
import type { StagedArtifact } from '../ports/staging.js';
import type { TargetFile } from '../ports/target.js';
import type { UploadStatement } from '../statement/statement.js';
import { artifactKey } from './identity.js';
import type { Observation, PublishedTwin } from './types.js';

export type TargetVerdict =
  | { kind: 'publish'; twin: PublishedTwin | null; detail: string | null }
  | { kind: 'cleanup' }
  | { kind: 'reject'; reason: 'TARGET_CONFLICT' | 'REPLAYED'; detail: string };

/** Where the published twin is read from, and the key its content is observed under (plans read it). */
export function twinContentKey(subdir: string, filename: string, sha256: string): string {
  return `${artifactKey(subdir, filename)}|${sha256}`;
}

/** The same bytes under this name, and where they are (null when the target holds nothing under it). */
function heldCopies(obs: Observation, key: string): TargetFile[] {
  return obs.target.files.get(key) ?? [];
}

/** Why a name was taken off for good, from the channel itself or from the ledger; null when it never was. */
function tombstone(obs: Observation, subdir: string, filename: string): string | null {
  const key = artifactKey(subdir, filename);
  if (obs.target.removed.has(key)) return 'the channel lists it as removed (taken off by an administrator)';
  const before = obs.ledger.publications.get(key) ?? [];
  if (before.length > 0)
    return `published before (label ${before.map((p) => p.label).join(', ')}) and since removed from the target`;
  return null;
}

/**
 * `content` is what the staged package installs, where a plan read it; the published twin's content is then looked
 * up in the observation. Without both, a twin is compared by the applier on the quarantined copy.
 */
export function checkTarget(
  artifact: StagedArtifact,
  st: UploadStatement,
  obs: Observation,
  labels: readonly string[],
  content: PackageContent | undefined,
): TargetVerdict {
  const copies = heldCopies(obs, artifactKey(artifact.subdir, artifact.filename));
  const other = copies.find((c) => c.sha256 !== st.sha256 || c.md5 !== st.md5 || c.size !== st.size);
  if (other) {
    const detail = `the target holds other bytes under this name (label ${other.label}, sha256 ${other.sha256})`;
    return { kind: 'reject', reason: 'TARGET_CONFLICT', detail };
  }
  if (copies.some((c) => c.label === st.label)) return { kind: 'cleanup' };
  if (copies.length > 0) {
    const labels = copies.map((c) => c.label).join(', ');
    return { kind: 'reject', reason: 'REPLAYED', detail: `published before and now only under label(s) ${labels}` };
  }
  const gone = tombstone(obs, artifact.subdir, artifact.filename);
  if (gone !== null) return { kind: 'reject', reason: 'REPLAYED', detail: gone };

  const twin = artifactTwin(artifact.filename);
  const twinGone = tombstone(obs, artifact.subdir, twin);
  const twinCopies = heldCopies(obs, artifactKey(artifact.subdir, twin));
  if (twinCopies.length === 0 && twinGone !== null)
    return { kind: 'reject', reason: 'REPLAYED', detail: `${artifact.subdir}/${twin} held this build: ${twinGone}` };
  if (twinCopies.length === 0) return { kind: 'publish', twin: null, detail: null };
  // A yanked build (its twin moved to `broken` or another label this gate does not publish to) stays yanked.
  if (!twinCopies.some((c) => labels.includes(c.label))) {
    const where = twinCopies.map((c) => c.label).join(', ');
    const detail = `${artifact.subdir}/${twin} held this build and is now only under label(s) ${where}`;
    return { kind: 'reject', reason: 'REPLAYED', detail };
  }
  const first = twinCopies[0]!;
  const published = { filename: twin, label: first.label, size: first.size, sha256: first.sha256 };
  if (twinCopies.some((c) => c.sha256 !== first.sha256)) {
    const detail = `the target holds different files under ${artifact.subdir}/${twin}; an administrator must decide`;
    return { kind: 'reject', reason: 'TARGET_CONFLICT', detail };
  }
  const held =
    content === undefined ? undefined : obs.twinContents?.get(twinContentKey(artifact.subdir, twin, first.sha256));
  if (held === undefined || content === undefined)
    return {
      kind: 'publish',
      twin: published,
      detail: `beside its twin ${twin} if both hold the same package`,
    };
  if ('error' in held)
    return { kind: 'reject', reason: 'TARGET_CONFLICT', detail: twinUnreadable(artifact.subdir, twin, held.error) };
  const difference = contentDifference(content, held);
  if (difference !== null)
    return { kind: 'reject', reason: 'TARGET_CONFLICT', detail: twinDiffers(artifact.subdir, twin, difference) };
  return { kind: 'publish', twin: published, detail: sameAsTwin(twin) };
}

// One wording for the planner (plans) and the applier (runs), so both say the same.
export const sameAsTwin = (twin: string): string => `beside its twin ${twin}, which holds the same package`;
export const twinDiffers = (subdir: string, twin: string, difference: string): string =>
  `${subdir}/${twin} holds this name-version-build with other content: ${difference}`;
export const twinUnreadable = (subdir: string, twin: string, error: string): string =>
  `${subdir}/${twin} holds this name-version-build and cannot be compared: ${error}`;
