// Shared data shapes for observation, planning and applying. Types only, and the constants they name.
import type { Readable } from 'node:stream';
import type { PackageContent } from './conda/package-content.js';
import type { ReasonCode } from './reasons.js';

/** Digests of one exact byte sequence: lowercase hex, size in bytes. */
export interface Digests {
  size: number;
  sha256: string;
  md5: string;
}

/** `info/index.json` fields forgegate relies on (the rest is kept verbatim for repodata). */
export interface IndexJson {
  name: string;
  version: string;
  build: string;
  build_number: number;
  subdir: string;
  depends?: string[];
  [key: string]: unknown;
}

/** What a full, successful verification of an artifact's bytes established. */
export interface ArtifactFacts extends Digests {
  format: 'conda' | 'tar.bz2';
  index: IndexJson;
  /** Every path the package installs, relative to the prefix, in archive order. */
  paths: string[];
  /** What an admin should know but is no reason to refuse (e.g. info/paths.json disagreeing with the payload). */
  notes: string[];
  /** What the package installs, when verification was asked to work it out (twins are compared by it). */
  content?: PackageContent;
}

export type ArtifactCheck =
  | { ok: true; facts: ArtifactFacts }
  | {
      ok: false;
      reason: 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE';
      /** `<rule>: what broke it — fix: <the rule's fix>` (the detail is what plans, the ledger and reports keep). */
      detail: string;
      digests: Digests | null;
      /** The rule id (`tar.strings`, `index.subdir`, …) and its fix, where verification names one. */
      rule?: string;
      fix?: string;
    };

// ---------------------------------------------------------------- staging

/** One artifact as a staging store lists it. Every field is hostile until checked. */
export interface StagedArtifact {
  subdir: string;
  filename: string;
  size: number;
  /**
   * RFC 3339 UTC, only where the store's own server records when the upload landed (anaconda.org upload_time);
   * never a time the uploader can choose, such as a file's mtime. Ages otherwise come from the ledger.
   */
  uploadedAt?: string;
  /** Digests the store itself reports (anaconda.org does; a folder does not). Hints only. */
  md5?: string;
  sha256?: string;
  /** Labels the file carries in staging, where the store has labels. */
  labels?: string[];
  /** Opaque store locator. */
  handle: string;
}

/** One detached signature file as a staging store lists it. */
export interface StagedSignature {
  /** The .sig file's own name. */
  filename: string;
  /** Where the store places it: beside this artifact (folder stores). Absent: pair by the statement's subject. */
  besideArtifact?: { subdir: string; filename: string };
  /** As StagedArtifact.uploadedAt: the store server's time only. */
  uploadedAt?: string;
  size: number;
  /** The raw bytes, or null when larger than the 64 KiB limit (then it is malformed). */
  content: Uint8Array | null;
  handle: string;
}

/** Anything else a staging store holds (junk, a symlink, a FIFO, a file of another type): a stray to clean up. */
export interface StagedFile {
  /** The folder or subdir it was found in, as the store names it (hostile text). */
  subdir: string;
  filename: string;
  size: number;
  /** As StagedArtifact.uploadedAt: the store server's time only. */
  uploadedAt?: string;
  handle: string;
}

export interface StagingListing {
  artifacts: StagedArtifact[];
  signatures: StagedSignature[];
  /** Neither artifacts nor signatures: strays. */
  others: StagedFile[];
}

export type StagedItem = StagedArtifact | StagedSignature | StagedFile;

export interface StagingStore {
  readonly kind: string;
  /**
   * Refuse a layout that lets uploaders replace what the run lists (FG_UNSAFE_LAYOUT), before anything is read.
   * Stores without such a layout need none.
   */
  preflight?(): Promise<void>;
  /** Read everything staged now, signature contents included. Throws ForgegateError FG_STORE_UNAVAILABLE. */
  list(): Promise<StagingListing>;
  /** Digests of the staged bytes as they are now (hashing them if the store cannot say). */
  digest(artifact: StagedArtifact): Promise<Digests>;
  /** Stream the staged bytes, read-only (`--plan` inspects them). Absent: the store cannot, and plans say so. */
  open?(artifact: StagedArtifact): Promise<Readable>;
  /**
   * Remove a staged item this store listed. Already gone is success. Where the store can tell that the item (or
   * the folder it was listed in) is no longer the object listed, it removes nothing and throws
   * FG_STAGING_CHANGED: that is a security alert, never something to act on.
   */
  remove(item: StagedItem): Promise<void>;
}

// ---------------------------------------------------------------- quarantine + target

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
   * batches its index (a channel folder) only places the file here and makes it visible in flush().
   */
  publish(copy: QuarantinedCopy, label: string, facts: ArtifactFacts, twin?: TwinCheck): Promise<PublishOutcome>;
  /** Stream the bytes the target serves under that name and label; null when it holds none there. */
  open(subdir: string, filename: string, label: string): Promise<Readable | null>;
  /** Make everything published since the last flush visible, once per index; returns how many indexes it wrote. */
  flush?(): Promise<number>;
  /** Fresh read of what the target serves under that name and label: null if nothing. */
  confirm(subdir: string, filename: string, label: string): Promise<Digests | null>;
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

/** The three stores one run works with, built together by the composition root (`reconcile/wiring.ts`). */
export interface Stores {
  staging: StagingStore;
  quarantine: Quarantine;
  target: TargetStore;
  /** Release connections and other resources. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- registry

export interface RegistryKey {
  keyid: string;
  publicKey: string;
  addedAt?: string;
  notAfter?: string | null;
  revokedAt?: string | null;
  comment?: string;
}

export interface RegistryConfig {
  outputs_path: string;
  shard_level: number;
  shard_fill: string;
  auto_register_all: boolean;
}

/** Everything one run needs from the registry, read at one commit. */
export interface RegistrySnapshot {
  /** The commit every read named; null for a plain folder that is not a git checkout. */
  commit: string | null;
  config: RegistryConfig;
  /** feedstock → fnmatch patterns. */
  allowlist: Record<string, string[]>;
  /** Output name → feedstocks allowed, or null when no output file exists. Holds every name asked for, and, when
   *  auto_register_all is on, every registered name in the same shard folder (for the confusable-name guard). */
  outputs: Map<string, string[] | null>;
  /** feedstock → its keys, or null when it has no key file. */
  keys: Map<string, RegistryKey[] | null>;
  /**
   * A git checkout read at `commit` only: the output files (by name) and key files (by feedstock) this snapshot was
   * asked for whose working-tree copy differs from that commit: edited, added or deleted but not committed. A fact
   * about the checkout, never read as registry content (an edit counts once it is committed); a plan names it where
   * it explains a rejection.
   */
  uncommitted?: { outputs: Map<string, string>; keys: Map<string, string> };
}

export interface SnapshotRequest {
  names: string[];
  feedstocks: string[];
}

export type RegisterOutcome =
  | { kind: 'registered'; commit: string | null }
  /** Someone registered it to this feedstock meanwhile: fine. */
  | { kind: 'already'; commit: string | null }
  /** Someone registered it to other feedstocks meanwhile: must not publish. */
  | { kind: 'conflict'; owners: string[]; commit: string | null };

export interface RegistrySource {
  readonly description: string;
  /** Resolve the branch once and read everything the run needs at that commit. Throws FG_REGISTRY_UNAVAILABLE. */
  snapshot(request: SnapshotRequest): Promise<RegistrySnapshot>;
  /** Add `feedstock` to `name`'s output file, based on `basedOn`; re-read and retry when the branch moved. */
  register(name: string, feedstock: string, basedOn: string | null): Promise<RegisterOutcome>;
}

// ---------------------------------------------------------------- reports

export interface FailureReport {
  /** Registry feedstock name the report goes to; null when nothing could be attributed. */
  feedstock: string | null;
  /** Source commit from the statement, used to group reports; null when unknown. */
  commit: string | null;
  runUrl: string | null;
  subdir: string;
  filename: string;
  label: string | null;
  reason: ReasonCode;
  fix: string;
  detail: string;
}

export interface SecurityAlert {
  kind: 'TARGET_CONFIRMATION_MISMATCH' | 'REGISTRY_CONFLICT' | 'STAGING_CHANGED';
  subdir: string;
  filename: string;
  feedstock: string | null;
  detail: string;
}

export interface ReportSink {
  readonly kind: string;
  /**
   * Deliver failures. Implementations must not duplicate a (feedstock, commit, subdir/filename, reason) already
   * delivered.
   */
  sendFailures(reports: FailureReport[]): Promise<void>;
  sendAlert(alert: SecurityAlert): Promise<void>;
}
