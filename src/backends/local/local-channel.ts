// The target as a real conda channel folder: <root>/<subdir>/ for label main, <root>/label/<L>/<subdir>/ otherwise.
// publish() only places a file (link(2): never overwrite); flush() then rewrites each touched (label, subdir) index
// once, every form of it together (repodata-forms.ts), however many files a run published there. Files are linked
// before the forms name them and unlinked after the forms drop them, so no form ever names a missing file. Temp
// files live in <root>/.forgegate-tmp/ (same file system, mode 0700), never in a folder a client reads.
import { existsSync } from 'node:fs';
import { readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactTwin, isSubdir } from '../../conda/filename.js';
import { RESERVED_SUBDIRS } from '../../conda/subdirs.js';
import type { Readable } from 'node:stream';
import type { ArtifactFacts, Digests } from '../../model.js';
import type { QuarantinedCopy } from '../../ports/quarantine.js';
import type { PublishOutcome, TargetListing, TargetStore, TwinCheck, YankOutcome } from '../../ports/target.js';
import { YANK_LABEL } from '../../ports/target.js';
import { readStreamNoFollow } from '../../util/no-follow.js';
import { copyFileAtomicNoClobber } from '../../util/atomic-write.js';
import { digestFile, sameDigests } from '../../util/digest.js';
import { formsHold, readIndex, readIndexAndCheck, rollForward, writeForms } from './repodata-forms.js';
import { recordFor, section, type Repodata, type RepodataRecord } from './repodata.js';

const TMP_DIR = '.forgegate-tmp';

interface PendingIndex {
  label: string;
  subdir: string;
  records: Map<string, RepodataRecord>;
  /** Rewrite even without new records: the forms on disk disagree (stale repodata.json.zst, a .bz2, …). */
  repair: boolean;
}

export class LocalChannel implements TargetStore {
  readonly kind = 'directory';
  #root: string;
  #tmpDir: string;
  #focus: { subdir: string; filename: string }[] | null = null;
  #pending = new Map<string, PendingIndex>();
  /** The checked forms of each index, read once for every confirmation of the run. */
  #confirmed = new Map<string, Promise<Repodata | null>>();
  /** What flush() wrote per index: the sha256 of its bytes and the records it added (for confirmations). */
  #flushed = new Map<string, { sha256: string; records: Map<string, RepodataRecord>; held: Promise<boolean> | null }>();

  constructor(root: string) {
    this.#root = root;
    this.#tmpDir = join(root, TMP_DIR);
  }

  /** Under the run lock: finish any forms write a crash left half done, then clear the temp folder. */
  async sweep(): Promise<void> {
    await rollForward(this.#tmpDir);
    await rm(this.#tmpDir, { recursive: true, force: true });
  }

  #labelDir(label: string): string {
    return label === 'main' ? this.#root : join(this.#root, 'label', label);
  }

  async #labels(): Promise<string[]> {
    const others = await readdir(join(this.#root, 'label'), { withFileTypes: true }).catch(() => []);
    return ['main', ...others.filter((d) => d.isDirectory()).map((d) => d.name)];
  }

  focus(files: { subdir: string; filename: string }[]): void {
    this.#focus = files;
  }

  /** The records of the focused files (or of every file when nothing was focused), in every label. */
  async list(): Promise<TargetListing> {
    const listing: TargetListing = { files: new Map(), removed: new Set() };
    const wanted = new Map<string, Set<string>>();
    for (const f of this.#focus ?? []) wanted.set(f.subdir, (wanted.get(f.subdir) ?? new Set()).add(f.filename));
    for (const label of await this.#labels()) {
      // Only the subdirs staging touches are read: a channel's other indexes can be hundreds of megabytes.
      const subdirs =
        this.#focus === null
          ? (await readdir(this.#labelDir(label), { withFileTypes: true }).catch(() => []))
              .filter((d) => d.isDirectory() && isSubdir(d.name) && !RESERVED_SUBDIRS.includes(d.name))
              .map((d) => d.name)
          : [...wanted.keys()];
      for (const subdir of subdirs) {
        const { index, agree } = await readIndexAndCheck(join(this.#labelDir(label), subdir), subdir);
        if (!agree) this.#pendingFor(label, subdir).repair = true;
        const names = wanted.get(subdir);
        for (const records of [index.packages, index['packages.conda']]) {
          for (const filename of names ?? Object.keys(records)) {
            const r = records[filename];
            if (r === undefined) continue;
            const key = `${subdir}/${filename}`;
            const copies = listing.files.get(key) ?? [];
            listing.files.set(key, [...copies, { label, size: r.size, sha256: r.sha256, md5: r.md5 }]);
          }
        }
        // conda-index's `removed`: names taken off this channel for good, which stay off without the ledger.
        for (const filename of index.removed) {
          if (typeof filename === 'string' && (names === undefined || names.has(filename)))
            listing.removed.add(`${subdir}/${filename}`);
        }
      }
    }
    return listing;
  }

  /** The file as served under `label`: opened without following a symlink, and only if it is a regular file. */
  async open(subdir: string, filename: string, label: string): Promise<Readable | null> {
    if (RESERVED_SUBDIRS.includes(subdir)) return null;
    try {
      return await readStreamNoFollow(join(this.#labelDir(label), subdir, filename));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Place the verified file under its name; its record is written by flush(). */
  async publish(copy: QuarantinedCopy, label: string, facts: ArtifactFacts, twin?: TwinCheck): Promise<PublishOutcome> {
    const { subdir, filename } = copy;
    // <root>/label/ is where the other labels live: a "subdir" of that name would write into them.
    if (RESERVED_SUBDIRS.includes(subdir)) throw new Error(`refusing to publish into reserved subdir "${subdir}"`);
    const twinName = artifactTwin(filename);
    for (const other of await this.#labels()) {
      // Nothing is ever shadowed: other bytes under this name on any label is a conflict, and so is the other
      // format of this name-version-build unless it is exactly the twin the applier compared this package with.
      const path = join(this.#labelDir(other), subdir, filename);
      const twinPath = join(this.#labelDir(other), subdir, twinName);
      if (existsSync(twinPath) && (twin === undefined || (await digestFile(twinPath)).sha256 !== twin.sha256)) {
        return {
          kind: 'conflict',
          detail: `label ${other} holds ${subdir}/${twinName} for this name-version-build, not the one compared`,
        };
      }
      if (!existsSync(path)) continue;
      const held = await digestFile(path);
      if (!sameDigests(held, facts))
        return { kind: 'conflict', detail: `label ${other} already holds other bytes (sha256 ${held.sha256})` };
    }
    const dest = join(this.#labelDir(label), subdir, filename);
    const created = await copyFileAtomicNoClobber(copy.handle, dest, { tmpDir: this.#tmpDir });
    if (created === 'exists' && !sameDigests(await digestFile(dest), facts))
      return { kind: 'conflict', detail: 'another file appeared under this name' };
    this.#pendingFor(label, subdir).records.set(filename, recordFor(facts));
    return created === 'created' ? { kind: 'published' } : { kind: 'present' };
  }

  #pendingFor(label: string, subdir: string): PendingIndex {
    const key = `${label}\0${subdir}`;
    const pending = this.#pending.get(key) ?? { label, subdir, records: new Map(), repair: false };
    this.#pending.set(key, pending);
    return pending;
  }

  /** Write each index that has placed files, once; returns how many (label, subdir) indexes were written. */
  async flush(): Promise<number> {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const labels = new Set<string>();
    let written = 0;
    // One index at a time: a large subdir's parsed index is the biggest thing a run holds in memory.
    for (const p of pending) {
      const dir = join(this.#labelDir(p.label), p.subdir);
      const index = await readIndex(dir, p.subdir);
      const added = new Map<string, RepodataRecord>();
      for (const [filename, record] of p.records) {
        const part = index[section(filename)];
        // Never overwrite a record: a different one under this name fails the confirmation (and is withdrawn); a
        // name the index lists as removed stays removed (its confirmation fails the same way).
        if (part[filename] !== undefined || index.removed.includes(filename)) continue;
        part[filename] = record;
        added.set(filename, record);
      }
      const key = `${p.label}\0${p.subdir}`;
      this.#confirmed.delete(key);
      this.#flushed.delete(key);
      if (added.size > 0 || p.repair || !existsSync(join(dir, 'repodata.json'))) {
        this.#flushed.set(key, { sha256: await writeForms(dir, index, this.#tmpDir), records: added, held: null });
        written++;
      }
      labels.add(p.label);
    }
    // conda reads noarch/ in every channel it uses: each label that has files has a noarch index.
    for (const label of labels) {
      const noarch = join(this.#labelDir(label), 'noarch');
      if (!existsSync(join(noarch, 'repodata.json'))) {
        await writeForms(noarch, await readIndex(noarch, 'noarch'), this.#tmpDir);
        written++;
      }
    }
    return written;
  }

  /** What clients are told (every form of the index) and what they download (the file) must be these bytes. */
  async confirm(subdir: string, filename: string, label: string): Promise<Digests | null> {
    const path = join(this.#labelDir(label), subdir, filename);
    if (!existsSync(path)) return null;
    const key = `${label}\0${subdir}`;
    const dir = join(this.#labelDir(label), subdir);
    let record: RepodataRecord | undefined;
    const flushed = this.#flushed.get(key);
    if (flushed?.records.has(filename) === true) {
      // A fresh read of every form, compared with the bytes this run wrote: no need to parse them again.
      flushed.held ??= formsHold(dir, flushed.sha256);
      record = (await flushed.held) ? flushed.records.get(filename) : undefined;
    } else {
      let forms = this.#confirmed.get(key);
      if (forms === undefined) {
        // The index as clients fetch it now: every form present, holding the same bytes.
        forms = readIndexAndCheck(dir, subdir).then((r) => (r.present && r.agree ? r.index : null));
        this.#confirmed.set(key, forms);
      }
      record = (await forms)?.[section(filename)][filename];
    }
    const held = await digestFile(path);
    if (!record || !sameDigests(held, { size: record.size, sha256: record.sha256, md5: record.md5 })) return null;
    return held;
  }

  /**
   * Take a published file off every label to `broken` (conda-forge's convention), for good: each label it leaves
   * lists it in its index's `removed`, so the channel itself remembers the yank without the ledger. The file is placed
   * under `broken` before any label drops it, and each label's forms drop it before its file goes.
   */
  async yank(subdir: string, filename: string): Promise<YankOutcome> {
    if (RESERVED_SUBDIRS.includes(subdir)) return { from: [], to: null };
    const holding: { label: string; dir: string; record: RepodataRecord }[] = [];
    for (const label of await this.#labels()) {
      if (label === YANK_LABEL) continue;
      const dir = join(this.#labelDir(label), subdir);
      const record = (await readIndex(dir, subdir))[section(filename)][filename];
      if (record !== undefined) holding.push({ label, dir, record });
    }
    if (holding.length === 0) return { from: [], to: null };
    const first = holding[0]!;
    const brokenDir = join(this.#labelDir(YANK_LABEL), subdir);
    const placed = await copyFileAtomicNoClobber(join(first.dir, filename), join(brokenDir, filename), {
      tmpDir: this.#tmpDir,
    });
    if (placed === 'exists' && !sameDigests(await digestFile(join(brokenDir, filename)), first.record))
      throw new Error(`label ${YANK_LABEL} already holds other bytes under ${subdir}/${filename}`);
    const broken = await readIndex(brokenDir, subdir);
    if (broken[section(filename)][filename] === undefined) {
      broken[section(filename)][filename] = first.record;
      await writeForms(brokenDir, broken, this.#tmpDir);
    }
    for (const { dir } of holding) {
      const index = await readIndex(dir, subdir);
      Reflect.deleteProperty(index[section(filename)], filename);
      if (!index.removed.includes(filename)) index.removed = [...index.removed, filename].sort();
      await writeForms(dir, index, this.#tmpDir);
      await unlink(join(dir, filename)).catch(() => undefined);
    }
    for (const key of this.#confirmed.keys()) if (key.endsWith(`\0${subdir}`)) this.#confirmed.delete(key);
    return { from: holding.map((h) => h.label), to: YANK_LABEL };
  }

  /** Drop the record from every form first, then the file: no form is left naming a missing file. */
  async withdraw(subdir: string, filename: string, label: string): Promise<void> {
    const dir = join(this.#labelDir(label), subdir);
    const index = await readIndex(dir, subdir);
    const part = index[section(filename)];
    if (part[filename] !== undefined) {
      Reflect.deleteProperty(part, filename);
      await writeForms(dir, index, this.#tmpDir);
    }
    this.#confirmed.delete(`${label}\0${subdir}`);
    this.#flushed.delete(`${label}\0${subdir}`);
    await unlink(join(dir, filename)).catch(() => undefined);
  }
}
