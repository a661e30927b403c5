// The staging port: where uploaders put artifacts and their evidence. Every listed field is hostile until checked.
import type { Readable } from 'node:stream';
import type { Digests } from '../model.js';

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

/** One detached evidence file as a staging store lists it: an `F.sig` or an `F.sigstore.json`. */
export interface StagedSignature {
  /** The file's own name. */
  filename: string;
  /** `sigstore.json`: a keyless-v1 bundle, always paired beside its artifact. Absent: a `.sig`. */
  kind?: 'sig' | 'sigstore.json';
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
