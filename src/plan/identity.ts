// Deterministic identities that round-trip: artifact keys, the key of one staged upload, and of one sighting.
import type { StagedArtifact, StagedSignature } from '../model.js';
import { sha256Hex } from '../util/digest.js';

export function artifactKey(subdir: string, filename: string): string {
  return `${subdir}/${filename}`;
}

/**
 * One concrete upload as a statement binds it: a verdict on the bytes of this name, size and sha256 holds for
 * every later upload of exactly those bytes.
 */
export function uploadIdentity(artifact: Pick<StagedArtifact, 'subdir' | 'filename' | 'size'>, sha256: string): string {
  return `${artifact.subdir}/${artifact.filename}|${artifact.size}|${sha256}`;
}

/**
 * What the ledger remembers first seeing: a staged file by name, size and the digest where it is known (a store
 * that reports one; a signature's own bytes). Another upload under the name is a new sighting, so its age restarts.
 */
export function sightingKey(
  item: Pick<StagedArtifact, 'subdir' | 'filename' | 'size' | 'sha256'> | StagedSignature,
): string {
  if ('content' in item)
    return `signature|${item.handle}|${item.size}|${item.content === null ? '-' : sha256Hex(item.content)}`;
  return `artifact|${item.subdir}/${item.filename}|${item.size}|${item.sha256 ?? '-'}`;
}
