// Every form of one subdir's index, written together: repodata.json and repodata.json.zst (conda and rattler fetch
// the .zst first) from one streamed pass (repodata-write.ts), current_repodata.json as conda-index defines it
// (current-repodata.ts) or removed when the channel does not want it, CEP 16 shards (repodata-shards.ts) when on,
// and repodata.json.bz2 removed. All temp files are written and synced first, in forgegate's own temp folder; a
// journal names the renames still to do, so a crash between two renames is finished by the next run's sweep before
// anything reads the forms. Shards are placed before the journal is written and are never renamed over: each is
// named by its content, so a shard index never names a missing shard, and no form ever names a missing file (files
// are linked before, and unlinked after, the forms change).
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DecompressStream } from 'zstd-napi';
import { probe } from '../../ports/probe.js';
import { DEFAULT_CHANNEL_INDEX, type ChannelIndexConfig } from '../../config/types.js';
import { openRegularNoFollow } from '../../util/no-follow.js';
import { CurrentRepodata } from './current-repodata.js';
import { parseChecked, type ScanSink, type Section } from './repodata-scan.js';
import { rewriteIndex, scanIndexFile, type IndexChanges, type RecordObserver } from './repodata-write.js';
import type { RepodataRecord } from './repodata.js';
import { SHARD_INDEX, ShardWriter, type ShardPlan, type ShardsWritten } from './repodata-shards.js';

export const FORMS = {
  json: 'repodata.json',
  zst: 'repodata.json.zst',
  bz2: 'repodata.json.bz2',
  current: 'current_repodata.json',
  currentZst: 'current_repodata.json.zst',
  currentBz2: 'current_repodata.json.bz2',
} as const;

/** What a channel folder writes beside repodata.json (target.store.index in the config). */
export type IndexOptions = ChannelIndexConfig;
export const DEFAULT_INDEX_OPTIONS: IndexOptions = DEFAULT_CHANNEL_INDEX;

interface Journal {
  renames: [string, string][];
  removals: string[];
}

export async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY).catch(() => null);
  if (fh === null) return;
  await fh.sync().catch(() => undefined); // not every platform can fsync a folder
  await fh.close();
}

export const exists = async (path: string): Promise<boolean> => {
  try {
    await (await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)).close();
    return true;
  } catch {
    return false;
  }
};

/** sha256 (hex) of a file's bytes, or of what its zstd frames unpack to; null when it does not exist. */
async function streamSha256(path: string, zstd: boolean): Promise<string | null> {
  let fh;
  try {
    fh = await openRegularNoFollow(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ELOOP') return null;
    throw e;
  }
  const hash = createHash('sha256');
  try {
    const source = fh.createReadStream({ autoClose: false });
    const stream = zstd ? source.pipe(new DecompressStream()) : source;
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch {
    return zstd ? 'unreadable' : null;
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** Does every form clients fetch first hold the bytes of repodata.json (`jsonSha256`)? Nothing is held whole. */
async function formsAgree(dir: string, jsonSha256: string, options: IndexOptions): Promise<boolean> {
  if ((await streamSha256(join(dir, FORMS.zst), true)) !== jsonSha256) return false;
  // A current_repodata.json this channel should not have (or a copy of the full index another writer left) is
  // rewritten or removed; its other forms are never written.
  if ((await exists(join(dir, FORMS.current))) !== options.currentRepodata) return false;
  for (const stale of [FORMS.bz2, FORMS.currentBz2, FORMS.currentZst]) if (await exists(join(dir, stale))) return false;
  return true;
}

/** What list() needs of one index: records of the wanted names, `removed`, and whether every form agrees. */
export interface IndexListing {
  present: boolean;
  agree: boolean;
  records: Map<string, RepodataRecord>;
  removed: string[];
}

/** Read an index once, keeping only the records of `wanted` (all when null): nothing else becomes an object. */
export async function listIndex(
  dir: string,
  subdir: string,
  wanted: ReadonlySet<string> | null,
  options: IndexOptions,
): Promise<IndexListing> {
  const listing: IndexListing = { present: false, agree: true, records: new Map(), removed: [] };
  const sink: ScanSink = {
    value(key, bytes) {
      if (key !== 'removed') return;
      const removed = parseChecked(bytes);
      if (Array.isArray(removed)) listing.removed = removed.filter((n): n is string => typeof n === 'string');
    },
    sectionStart() {},
    sectionEnd() {},
    record(_section: Section, filename, bytes) {
      if (wanted === null || wanted.has(filename)) listing.records.set(filename, parseChecked(bytes) as RepodataRecord);
    },
  };
  const hash = createHash('sha256');
  listing.present = await scanIndexFile(join(dir, FORMS.json), subdir, sink, undefined, (chunk) => hash.update(chunk));
  if (listing.present) listing.agree = await formsAgree(dir, hash.digest('hex'), options);
  return listing;
}

export interface IndexUpdate {
  /** The new records that went in (by the monolithic index when it is written, else by the shards). */
  added: Map<string, RepodataRecord>;
  /** sha256 of the new repodata.json, or null when the channel writes none. */
  sha256: string | null;
  /** Records the new monolithic index holds (0 without one). */
  records: number;
  /** Bytes this update wrote to the channel: index forms, current_repodata.json, shards and the shard index. */
  bytesWritten: number;
  shardsWritten: number;
  /** The new shard index, and the shards it no longer names (for retention), when shards are on. */
  shards: ShardsWritten | null;
  /** The `removed` list of the new repodata.json (null when none was written). */
  removed: string[] | null;
}

/**
 * Apply `changes` to `dir`'s index and replace every form of it, together. The old repodata.json is read once.
 * `plan` says which shards this update rewrites (the names it touched, or all of them), null when shards are off.
 */
export async function updateIndex(
  dir: string,
  subdir: string,
  changes: IndexChanges,
  tmpDir: string,
  options: IndexOptions,
  plan: ShardPlan | null,
): Promise<IndexUpdate> {
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true });
  const id = randomBytes(6).toString('hex');
  const temp = (name: string): string => join(tmpDir, `${id}.${name}`);
  const journal: Journal = { renames: [], removals: [] };
  const update: IndexUpdate = {
    added: new Map(),
    sha256: null,
    records: 0,
    bytesWritten: 0,
    shardsWritten: 0,
    shards: null,
    removed: null,
  };
  const shardWriter = plan === null ? null : new ShardWriter(dir, subdir, tmpDir, plan);
  if (shardWriter !== null && changes.runExports !== undefined) shardWriter.runExports = changes.runExports;
  if (shardWriter !== null && plan?.kind === 'touched') update.added = await shardWriter.apply(changes);
  // The monolithic pass: always when the channel keeps repodata.json, and as the source of a shard rebuild.
  if (options.monolithic || plan?.kind === 'rebuild') {
    const current = options.monolithic && options.currentRepodata ? new CurrentRepodata(subdir) : null;
    let removed: string[] = [];
    const observers: RecordObserver[] = [{ record() {}, removed: (names) => (removed = names) }];
    if (current !== null) observers.push(current.observer());
    if (shardWriter !== null) observers.push(shardWriter.observer());
    const result = await rewriteIndex({
      jsonPath: join(dir, FORMS.json),
      subdir,
      changes,
      tmpJson: temp(FORMS.json),
      tmpZst: temp(FORMS.zst),
      observe: () => observers,
    });
    if (options.monolithic) {
      update.removed = removed;
      update.added = result.added;
      update.sha256 = result.sha256;
      update.records = result.records;
      update.bytesWritten += result.bytes + result.zstBytes;
      journal.renames.push([temp(FORMS.zst), join(dir, FORMS.zst)]);
      if (current !== null) {
        const fh = await open(temp(FORMS.json), constants.O_RDONLY);
        const out = await open(temp(FORMS.current), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
        try {
          update.bytesWritten += await current.write(fh, out);
          await out.sync();
        } finally {
          await fh.close();
          await out.close();
        }
        journal.renames.push([temp(FORMS.current), join(dir, FORMS.current)]);
      }
    }
  }
  if (!options.monolithic || !options.currentRepodata) journal.removals.push(join(dir, FORMS.current));
  if (shardWriter !== null) {
    // Shards are placed now (new names only, never over a file); the shard index is renamed with the other forms.
    const written = await shardWriter.finish(temp(SHARD_INDEX));
    update.bytesWritten += written.bytes;
    update.shardsWritten = written.shards;
    update.shards = written;
    journal.renames.push(...written.renames);
  }
  // repodata.json goes last: it is the reference form, and forgegate's own listing reads it. A channel without it
  // loses every monolithic form after its shards are in place.
  if (options.monolithic) journal.renames.push([temp(FORMS.json), join(dir, FORMS.json)]);
  else journal.removals.push(join(dir, FORMS.json), join(dir, FORMS.zst));
  for (const stale of [FORMS.bz2, FORMS.currentBz2, FORMS.currentZst])
    if (await exists(join(dir, stale))) journal.removals.push(join(dir, stale));
  const journalPath = join(tmpDir, `${id}.journal.json`);
  await writeSynced(journalPath, Buffer.from(JSON.stringify(journal)));
  probe('forms-written');
  await finish(journal);
  await syncDir(dir);
  await unlink(journalPath);
  if (!options.monolithic) {
    await rm(temp(FORMS.json), { force: true });
    await rm(temp(FORMS.zst), { force: true });
  }
  return update;
}

/** Do what a journal says: removals first (a stale form must not outlive the new ones), then the renames. */
async function finish(journal: Journal): Promise<void> {
  for (const path of journal.removals) await rm(path, { force: true });
  for (const [from, to] of journal.renames) {
    try {
      await rename(from, to);
    } catch (e) {
      // Renamed already before a crash: the temp is gone and the form is in place.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    probe('form-renamed');
  }
}

/** Finish every write a crashed run left half done. Called under the run lock, before the temp folder is cleared. */
export async function rollForward(tmpDir: string): Promise<number> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  let finished = 0;
  for (const name of names.filter((n) => n.endsWith('.journal.json')).sort()) {
    const journal = JSON.parse(await readFile(join(tmpDir, name), 'utf8')) as Journal;
    await finish(journal);
    await unlink(join(tmpDir, name));
    finished++;
  }
  return finished;
}
