// Deterministic identities that round-trip: artifact keys and the key of one staged upload.
import type { StagedArtifact } from '../model.js';

export function artifactKey(subdir: string, filename: string): string {
  return `${subdir}/${filename}`;
}

/** One concrete upload: a re-upload under the same name (new time or size) is a new identity. */
export function uploadIdentity(
  artifact: Pick<StagedArtifact, 'subdir' | 'filename' | 'size' | 'uploadedAt'>,
  sha256: string,
): string {
  return `${artifact.subdir}/${artifact.filename}|${artifact.size}|${artifact.uploadedAt}|${sha256}`;
}
