// A channel folder's inventory for `forgegate audit`: per (label, subdir), the records its repodata.json lists (or
// its CEP 16 shards, when it has no repodata.json) and the artifact files stored there, with their size and mtime
// (the folder's upload time), or with `hashStored` their sha256 and md5. Only reads. A file stored but not indexed, or
// indexed but not stored, is reported as such: a bypass upload may skip the index.
import { constants, type Dirent } from 'node:fs';
import { lstat, open, opendir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isArtifactFilename, isSubdir } from '../../conda/filename.js';
import { RESERVED_SUBDIRS } from '../../conda/subdirs.js';
import type { Digests } from '../../model.js';
import { InventoryGap, type ChannelInventory, type InventoryFile, type InventoryIndex } from '../../ports/inventory.js';
import { fileTime } from './local-channel.js';
import { scanIndexDigests } from './repodata-forms.js';
import { RepodataError } from '../../conda/repodata-scan.js';
import { readShard, readShardIndex } from './repodata-shards.js';
import { digestStream } from '../../util/digest.js';
import { advertisedSidecar, sidecarName } from './attestation-sidecar.js';

type StoredFacts = Pick<InventoryFile, 'storedSize' | 'storedDigests' | 'uploadedAt'>;

/** A stored file's size and mtime (the folder's upload time); null when it vanished since the listing. */
async function stat(path: string): Promise<StoredFacts | null> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return null;
  // A symlink or a folder under an artifact's name is not a file a client can trust: size -1 mismatches.
  return { storedSize: st.isFile() ? st.size : -1, uploadedAt: fileTime(st.mtimeMs) };
}

/**
 * The stored bytes' digests too, streamed (`--full`): what the index and mtime claim is not trusted, so a swap of
 * equal size with its mtime put back shows. Opened without following a link and without blocking on a FIFO.
 */
async function hashed(path: string): Promise<StoredFacts | null> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') return 'link' as const;
    throw e;
  });
  if (fh === null) return null;
  if (fh === 'link') return stat(path);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { storedSize: -1, uploadedAt: fileTime(st.mtimeMs) };
    const d = await digestStream(fh.createReadStream({ autoClose: false }));
    return { storedSize: d.size, storedDigests: { sha256: d.sha256, md5: d.md5 }, uploadedAt: fileTime(st.mtimeMs) };
  } finally {
    await fh.close();
  }
}

/** The sha256 of the attestations stored beside a file (`F.sigs`), null when there is none (or not a file). */
async function served(path: string): Promise<string | null> {
  const sigs = await hashed(sidecarName(path));
  return sigs?.storedDigests?.sha256 ?? null;
}

/** A record's digests as the index states them; a field of the wrong type reads as empty (it then mismatches). */
export function indexedDigests(r: Record<string, unknown>): Digests {
  return {
    sha256: typeof r['sha256'] === 'string' ? r['sha256'] : '',
    md5: typeof r['md5'] === 'string' ? r['md5'] : '',
    size: typeof r['size'] === 'number' && Number.isSafeInteger(r['size']) ? r['size'] : -1,
  };
}

export class FolderInventory implements ChannelInventory {
  readonly kind = 'directory';
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #dir(label: string, subdir: string): string {
    return label === 'main' ? join(this.#root, subdir) : join(this.#root, 'label', label, subdir);
  }

  async indexes(): Promise<InventoryIndex[]> {
    // A symlink where a subdir belongs is listed too: files() refuses it, so it is "not checked", never skipped.
    const dirs = async (path: string): Promise<string[]> =>
      (await readdir(path, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory() || d.isSymbolicLink())
        .map((d) => d.name);
    const out: InventoryIndex[] = [];
    for (const label of ['main', ...(await dirs(join(this.#root, 'label')))]) {
      const base = label === 'main' ? this.#root : join(this.#root, 'label', label);
      for (const subdir of await dirs(base))
        if (isSubdir(subdir) && !RESERVED_SUBDIRS.includes(subdir)) out.push({ label, subdir });
    }
    return out.sort((a, b) => a.subdir.localeCompare(b.subdir) || a.label.localeCompare(b.label));
  }

  async scan(
    { label, subdir }: InventoryIndex,
    each: (f: InventoryFile) => void,
    opts: { hashStored?: boolean } = {},
  ): Promise<void> {
    const dir = this.#dir(label, subdir);
    const where = label === 'main' ? subdir : `label/${label}/${subdir}`;
    const self = await lstat(dir).catch(() => null);
    if (self === null || !self.isDirectory())
      throw new InventoryGap(
        where,
        self === null ? 'cannot be read' : 'is not a folder (a symbolic link is not followed)',
      );
    // The index's records as they stream; storage's facts after (the audit merges the two by file name).
    const indexed = (filename: string, r: Record<string, unknown>): void =>
      each({
        subdir,
        filename,
        label,
        indexed: indexedDigests(r),
        storedSize: null,
        uploadedAt: null,
        advertised: advertisedSidecar(r),
      });
    try {
      const { present, zstAgrees } = await scanIndexDigests(dir, subdir, indexed);
      if (!present) {
        const shards = await readShardIndex(dir);
        for (const sha of shards?.shards.values() ?? []) {
          const shard = await readShard(dir, sha);
          for (const part of [shard.packages, shard['packages.conda']]) for (const [fn, r] of part) indexed(fn, r);
        }
      }
      if (!zstAgrees)
        throw new InventoryGap(where, 'repodata.json.zst (which clients fetch first) does not hold repodata.json');
    } catch (e) {
      if (e instanceof InventoryGap) throw e;
      if (e instanceof RepodataError || (e as NodeJS.ErrnoException).code !== undefined)
        throw new InventoryGap(where, `its index cannot be read: ${(e as Error).message}`);
      throw e;
    }
    // Listed as a stream: a folder of a million files is never one array.
    let entries: AsyncIterable<Dirent>;
    try {
      entries = await opendir(dir, { bufferSize: 256 });
    } catch (e) {
      throw new InventoryGap(where, `its files cannot be listed: ${(e as Error).message}`);
    }
    try {
      for await (const d of entries) {
        if (!isArtifactFilename(d.name)) continue;
        const stored = opts.hashStored === true ? await hashed(join(dir, d.name)) : await stat(join(dir, d.name));
        if (stored === null) continue;
        each({ subdir, filename: d.name, label, indexed: null, ...stored, served: await served(join(dir, d.name)) });
      }
    } catch (e) {
      if (e instanceof InventoryGap) throw e;
      throw new InventoryGap(where, `its files cannot be listed or read: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {}
}
