// Reading the published twin of a build (its other format) to compare what both install. Used by the applier on
// every twin it publishes and by plans, so both decide on the same comparison.
import type { UnpackLimits } from '../conda/limits.js';
import type { PackageContent } from '../conda/package-content.js';
import { verifyArtifact } from '../conda/verify-artifact.js';
import type { TargetStore } from '../ports/target.js';
import type { PublishedTwin } from '../plan/types.js';

/**
 * What the published twin installs, or why it cannot be compared (a package forgegate would refuse: published before
 * the gate, say). A twin that is gone or changed since it was listed throws: the next run sees the target afresh.
 */
export async function publishedTwinContent(
  target: TargetStore,
  subdir: string,
  twin: PublishedTwin,
  limits: UnpackLimits,
): Promise<PackageContent | { error: string }> {
  const stream = await target.open(subdir, twin.filename, twin.label);
  const changed = (what: string): Error =>
    new Error(`${subdir}/${twin.filename} ${what} since the target was listed; the next run decides afresh`);
  if (stream === null) throw changed(`is no longer served under label ${twin.label}`);
  const check = await verifyArtifact(
    stream,
    { filename: twin.filename, subdir, size: twin.size },
    { limits, content: true },
  );
  const digests = check.ok ? check.facts : check.digests;
  if (digests?.sha256 !== twin.sha256) throw changed('changed');
  if (!check.ok) return { error: `it does not read as a package forgegate accepts (${check.detail})` };
  return check.facts.content!;
}
