// The quarantine port: reconciler-private custody of staged bytes between verification and publishing.
import type { Readable } from 'node:stream';
import type { StagedArtifact } from './staging.js';

/** A copy of staged bytes in reconciler-private custody. `handle` is backend-specific. */
export interface QuarantinedCopy {
  subdir: string;
  filename: string;
  handle: string;
}

export interface Quarantine {
  readonly kind: string;
  /** Refuse custody that others could change (FG_UNSAFE_LAYOUT). Called under the run lock before anything else. */
  preflight?(): Promise<void>;
  /** Copy the staged bytes into custody. Nobody but forgegate can change them afterwards. */
  admit(artifact: StagedArtifact): Promise<QuarantinedCopy>;
  /** Stream the quarantined bytes (for verification). */
  open(copy: QuarantinedCopy): Promise<Readable>;
  /** Drop the quarantined copy. Already gone is success. */
  discard(copy: QuarantinedCopy): Promise<void>;
  /** Remove what a crashed run left behind, and only that. Called only while holding the run lock. */
  sweep?(): Promise<void>;
}
