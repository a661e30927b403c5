// A channel folder's inventory for `forgegate audit`: per (label, subdir), the records its repodata.json lists (or
// its CEP 16 shards, when it has no repodata.json) and the artifact files stored there, with their size and mtime
// (the folder's upload time). Only reads. A file stored but not indexed, or indexed but not stored, is reported as
// such: a bypass upload may skip the index.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isArtifactFilename, isSubdir } from '../../conda/filename.js';
import { RESERVED_SUBDIRS } from '../../conda/subdirs.js';
import type { Digests } from '../../model.js';
import { InventoryGap, type ChannelInventory, type InventoryFile, type InventoryIndex } from '../../ports/inventory.js';
import { fileTime } from './local-channel.js';
import { scanIndexDigests } from './repodata-forms.js';
import { RepodataError } from '../../conda/repodata-scan.js';
import { readShard, readShardIndex } from './repodata-shards.js';

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

  async *files({ label, subdir }: InventoryIndex): AsyncGenerator<InventoryFile> {
    const dir = this.#dir(label, subdir);
    const where = label === 'main' ? subdir : `label/${label}/${subdir}`;
    const indexed = new Map<string, Digests>();
    const self = await lstat(dir).catch(() => null);
    if (self === null || !self.isDirectory())
      throw new InventoryGap(
        where,
        self === null ? 'cannot be read' : 'is not a folder (a symbolic link is not followed)',
      );
    try {
      const { present, zstAgrees } = await scanIndexDigests(dir, subdir, (fn, r) => {
        indexed.set(fn, indexedDigests(r));
      });
      if (!present) {
        const shards = await readShardIndex(dir);
        for (const sha of shards?.shards.values() ?? []) {
          const shard = await readShard(dir, sha);
          for (const part of [shard.packages, shard['packages.conda']])
            for (const [fn, r] of part) indexed.set(fn, indexedDigests(r));
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
    const stored = (
      await readdir(dir).catch((e: unknown) => {
        throw new InventoryGap(where, `its files cannot be listed: ${(e as Error).message}`);
      })
    ).filter(isArtifactFilename);
    const names = [...new Set([...indexed.keys(), ...stored])].sort();
    const storedSet = new Set(stored);
    for (const filename of names) {
      let storedSize: number | null = null;
      let uploadedAt: string | null = null;
      if (storedSet.has(filename)) {
        const st = await lstat(join(dir, filename)).catch(() => null);
        // A symlink or a folder under an artifact's name is not a file a client can trust: size -1 mismatches.
        storedSize = st === null ? null : st.isFile() ? st.size : -1;
        uploadedAt = st === null ? null : fileTime(st.mtimeMs);
      }
      yield { subdir, filename, label, indexed: indexed.get(filename) ?? null, storedSize, uploadedAt };
    }
  }

  async close(): Promise<void> {}
}
