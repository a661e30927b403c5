// The target port: the channel. Nothing published is ever overwritten; what was taken off stays off.
import type { Readable } from 'node:stream';
import type { ArtifactFacts, Digests } from '../model.js';
import type { QuarantinedCopy } from './quarantine.js';

/** One file the target holds under one label. */
export interface TargetFile extends Digests {
  label: string;
}

export interface TargetListing {
  /** `${subdir}/${filename}` → every copy/label the target holds under that name. */
  files: Map<string, TargetFile[]>;
  /**
   * `${subdir}/${filename}` the channel itself lists as taken off (a yank): tombstones that outlive the ledger
   * (conda-index's `removed` list in a folder channel).
   */
  removed: Set<string>;
}

/**
 * The other format of the build being published, which the applier compared with it and found to hold the same
 * package. Without one, any twin in the target is a conflict; with one, a twin that is not these bytes is.
 */
export interface TwinCheck {
  filename: string;
  sha256: string;
}

/** What the target serves under a name and label, read afresh: its digests, and its upload time where it has one. */
export interface Held extends Digests {
  /** RFC 3339 UTC (a folder channel: the file's mtime; anaconda.org: the file's upload_time); null if unknown. */
  uploadedAt?: string | null;
  /**
   * The sha256 of the attestations served beside it (a folder channel: `F.sigs`, advertised by the record and served
   * with those bytes); null: none; absent where the target serves none (anaconda.org).
   */
  attestations?: string | null;
}

/**
 * A verified Sigstore bundle (keyless-v1) the target serves beside the file, where it can: the exact bytes that
 * verified, and their sha256 as verification recorded it (PassedEvidence.bundleSha256). The target checks the one
 * against the other right before writing, and writes nothing if they differ.
 */
export interface ServedBundle {
  bytes: Uint8Array;
  sha256: string;
}

export type PublishOutcome =
  | { kind: 'published' }
  /** The target already had exactly these bytes under the label (a crash before cleanup, or a race). */
  | { kind: 'present' }
  /** The target holds other bytes under this name: nothing was written. */
  | { kind: 'conflict'; detail: string };

export interface TargetStore {
  readonly kind: string;
  /** Optional: the files this run cares about, so a huge channel is not listed whole. Called before list(). */
  focus?(files: { subdir: string; filename: string }[]): void;
  list(): Promise<TargetListing>;
  /**
   * Publish verified quarantined bytes under `label`. Never overwrites: returns conflict instead. A store that
   * batches its index (a channel folder) only places the file here and makes it visible in flush(). `bundles`: the
   * verified bundles of the deciding keyless evidence (absent or empty for a .sig); a store that can serve them
   * (a channel folder: the `.sigs` sidecar and `attestations_sha256`) places them before anything advertises them,
   * the others (anaconda.org) ignore them.
   */
  publish(
    copy: QuarantinedCopy,
    label: string,
    facts: ArtifactFacts,
    twin?: TwinCheck,
    bundles?: readonly ServedBundle[],
  ): Promise<PublishOutcome>;
  /** Stream the bytes the target serves under that name and label; null when it holds none there. */
  open(subdir: string, filename: string, label: string): Promise<Readable | null>;
  /** Make everything published since the last flush visible, once per index; returns how many indexes it wrote. */
  flush?(): Promise<number>;
  /**
   * Fresh read of what the target serves under that name and label: null if nothing. With the upload time, which the
   * applier records right after publishing, so `forgegate audit` can tell a re-upload of identical bytes.
   */
  confirm(subdir: string, filename: string, label: string): Promise<Held | null>;
  /** Take a file off the target. Used only when a confirmation after publishing disagreed. */
  withdraw(subdir: string, filename: string, label: string): Promise<void>;
  /** Remove temporary files a crashed run left. Called only while holding the run lock. */
  sweep?(): Promise<void>;
  /**
   * An administrator takes a published file off for good: moved from every label to YANK_LABEL, in a way the target
   * itself remembers (a folder channel's `removed` list; the label on anaconda.org), so REPLAYED holds without the
   * ledger. Called only while holding the run lock.
   */
  yank(subdir: string, filename: string): Promise<YankOutcome>;
}

/** Where yanked files go: conda-forge's `broken` label, which no client reads by default. */
export const YANK_LABEL = 'broken';

export interface YankOutcome {
  /** The labels the file was taken off (empty: the target held no such file). */
  from: string[];
  /** Where it is now; null when nothing was held. */
  to: string | null;
}
