// The target as a real conda channel folder: <root>/<subdir>/ for label main, <root>/label/<L>/<subdir>/ otherwise.
// Files are published with link(2) (never overwrite), then repodata.json is rewritten atomically: a crash never
// leaves a repodata that names a missing file. Temp files live in <root>/.forgegate-tmp/ (same file system, mode
// 0700), never in a folder a client reads; sweep() removes what a crash left there.
import { existsSync } from 'node:fs';
import { readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isSubdir } from '../../conda/filename.js';
import { RESERVED_SUBDIRS } from '../../conda/subdirs.js';
import type {
  ArtifactFacts,
  Digests,
  PublishOutcome,
  QuarantinedCopy,
  TargetListing,
  TargetStore,
} from '../../model.js';
import { copyFileAtomicNoClobber, writeFileAtomic } from '../../util/atomic-write.js';
import { digestFile, sameDigests } from '../../util/digest.js';
import { readRepodata, recordFor, section, serialise } from './repodata.js';

const TMP_DIR = '.forgegate-tmp';

export class LocalChannel implements TargetStore {
  readonly kind = 'directory';
  #root: string;
  #tmp: { tmpDir: string };
  #locks = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.#root = root;
    this.#tmp = { tmpDir: join(root, TMP_DIR) };
  }

  /** Called only under the run lock: every temp file there belongs to a run that died. */
  async sweep(): Promise<void> {
    await rm(this.#tmp.tmpDir, { recursive: true, force: true });
  }

  #labelDir(label: string): string {
    return label === 'main' ? this.#root : join(this.#root, 'label', label);
  }

  async #labels(): Promise<string[]> {
    const others = await readdir(join(this.#root, 'label'), { withFileTypes: true }).catch(() => []);
    return ['main', ...others.filter((d) => d.isDirectory()).map((d) => d.name)];
  }

  /** Serialise read-modify-write of one repodata.json inside this process. */
  #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.#locks.get(key) ?? Promise.resolve()).then(fn);
    this.#locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  async #updateRepodata(
    label: string,
    subdir: string,
    edit: (r: Awaited<ReturnType<typeof readRepodata>>) => boolean,
  ): Promise<void> {
    const path = join(this.#labelDir(label), subdir, 'repodata.json');
    await this.#serial(path, async () => {
      const repodata = await readRepodata(path, subdir);
      if (edit(repodata) || !existsSync(path)) await writeFileAtomic(path, serialise(repodata), this.#tmp);
    });
    const noarch = join(this.#labelDir(label), 'noarch', 'repodata.json');
    if (!existsSync(noarch))
      await this.#serial(noarch, async () =>
        writeFileAtomic(noarch, serialise(await readRepodata(noarch, 'noarch')), this.#tmp),
      );
  }

  async list(): Promise<TargetListing> {
    const listing: TargetListing = new Map();
    for (const label of await this.#labels()) {
      const dirs = await readdir(this.#labelDir(label), { withFileTypes: true }).catch(() => []);
      for (const d of dirs) {
        if (!d.isDirectory() || !isSubdir(d.name) || (label === 'main' && d.name === 'label')) continue;
        const repodata = await readRepodata(join(this.#labelDir(label), d.name, 'repodata.json'), d.name);
        for (const records of [repodata.packages, repodata['packages.conda']]) {
          for (const [filename, r] of Object.entries(records)) {
            const key = `${d.name}/${filename}`;
            listing.set(key, [...(listing.get(key) ?? []), { label, size: r.size, sha256: r.sha256, md5: r.md5 }]);
          }
        }
      }
    }
    return listing;
  }

  async publish(copy: QuarantinedCopy, label: string, facts: ArtifactFacts): Promise<PublishOutcome> {
    const { subdir, filename } = copy;
    // <root>/label/ is where the other labels live: a "subdir" of that name would write into them.
    if (RESERVED_SUBDIRS.includes(subdir)) throw new Error(`refusing to publish into reserved subdir "${subdir}"`);
    // Nothing is ever shadowed either: other bytes under this name on any label is a conflict.
    for (const other of await this.#labels()) {
      const path = join(this.#labelDir(other), subdir, filename);
      if (!existsSync(path)) continue;
      const held = await digestFile(path);
      if (!sameDigests(held, facts))
        return { kind: 'conflict', detail: `label ${other} already holds other bytes (sha256 ${held.sha256})` };
    }
    const dest = join(this.#labelDir(label), subdir, filename);
    const created = await copyFileAtomicNoClobber(copy.handle, dest, this.#tmp);
    if (created === 'exists' && !sameDigests(await digestFile(dest), facts))
      return { kind: 'conflict', detail: 'another file appeared under this name' };
    let added = false as boolean; // set inside the update callback
    await this.#updateRepodata(label, subdir, (r) => {
      if (r[section(filename)][filename]?.sha256 === facts.sha256) return false;
      r[section(filename)][filename] = recordFor(facts);
      added = true;
      return true;
    });
    return created === 'created' || added ? { kind: 'published' } : { kind: 'present' };
  }

  async confirm(subdir: string, filename: string, label: string): Promise<Digests | null> {
    const path = join(this.#labelDir(label), subdir, filename);
    if (!existsSync(path)) return null;
    const record = (await readRepodata(join(this.#labelDir(label), subdir, 'repodata.json'), subdir))[
      section(filename)
    ][filename];
    const held = await digestFile(path);
    // What clients are told (repodata) and what they download (the file) must both be these bytes.
    if (!record || !sameDigests(held, { size: record.size, sha256: record.sha256, md5: record.md5 })) return null;
    return held;
  }

  async withdraw(subdir: string, filename: string, label: string): Promise<void> {
    await this.#updateRepodata(label, subdir, (r) => Reflect.deleteProperty(r[section(filename)], filename));
    await unlink(join(this.#labelDir(label), subdir, filename)).catch(() => undefined);
  }
}
