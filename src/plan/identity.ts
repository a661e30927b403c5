// Deterministic identities that round-trip: artifact keys, the key of one staged upload, and of one sighting.
import type { StagedArtifact, StagedFile, StagedSignature, StagingListing } from '../ports/staging.js';
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
export const sighting = {
  artifact: (a: Pick<StagedArtifact, 'subdir' | 'filename' | 'size' | 'sha256'>): string =>
    `artifact|${a.subdir}/${a.filename}|${a.size}|${a.sha256 ?? '-'}`,
  signature: (s: Pick<StagedSignature, 'handle' | 'size' | 'content'>): string =>
    `signature|${s.handle}|${s.size}|${s.content === null ? '-' : sha256Hex(s.content)}`,
  file: (f: Pick<StagedFile, 'handle' | 'size'>): string => `file|${f.handle}|${f.size}`,
};

/** Every sighting a listing holds. */
export function sightingsOf(listing: StagingListing): string[] {
  return [
    ...listing.artifacts.map(sighting.artifact),
    ...listing.signatures.map(sighting.signature),
    ...listing.others.map(sighting.file),
  ];
}
