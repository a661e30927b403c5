// The channel inventory port: what a channel holds, every label and subdir, as `forgegate audit` reads it. Only
// reads. Each backend hands over one (label, subdir) index a fact at a time, in whatever order it reads them; the
// audit sorts them on disk (src/ledger/audit-spill.ts), so memory does not grow with the channel.
import type { Digests } from '../model.js';

/**
 * One file as one label of the channel presents it. Hostile: every field is what the channel says. A backend that
 * reads index and storage apart (a folder) may hand over one file as two facts, one from each; the reader merges
 * them by (file, label): a file the index lists but storage lacks, or the reverse, then shows as such.
 */
export interface InventoryFile {
  subdir: string;
  filename: string;
  label: string;
  /** What the index (repodata) says; null when the file is stored but not indexed (or this fact is storage's). */
  indexed: Digests | null;
  /** Size of the stored file where the backend can see it (a folder); null when not stored, undefined when unseen. */
  storedSize?: number | null;
  /** The stored bytes' sha256 and md5, when asked to hash them (`hashStored`); undefined otherwise. */
  storedDigests?: { sha256: string; md5: string } | null;
  /** RFC 3339 UTC upload time where the backend has one (folder: mtime; anaconda.org: upload_time), else null. */
  uploadedAt: string | null;
  /** The index's `attestations_sha256` (null: none), where the backend reads it (a folder's index facts). */
  advertised?: string | null;
  /** The sha256 of the attestations stored beside the file (a folder's `F.sigs`; null: none), where seen. */
  served?: string | null;
}

export interface InventoryIndex {
  label: string;
  subdir: string;
}

/** Part of the channel that could not be read: the audit says so, and is never "clean". */
export class InventoryGap extends Error {
  constructor(
    readonly where: string,
    detail: string,
  ) {
    super(`${where}: ${detail}`);
    this.name = 'InventoryGap';
  }
}

export interface ChannelInventory {
  readonly kind: string;
  /** Every (label, subdir) index the channel has, sorted by subdir, then label. */
  indexes(): Promise<InventoryIndex[]>;
  /**
   * Every file of one index, in any order, each handed to `each` as it is read (nothing kept). Throws InventoryGap
   * when the index cannot be read whole (absent where it must be, hostile, too large); the audit then drops the
   * subdir. `hashStored`: read and hash every stored file (a folder's `--full`), not only stat it.
   */
  scan(index: InventoryIndex, each: (f: InventoryFile) => void, opts?: { hashStored?: boolean }): Promise<void>;
  /**
   * Optional: the upload times the index alone does not carry (anaconda.org), for the files of these package names
   * in one subdir, each handed to `each` (file name without the subdir, label, upload time).
   */
  uploadTimes?(
    subdir: string,
    packages: ReadonlySet<string>,
    each: (filename: string, label: string, at: string) => void,
  ): Promise<void>;
  close(): Promise<void>;
}
