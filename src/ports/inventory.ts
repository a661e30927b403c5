// The channel inventory port: what a channel holds, every label and subdir, as `forgegate audit` reads it. Only
// reads. Each backend streams one (label, subdir) index at a time, so memory follows the largest index, not the
// channel.
import type { Digests } from '../model.js';

/** One file as one label of the channel presents it. Hostile: every field is what the channel says. */
export interface InventoryFile {
  subdir: string;
  filename: string;
  label: string;
  /** What the index (repodata) says; null when the file is stored but not indexed. */
  indexed: Digests | null;
  /** Size of the stored file where the backend can see it (a folder); null when not stored, undefined when unseen. */
  storedSize?: number | null;
  /** RFC 3339 UTC upload time where the backend has one (folder: mtime; anaconda.org: upload_time), else null. */
  uploadedAt: string | null;
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
   * Every file of one index, sorted by file name. Throws InventoryGap when the index cannot be read whole (absent
   * where it must be, hostile, too large); what it yielded before that stands.
   */
  files(index: InventoryIndex): AsyncGenerator<InventoryFile>;
  /**
   * Optional full pass: the upload times the index alone does not carry (anaconda.org), for these names only (all
   * of an index's names when `names` is null). Returns `subdir/filename` → label → upload time.
   */
  uploadTimes?(subdir: string, names: ReadonlySet<string> | null): Promise<Map<string, Map<string, string>>>;
  close(): Promise<void>;
}
