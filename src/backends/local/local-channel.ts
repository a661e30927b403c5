// The target as a real conda channel folder: <root>/<subdir>/ for label main, <root>/label/<L>/<subdir>/ otherwise.
// publish() only places a file (link(2): never overwrite); flush() then rewrites each touched (label, subdir) index
// once, every form of it together (repodata-forms.ts), however many files a run published there: one streamed pass
// over repodata.json, and the CEP 16 shards of the names the run touched. Files are linked before the forms name
// them and unlinked after the forms drop them, so no form ever names a missing file. Temp files live in
// <root>/.forgegate-tmp/ (same file system, mode 0700), never in a folder a client reads.
//
// Listing reads the shards of the focused names when forgegate wrote every form last (shard-state.ts stamps), so
// a run reads the old repodata.json once, when it rewrites it; otherwise it scans repodata.json, and the flush
// rebuilds every shard from it.
import { existsSync } from 'node:fs';
import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { artifactTwin, isSubdir } from '../../conda/filename.js';
import { RESERVED_SUBDIRS } from '../../conda/subdirs.js';
import type { Readable } from 'node:stream';
import type { ArtifactFacts } from '../../model.js';
import type { QuarantinedCopy } from '../../ports/quarantine.js';
import type {
  Held,
  PublishOutcome,
  ServedBundle,
  TargetListing,
  TargetStore,
  TwinCheck,
  YankOutcome,
} from '../../ports/target.js';
import { YANK_LABEL } from '../../ports/target.js';
import { readStreamNoFollow } from '../../util/no-follow.js';
import { copyFileAtomicNoClobber } from '../../util/atomic-write.js';
import { digestFile, sameDigests } from '../../util/digest.js';
import {
  DEFAULT_INDEX_OPTIONS,
  FORMS,
  listIndex,
  rollForward,
  updateIndex,
  type IndexOptions,
  type IndexUpdate,
} from './repodata-forms.js';
import { NO_CHANGES, sectionOf, type IndexChanges } from './repodata-write.js';
import {
  nameOfFile,
  readShard,
  readShardIndex,
  SHARD_INDEX,
  type Shard,
  type ShardIndex,
  type ShardPlan,
} from './repodata-shards.js';
import { expireShards, ShardState, stampOf } from './shard-state.js';
import { recordFor, type RepodataRecord } from './repodata.js';
import {
  advertisedSidecar,
  ATTESTATIONS_FIELD,
  copySidecar,
  placeSidecar,
  removeSidecar,
  servesSidecar,
} from './attestation-sidecar.js';

const TMP_DIR = '.forgegate-tmp';

/** A file's mtime as the channel's upload time: RFC 3339 UTC with milliseconds (what `forgegate audit` compares). */
export const fileTime = (mtimeMs: number): string => new Date(Math.floor(mtimeMs)).toISOString();

interface PendingIndex {
  label: string;
  subdir: string;
  records: Map<string, RepodataRecord>;
  runExports: Map<string, Record<string, unknown>>;
  /** Rewrite even without new records: the forms on disk disagree (stale repodata.json.zst, a .bz2, …). */
  repair: boolean;
}

/** The forms whose identity says nothing else wrote an index since forgegate did. */
function stampedForms(options: IndexOptions): string[] {
  const names: string[] = options.monolithic ? [FORMS.json, FORMS.zst] : [FORMS.json];
  if (options.monolithic && options.currentRepodata) names.push(FORMS.current);
  if (options.shards) names.push(SHARD_INDEX);
  return names;
}

export class LocalChannel implements TargetStore {
  readonly kind = 'directory';
  #root: string;
  #tmpDir: string;
  #options: IndexOptions;
  #state: ShardState;
  #focus: { subdir: string; filename: string }[] | null = null;
  #pending = new Map<string, PendingIndex>();
  /** The records of each index as clients fetch it now, read once for every confirmation of the run. */
  #confirmed = new Map<string, Promise<Map<string, RepodataRecord> | null>>();
  /** What flush() wrote per index: the sha256 of its bytes and the records it added (for confirmations). */
  #flushed = new Map<
    string,
    {
      sha256: string | null;
      records: Map<string, RepodataRecord>;
      held: Promise<boolean> | null;
      /** The shard index and the shards as clients fetch them now, each read once for the run's confirmations. */
      shardIndex?: Promise<ShardIndex | null>;
      shards: Map<string, Promise<Shard>>;
    }
  >();
  /** Per index, the focused names list() found in it (and what flush() added since): a flush skips them. */
  #indexed = new Map<string, Set<string>>();
  /** Counters of the last flush, for benchmarks and the run summary. */
  readonly written = { indexes: 0, bytes: 0, shards: 0 };

  constructor(root: string, options: Partial<IndexOptions> = {}) {
    this.#root = root;
    this.#tmpDir = join(root, TMP_DIR);
    this.#options = { ...DEFAULT_INDEX_OPTIONS, ...options };
    this.#state = new ShardState(root);
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

  /** Is the shard index the one forgegate wrote with every other form (so it lists what repodata.json lists)? */
  async #shardsCurrent(label: string, subdir: string): Promise<ShardIndex | null> {
    if (!this.#options.shards) return null;
    const dir = join(this.#labelDir(label), subdir);
    const state = await this.#state.read(label, subdir);
    if (!(await this.#state.unchanged(dir, state, stampedForms(this.#options)))) return null;
    return readShardIndex(dir);
  }

  /** The records of `wanted` and the removed names among them, from the shards of their names. */
  async #fromShards(
    dir: string,
    index: ShardIndex,
    wanted: ReadonlySet<string>,
  ): Promise<{ records: Map<string, RepodataRecord>; removed: string[] }> {
    const records = new Map<string, RepodataRecord>();
    const removed: string[] = [];
    for (const name of new Set([...wanted].map(nameOfFile))) {
      const sha = index.shards.get(name);
      if (sha === undefined) continue;
      const shard = await readShard(dir, sha);
      for (const part of [shard.packages, shard['packages.conda']])
        for (const [fn, r] of part) if (wanted.has(fn)) records.set(fn, r);
      for (const fn of shard.removed) if (wanted.has(fn)) removed.push(fn);
    }
    return { records, removed };
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
        const dir = join(this.#labelDir(label), subdir);
        const names = wanted.get(subdir) ?? null;
        const shards = names === null ? null : await this.#shardsCurrent(label, subdir);
        let found: { records: Map<string, RepodataRecord>; removed: string[] };
        const state = names === null || shards !== null ? null : await this.#state.read(label, subdir);
        if (shards !== null && names !== null) {
          found = await this.#fromShards(dir, shards, names);
        } else if (
          names !== null &&
          state?.removed !== undefined &&
          !this.#options.shards &&
          (await this.#state.unchanged(dir, state, stampedForms(this.#options)))
        ) {
          // Nothing but forgegate wrote this index since it last did: a name whose file is not on disk is not in it
          // (files are linked before the index names them), and `removed` is what forgegate last wrote.
          const onDisk = new Set([...names].filter((f) => existsSync(join(dir, f))));
          found = {
            records:
              onDisk.size === 0
                ? new Map<string, RepodataRecord>()
                : (await listIndex(dir, subdir, onDisk, this.#options)).records,
            removed: state.removed,
          };
        } else {
          const index = await listIndex(dir, subdir, names, this.#options);
          if (!index.agree || (this.#options.shards && index.present)) this.#pendingFor(label, subdir).repair = true;
          found = index;
        }
        const seen = this.#indexed.get(`${label}\0${subdir}`) ?? new Set<string>();
        this.#indexed.set(`${label}\0${subdir}`, seen);
        for (const [filename, r] of found.records) {
          seen.add(filename);
          const key = `${subdir}/${filename}`;
          const copies = listing.files.get(key) ?? [];
          listing.files.set(key, [...copies, { label, size: r.size, sha256: r.sha256, md5: r.md5 }]);
        }
        // conda-index's `removed`: names taken off this channel for good, which stay off without the ledger.
        for (const filename of found.removed)
          if (names === null || names.has(filename)) listing.removed.add(`${subdir}/${filename}`);
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

  /**
   * Place the verified file under its name, its verified bundles first (F.sigs, attestation-sidecar.ts); its record,
   * with `attestations_sha256` when there are bundles, is written by flush().
   */
  async publish(
    copy: QuarantinedCopy,
    label: string,
    facts: ArtifactFacts,
    twin?: TwinCheck,
    bundles: readonly ServedBundle[] = [],
  ): Promise<PublishOutcome> {
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
    // Before the file: a sidecar that cannot be served as verified leaves nothing published.
    const attestations =
      bundles.length === 0 ? null : await placeSidecar(dirname(dest), filename, bundles, this.#tmpDir);
    const created = await copyFileAtomicNoClobber(copy.handle, dest, { tmpDir: this.#tmpDir });
    if (created === 'exists' && !sameDigests(await digestFile(dest), facts))
      return { kind: 'conflict', detail: 'another file appeared under this name' };
    const pending = this.#pendingFor(label, subdir);
    const record = recordFor(facts);
    pending.records.set(filename, attestations === null ? record : { ...record, [ATTESTATIONS_FIELD]: attestations });
    if (facts.runExports !== undefined) pending.runExports.set(filename, facts.runExports);
    return created === 'created' ? { kind: 'published' } : { kind: 'present' };
  }

  #pendingFor(label: string, subdir: string): PendingIndex {
    const key = `${label}\0${subdir}`;
    const pending = this.#pending.get(key) ?? {
      label,
      subdir,
      records: new Map(),
      runExports: new Map(),
      repair: false,
    };
    this.#pending.set(key, pending);
    return pending;
  }

  /**
   * Rewrite one index with `changes`, every form together: the shards of the names the changes touch (all of them
   * when the shards on disk are not the ones forgegate wrote with this repodata.json), then the forms' stamps.
   */
  async #update(label: string, subdir: string, changes: IndexChanges, rebuild = false): Promise<IndexUpdate> {
    const dir = join(this.#labelDir(label), subdir);
    let plan: ShardPlan | null = null;
    if (this.#options.shards) {
      const current = rebuild ? null : await this.#shardsCurrent(label, subdir);
      const names = new Set([...changes.add.keys(), ...changes.drop, ...changes.remove].map(nameOfFile));
      const hasJson = existsSync(join(dir, FORMS.json));
      // Without a repodata.json to rebuild from, the shards on disk are all there is: update them in place.
      if (current !== null || !hasJson)
        plan = { kind: 'touched', index: current ?? (await readShardIndex(dir)), names };
      else plan = { kind: 'rebuild' };
    }
    const state = await this.#state.read(label, subdir);
    const update = await updateIndex(dir, subdir, changes, this.#tmpDir, this.#options, plan);
    if (update.shards !== null) {
      const named = new Set(update.shards.index.shards.values());
      await expireShards(dir, state, update.shards.retired, named, this.#options.shardRetentionMs, Date.now());
    }
    for (const name of stampedForms(this.#options)) state.stamps[name] = await stampOf(join(dir, name));
    if (update.removed !== null) state.removed = update.removed;
    await this.#state.write(label, subdir, state, this.#tmpDir);
    this.written.indexes++;
    this.written.bytes += update.bytesWritten;
    this.written.shards += update.shardsWritten;
    return update;
  }

  /** Write every form of one index again from its repodata.json (every shard too), as if another writer left it. */
  async reindex(subdir: string, label = 'main'): Promise<IndexUpdate> {
    return this.#update(label, subdir, NO_CHANGES, true);
  }

  /** Write each index that has placed files, once; returns how many (label, subdir) indexes were written. */
  async flush(): Promise<number> {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const labels = new Set<string>();
    let written = 0;
    // One index at a time: each is streamed, but two at once would still double the run's peak.
    for (const p of pending) {
      const dir = join(this.#labelDir(p.label), p.subdir);
      const key = `${p.label}\0${p.subdir}`;
      this.#confirmed.delete(key);
      this.#flushed.delete(key);
      const missing = this.#options.monolithic
        ? !existsSync(join(dir, FORMS.json))
        : !existsSync(join(dir, SHARD_INDEX));
      const fresh = await this.#notIndexed(p);
      if (fresh.size > 0 || p.repair || missing) {
        const changes = { ...NO_CHANGES, add: fresh, runExports: p.runExports };
        const update = await this.#update(p.label, p.subdir, changes, p.repair);
        this.#flushed.set(key, { sha256: update.sha256, records: update.added, held: null, shards: new Map() });
        const seen = this.#indexed.get(key) ?? new Set<string>();
        for (const filename of update.added.keys()) seen.add(filename);
        this.#indexed.set(key, seen);
        written++;
      }
      labels.add(p.label);
    }
    // conda reads noarch/ in every channel it uses: each label that has files has a noarch index.
    for (const label of labels) {
      const noarch = join(this.#labelDir(label), 'noarch');
      const index = this.#options.monolithic ? FORMS.json : SHARD_INDEX;
      if (!existsSync(join(noarch, index))) {
        await this.#update(label, 'noarch', NO_CHANGES);
        written++;
      }
    }
    return written;
  }

  /**
   * The pending records the index does not hold yet. list() said which focused names it holds; without that, the
   * shards answer when they are current; otherwise every record goes to the rewrite, which keeps what is there.
   */
  async #notIndexed(p: PendingIndex): Promise<Map<string, RepodataRecord>> {
    const key = `${p.label}\0${p.subdir}`;
    const known = this.#indexed.get(key);
    let held: ReadonlySet<string> = known ?? new Set();
    if (known === undefined || [...p.records.keys()].some((f) => !known.has(f))) {
      const shards = await this.#shardsCurrent(p.label, p.subdir);
      if (shards !== null) {
        const dir = join(this.#labelDir(p.label), p.subdir);
        const found = await this.#fromShards(dir, shards, new Set(p.records.keys()));
        held = new Set([...held, ...found.records.keys(), ...found.removed]);
      }
    }
    return new Map([...p.records].filter(([f]) => !held.has(f)));
  }

  /** The records of `filenames` in an index as clients fetch it now, or null when its forms disagree. */
  async #recordsNow(
    label: string,
    subdir: string,
    filenames: ReadonlySet<string>,
  ): Promise<Map<string, RepodataRecord> | null> {
    const dir = join(this.#labelDir(label), subdir);
    if (this.#options.monolithic) {
      const index = await listIndex(dir, subdir, filenames, this.#options);
      return index.present && index.agree ? index.records : null;
    }
    const shards = await readShardIndex(dir);
    return shards === null ? null : (await this.#fromShards(dir, shards, filenames)).records;
  }

  /** What clients are told (every form of the index) and what they download (the file) must be these bytes. */
  async confirm(subdir: string, filename: string, label: string): Promise<Held | null> {
    const path = join(this.#labelDir(label), subdir, filename);
    if (!existsSync(path)) return null;
    const key = `${label}\0${subdir}`;
    const dir = join(this.#labelDir(label), subdir);
    let record: RepodataRecord | undefined;
    const flushed = this.#flushed.get(key);
    if (flushed?.records.has(filename) === true) {
      record = flushed.records.get(filename);
      if (flushed.sha256 !== null) {
        // Every form is still the file this run wrote (its inode, size and mtime, taken right after the renames).
        flushed.held ??= this.#state
          .read(label, subdir)
          .then((state) => this.#state.unchanged(dir, state, stampedForms(this.#options)));
        if (!(await flushed.held)) record = undefined;
      }
      if (record !== undefined && this.#options.shards) {
        // The shard clients read names the same bytes (each shard read once for every confirmation of the run).
        flushed.shardIndex ??= readShardIndex(dir);
        const sha = (await flushed.shardIndex)?.shards.get(nameOfFile(filename));
        let shard = sha === undefined ? undefined : flushed.shards.get(sha);
        if (sha !== undefined && shard === undefined) {
          shard = readShard(dir, sha);
          flushed.shards.set(sha, shard);
        }
        const part = shard === undefined ? undefined : (await shard)[sectionOf(filename)];
        const sharded = part?.get(filename);
        if (sharded === undefined || !sameDigests(sharded, record)) record = undefined;
      }
    } else {
      let forms = this.#confirmed.get(key);
      if (forms === undefined) {
        forms = this.#recordsNow(
          label,
          subdir,
          new Set(this.#focus?.filter((f) => f.subdir === subdir).map((f) => f.filename) ?? [filename]).add(filename),
        );
        this.#confirmed.set(key, forms);
      }
      record = (await forms)?.get(filename);
      if (record === undefined) {
        // Not among the focused names read once: this name alone.
        record = (await this.#recordsNow(label, subdir, new Set([filename])))?.get(filename);
      }
    }
    const held = await digestFile(path);
    if (!record || !sameDigests(held, { size: record.size, sha256: record.sha256, md5: record.md5 })) return null;
    // A record that advertises attestations must be served with them: a client that requires them would refuse it.
    const attestations = advertisedSidecar(record);
    if (attestations !== null && !(await servesSidecar(dir, filename, attestations))) return null;
    // A folder channel's upload time is the file's mtime: a re-upload of the same bytes moves it.
    return { ...held, uploadedAt: fileTime((await lstat(path)).mtimeMs), attestations };
  }

  /** The record of `filename` in the index of (label, subdir), read without parsing the others. */
  async #recordOf(
    label: string,
    subdir: string,
    filename: string,
    from: 'index' | 'shards' = 'index',
  ): Promise<RepodataRecord | undefined> {
    const dir = join(this.#labelDir(label), subdir);
    const wanted = new Set([filename]);
    if (this.#options.monolithic && from === 'index')
      return (await listIndex(dir, subdir, wanted, this.#options)).records.get(filename);
    const shards = await readShardIndex(dir);
    return shards === null ? undefined : (await this.#fromShards(dir, shards, wanted)).records.get(filename);
  }

  /**
   * Take a published file off every label to `broken` (conda-forge's convention), for good: each label it leaves
   * lists it in its index's `removed`, so the channel itself remembers the yank without the ledger. The file is placed
   * under `broken` before any label drops it, and each label's forms drop it before its file goes. Its attestation
   * sidecar moves with it, placed before the `broken` record that advertises it and removed after the forms drop it.
   */
  async yank(subdir: string, filename: string): Promise<YankOutcome> {
    if (RESERVED_SUBDIRS.includes(subdir)) return { from: [], to: null };
    const holding: { label: string; dir: string; record: RepodataRecord }[] = [];
    for (const label of await this.#labels()) {
      if (label === YANK_LABEL) continue;
      const record = await this.#recordOf(label, subdir, filename);
      if (record !== undefined) holding.push({ label, dir: join(this.#labelDir(label), subdir), record });
    }
    if (holding.length === 0) return { from: [], to: null };
    const first = holding[0]!;
    const brokenDir = join(this.#labelDir(YANK_LABEL), subdir);
    const placed = await copyFileAtomicNoClobber(join(first.dir, filename), join(brokenDir, filename), {
      tmpDir: this.#tmpDir,
    });
    if (placed === 'exists' && !sameDigests(await digestFile(join(brokenDir, filename)), first.record))
      throw new Error(`label ${YANK_LABEL} already holds other bytes under ${subdir}/${filename}`);
    const attestations = advertisedSidecar(first.record);
    if (attestations !== null) await copySidecar(first.dir, brokenDir, filename, attestations, this.#tmpDir);
    if ((await this.#recordOf(YANK_LABEL, subdir, filename)) === undefined)
      await this.#update(YANK_LABEL, subdir, { ...NO_CHANGES, add: new Map([[filename, first.record]]) });
    for (const { label, dir, record } of holding) {
      await this.#update(label, subdir, { ...NO_CHANGES, drop: new Set([filename]), remove: new Set([filename]) });
      this.#indexed.get(`${label}\0${subdir}`)?.delete(filename);
      await unlink(join(dir, filename)).catch(() => undefined);
      const sidecar = advertisedSidecar(record);
      if (sidecar !== null) await removeSidecar(dir, filename, sidecar);
    }
    for (const key of this.#confirmed.keys()) if (key.endsWith(`\0${subdir}`)) this.#confirmed.delete(key);
    return { from: holding.map((h) => h.label), to: YANK_LABEL };
  }

  /**
   * Drop the record from every form first, then the file and the attestation sidecar the record advertised: no form
   * is left naming a missing file.
   */
  async withdraw(subdir: string, filename: string, label: string): Promise<void> {
    const dir = join(this.#labelDir(label), subdir);
    const record = await this.#recordOf(label, subdir, filename);
    if (record !== undefined) await this.#update(label, subdir, { ...NO_CHANGES, drop: new Set([filename]) });
    this.#confirmed.delete(`${label}\0${subdir}`);
    this.#flushed.delete(`${label}\0${subdir}`);
    this.#indexed.get(`${label}\0${subdir}`)?.delete(filename);
    await unlink(join(dir, filename)).catch(() => undefined);
    const sidecar = record === undefined ? null : advertisedSidecar(record);
    if (sidecar !== null) await removeSidecar(dir, filename, sidecar);
  }
}
