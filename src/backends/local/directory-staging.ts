// Staging on a folder: <root>/<subdir>/<file> with <file>.sig beside it. Uploaders own the files, so nothing is
// trusted between listing and acting: reads re-check what they open, and a removal acts only on the very folder and
// file it listed (device and inode), raising an alert for anything else.
import type { Readable } from 'node:stream';
import { constants, existsSync, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isArtifactFilename, isSubdir } from '../../conda/filename.js';
import { ForgegateError } from '../../errors.js';
import type { Digests } from '../../model.js';
import type { StagedArtifact, StagedItem, StagingListing, StagingStore } from '../../ports/staging.js';
import { BUNDLE_SUFFIX } from '../../statement/keyless/bundle.js';
import { MAX_SIG_FILE_BYTES } from '../../statement/dsse.js';
import { digestStream } from '../../util/digest.js';
import { openRegularNoFollow, readStreamNoFollow } from '../../util/no-follow.js';
import { checkStagingLayout } from './staging-layout.js';

interface Id {
  dev: bigint;
  ino: bigint;
}
/** The folder and the file an item was listed as. */
interface Listed {
  dirPath: string;
  dir: Id;
  file: Id;
}

const same = (st: BigIntStats, id: Id): boolean => st.dev === id.dev && st.ino === id.ino;
// On Linux a path through /proc/self/fd/N resolves to the folder already open as N, whatever its name points at now.
const PROC_FD = existsSync('/proc/self/fd');

function changed(what: string): ForgegateError {
  return new ForgegateError('FG_STAGING_CHANGED', `staging changed under the run: ${what}; nothing was removed`, {
    fix: 'Find out who replaced it (staging must be laid out as docs/operations.md says), then rerun.',
  });
}

export class DirectoryStaging implements StagingStore {
  readonly kind = 'directory';
  #root: string;
  #listed = new WeakMap<StagedItem, Listed>();

  constructor(root: string) {
    this.#root = root;
  }

  async preflight(): Promise<void> {
    await checkStagingLayout(this.#root);
  }

  async list(): Promise<StagingListing> {
    let entries;
    try {
      entries = await readdir(this.#root, { withFileTypes: true });
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
    const listing: StagingListing = { artifacts: [], signatures: [], others: [] };
    // Folders that cannot be subdirs (lost+found, dot folders) are not staging's; symlinks are never followed.
    for (const d of entries) {
      if (!d.isDirectory() || !isSubdir(d.name)) continue;
      const dirPath = join(this.#root, d.name);
      const dirSt = await lstat(dirPath, { bigint: true }).catch(() => null);
      if (dirSt === null || !dirSt.isDirectory()) continue;
      const dir = { dev: dirSt.dev, ino: dirSt.ino };
      for (const f of await readdir(dirPath, { withFileTypes: true })) {
        const path = join(dirPath, f.name);
        const st = await lstat(path, { bigint: true }).catch(() => null);
        if (st === null || st.isDirectory()) continue;
        const listed: Listed = { dirPath, dir, file: { dev: st.dev, ino: st.ino } };
        const size = Number(st.size);
        // No upload time: a file's mtime is the uploader's to choose (cp -p, rsync -t, touch).
        let item: StagedItem;
        if (st.isFile() && isArtifactFilename(f.name)) {
          item = { subdir: d.name, filename: f.name, size, handle: path };
          listing.artifacts.push(item);
        } else if (st.isFile() && (f.name.endsWith('.sig') || f.name.endsWith(BUNDLE_SUFFIX))) {
          const bundle = f.name.endsWith(BUNDLE_SUFFIX);
          const suffix = bundle ? BUNDLE_SUFFIX : '.sig';
          item = {
            filename: f.name,
            ...(bundle ? { kind: 'sigstore.json' as const } : {}),
            besideArtifact: { subdir: d.name, filename: f.name.slice(0, -suffix.length) },
            size,
            // Larger than the limit: malformed, and never read.
            content: size <= MAX_SIG_FILE_BYTES ? await readSmall(path, listed.file) : null,
            handle: path,
          };
          listing.signatures.push(item);
        } else {
          // Junk, a symlink, a FIFO: a stray. Removing one unlinks the entry itself, never what it points to.
          item = { subdir: d.name, filename: f.name, size, handle: path };
          listing.others.push(item);
        }
        this.#listed.set(item, listed);
      }
    }
    return listing;
  }

  async digest(artifact: StagedArtifact): Promise<Digests> {
    return digestStream(await readStreamNoFollow(artifact.handle));
  }

  /** Read-only, never through a symlink: what a plan inspects. */
  async open(artifact: StagedArtifact): Promise<Readable> {
    return readStreamNoFollow(artifact.handle);
  }

  async remove(item: StagedItem): Promise<void> {
    const listed = this.#listed.get(item);
    if (!listed) throw new Error(`${item.handle} was not listed by this staging store`);
    const name = basename(item.handle);
    let dir: FileHandle;
    try {
      dir = await open(listed.dirPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the folder, and so the file, is gone
      throw changed(`${listed.dirPath} is no longer a folder (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      if (!same(await dir.stat({ bigint: true }), listed.dir))
        throw changed(`${listed.dirPath} is not the folder that was listed`);
      const path = join(PROC_FD ? `/proc/self/fd/${dir.fd}` : listed.dirPath, name);
      const st = await lstat(path, { bigint: true }).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      });
      if (st === null) return;
      if (!same(st, listed.file)) throw changed(`${item.handle} is not the file that was listed`);
      await unlink(path).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      });
    } finally {
      await dir.close();
    }
  }
}

/** A signature's bytes, or null when it is no longer the regular file listed (or too big after all). */
async function readSmall(path: string, listed: Id): Promise<Uint8Array | null> {
  const fh = await openRegularNoFollow(path).catch(() => null);
  if (fh === null) return null;
  try {
    if (!same(await fh.stat({ bigint: true }), listed)) return null;
    const buf = Buffer.alloc(MAX_SIG_FILE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return bytesRead > MAX_SIG_FILE_BYTES ? null : buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
