// Staging on a folder: <root>/<subdir>/<file> with <file>.sig beside it. Symlinks and odd entries are never followed.
import { constants } from 'node:fs';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isArtifactFilename, isSubdir } from '../../conda/filename.js';
import { ForgegateError } from '../../errors.js';
import type { Digests, StagedArtifact, StagedSignature, StagingListing, StagingStore } from '../../model.js';
import { MAX_SIG_FILE_BYTES } from '../../statement/dsse.js';
import { digestStream } from '../../util/digest.js';
import { readStreamNoFollow } from '../../util/no-follow.js';

export class DirectoryStaging implements StagingStore {
  readonly kind = 'directory';
  #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async list(): Promise<StagingListing> {
    let subdirs;
    try {
      subdirs = await readdir(this.#root, { withFileTypes: true });
    } catch (e) {
      throw new ForgegateError(
        'FG_STORE_UNAVAILABLE',
        `staging folder ${this.#root} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        {
          fix: 'Create the folder, or fix staging.store.path in the config.',
          transient: (e as NodeJS.ErrnoException).code !== 'ENOENT',
        },
      );
    }
    const listing: StagingListing = { artifacts: [], signatures: [] };
    for (const d of subdirs) {
      if (!d.isDirectory() || !isSubdir(d.name)) continue;
      const dir = join(this.#root, d.name);
      for (const f of await readdir(dir, { withFileTypes: true })) {
        if (!f.isFile()) continue; // symlinks, folders, sockets: never ours to read
        const path = join(dir, f.name);
        const st = await lstat(path).catch(() => null);
        if (st === null || !st.isFile()) continue;
        // No upload time: a file's mtime is the uploader's to choose (cp -p, rsync -t, touch).
        if (isArtifactFilename(f.name)) {
          listing.artifacts.push({ subdir: d.name, filename: f.name, size: st.size, handle: path });
        } else if (f.name.endsWith('.sig')) {
          const content = st.size <= MAX_SIG_FILE_BYTES ? await readSmall(path) : null;
          listing.signatures.push({
            filename: f.name,
            besideArtifact: { subdir: d.name, filename: f.name.slice(0, -'.sig'.length) },
            size: st.size,
            content,
            handle: path,
          });
        }
      }
    }
    return listing;
  }

  async digest(artifact: StagedArtifact): Promise<Digests> {
    return digestStream(await readStreamNoFollow(artifact.handle));
  }

  async remove(item: StagedArtifact | StagedSignature): Promise<void> {
    await unlink(item.handle).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
  }
}

async function readSmall(path: string): Promise<Uint8Array | null> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (fh === null) return null;
  try {
    const buf = Buffer.alloc(MAX_SIG_FILE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead > MAX_SIG_FILE_BYTES ? null : buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
