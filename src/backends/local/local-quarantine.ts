// Quarantine on a folder only forgegate writes: staged bytes are copied here, verified here, published from here.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Quarantine, QuarantinedCopy, StagedArtifact } from '../../model.js';
import { copyFileAtomicNoClobber } from '../../util/atomic-write.js';
import { readStreamNoFollow } from '../../util/no-follow.js';

export class LocalQuarantine implements Quarantine {
  readonly kind = 'directory';
  #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async admit(artifact: StagedArtifact): Promise<QuarantinedCopy> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    await chmod(this.#root, 0o700);
    const path = join(this.#root, randomBytes(8).toString('hex'), artifact.subdir, artifact.filename);
    // O_NOFOLLOW inside copyFileAtomicNoClobber: a symlink swapped into staging cannot redirect the read.
    await copyFileAtomicNoClobber(artifact.handle, path);
    return { subdir: artifact.subdir, filename: artifact.filename, handle: path };
  }

  async open(copy: QuarantinedCopy): Promise<Readable> {
    return readStreamNoFollow(copy.handle);
  }

  async discard(copy: QuarantinedCopy): Promise<void> {
    const folder = copy.handle.slice(0, copy.handle.length - `/${copy.subdir}/${copy.filename}`.length);
    if (!folder.startsWith(this.#root)) return;
    await rm(folder, { recursive: true, force: true });
  }

  async sweep(): Promise<void> {
    const entries = await readdir(this.#root).catch(() => [] as string[]);
    await Promise.all(
      entries
        .filter((e) => /^[0-9a-f]{16}$/.test(e))
        .map((e) => rm(join(this.#root, e), { recursive: true, force: true })),
    );
  }
}
