// CEP 16 sharded repodata for one subdir, as conda-index --write-shards writes it and rattler reads it:
//   repodata_shards.msgpack.zst  zstd(msgpack({version: 1, info: {base_url: "", shards_base_url: "", subdir,
//                                created_at}, shards: {name: sha256 bytes}}))
//   <sha256 hex>.msgpack.zst     zstd(msgpack({packages: {fn: record}, "packages.conda": {fn: record}[, removed]}))
// named by the sha256 of its own (compressed) bytes. Records are the repodata.json records of that name, md5 and
// sha256 as bytes (conda-index's pack_record). `removed` lists the removed file names of that name, when any.
//
// A run rewrites only the shards of the names it touched, plus the index. Shards are content-addressed and placed
// with link(2) before the index that names them is renamed in, so a client never sees an index naming a missing
// shard; a shard the index stops naming stays for `shardRetentionMs` (a client that read the old index may still
// fetch it), then goes (shard-state.ts).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { link, mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decode, encode } from '@msgpack/msgpack';
import { compress, DecompressStream } from 'zstd-napi';
import { Readable } from 'node:stream';
import { condaJson } from './conda-json.js';
import { writeSynced } from './repodata-forms.js';
import { RepodataError, type Section } from './repodata-scan.js';
import { sectionOf, type IndexChanges, type RecordObserver } from './repodata-write.js';
import type { RepodataRecord } from './repodata.js';

export const SHARD_INDEX = 'repodata_shards.msgpack.zst';
const SHARD_NAME = /^[0-9a-f]{64}\.msgpack\.zst$/;
/** conda-index: "higher compression levels are a waste of time for tiny gains" on these small objects. */
const SHARD_ZSTD_LEVEL = 3;
const MAX_UNPACKED = 512 * 1024 * 1024;
const DECODE_LIMITS = {
  maxStrLength: 16 * 1024 * 1024,
  maxBinLength: 1024,
  maxArrayLength: 10_000_000,
  maxMapLength: 10_000_000,
  maxExtLength: 0,
};

export interface ShardIndex {
  subdir: string;
  /** Package name → sha256 (hex) of its shard file. */
  shards: Map<string, string>;
}

export interface Shard {
  packages: Map<string, RepodataRecord>;
  'packages.conda': Map<string, RepodataRecord>;
  removed: Set<string>;
}

/** Which shards an update writes: those of `names` (read from `index`, then changed), or every name (`rebuild`). */
export type ShardPlan = { kind: 'touched'; index: ShardIndex | null; names: ReadonlySet<string> } | { kind: 'rebuild' };

/** The package name in a conda file name: name-version-build.ext, where version and build hold no "-". */
export function nameOfFile(filename: string): string {
  const stem = filename.replace(/\.(conda|tar\.bz2)$/, '');
  const parts = stem.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : stem;
}

export const shardFile = (sha256: string): string => `${sha256}.msgpack.zst`;

async function unzstd(bytes: Uint8Array, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of Readable.from([bytes]).pipe(new DecompressStream())) {
      total += (chunk as Buffer).length;
      if (total > MAX_UNPACKED) throw new RepodataError('shard.size', `${what} unpacks to more than 512 MiB`);
      parts.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof RepodataError) throw e;
    throw new RepodataError('shard.zstd', `${what} is not valid zstd`);
  }
  return Buffer.concat(parts);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hex = (v: unknown): string | undefined => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : undefined);

/** The shard index of `dir`, or null when there is none. */
export async function readShardIndex(dir: string): Promise<ShardIndex | null> {
  const bytes = await readFile(join(dir, SHARD_INDEX)).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  });
  if (bytes === null) return null;
  const doc = decode(await unzstd(bytes, SHARD_INDEX), DECODE_LIMITS);
  if (!isObj(doc) || !isObj(doc['info']) || !isObj(doc['shards']))
    throw new RepodataError('shard.index', `${SHARD_INDEX} lacks info or shards`);
  const shards = new Map<string, string>();
  for (const [name, sha] of Object.entries(doc['shards'])) {
    const h = hex(sha);
    if (h === undefined || h.length !== 64)
      throw new RepodataError('shard.index', `the shard of ${name} is not a sha256`);
    shards.set(name, h);
  }
  return { subdir: String(doc['info']['subdir']), shards };
}

/** A shard as repodata records (hex digests), checked against the sha256 its name states. */
export async function readShard(dir: string, sha256: string): Promise<Shard> {
  const bytes = await readFile(join(dir, shardFile(sha256)));
  if (createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new RepodataError('shard.digest', `${shardFile(sha256)} does not hold the bytes its name states`);
  const doc = decode(await unzstd(bytes, shardFile(sha256)), DECODE_LIMITS);
  if (!isObj(doc)) throw new RepodataError('shard.shape', `${shardFile(sha256)} is not a map`);
  const shard: Shard = { packages: new Map(), 'packages.conda': new Map(), removed: new Set() };
  for (const section of ['packages', 'packages.conda'] as const) {
    const part = doc[section] ?? {};
    if (!isObj(part)) throw new RepodataError('shard.shape', `${section} of ${shardFile(sha256)} is not a map`);
    for (const [fn, rec] of Object.entries(part)) {
      if (!isObj(rec)) throw new RepodataError('shard.shape', `${fn} in ${shardFile(sha256)} is not a record`);
      shard[section].set(fn, unpackRecord(rec));
    }
  }
  if (Array.isArray(doc['removed'])) for (const fn of doc['removed']) if (typeof fn === 'string') shard.removed.add(fn);
  return shard;
}

/** conda-index's pack_record: hex checksums become bytes. */
function packRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const k of ['md5', 'sha256'])
    if (typeof out[k] === 'string' && /^[0-9a-f]+$/.test(out[k])) out[k] = Buffer.from(out[k], 'hex');
  return out;
}

function unpackRecord(record: Record<string, unknown>): RepodataRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = (k === 'md5' || k === 'sha256') && hex(v) ? hex(v) : v;
  return out as RepodataRecord;
}

/** The bytes of one shard: msgpack (sorted keys, so equal shards are equal bytes), then zstd. */
export function encodeShard(shard: Shard): Buffer {
  const doc: Record<string, unknown> = {};
  for (const section of ['packages', 'packages.conda'] as const) {
    const part: Record<string, unknown> = {};
    for (const fn of [...shard[section].keys()].sort()) part[fn] = packRecord(shard[section].get(fn)!);
    doc[section] = part;
  }
  if (shard.removed.size > 0) doc['removed'] = [...shard.removed].sort();
  return compress(encode(doc, { sortKeys: true }), { compressionLevel: SHARD_ZSTD_LEVEL });
}

export function encodeShardIndex(index: ShardIndex, createdAt: Date): Buffer {
  const shards: Record<string, Uint8Array> = {};
  for (const name of [...index.shards.keys()].sort()) shards[name] = Buffer.from(index.shards.get(name)!, 'hex');
  const doc = {
    version: 1,
    info: {
      base_url: '', // packages live beside the index (CEP 15's base_url, relative)
      shards_base_url: '', // and so do the shards
      created_at: `${createdAt.toISOString().slice(0, 19)}Z`,
      subdir: index.subdir,
    },
    shards,
  };
  return compress(encode(doc), { compressionLevel: SHARD_ZSTD_LEVEL });
}

/** Place `bytes` as the shard they name, never over another file (an existing one is checked, not replaced). */
async function placeShard(dir: string, tmpDir: string, bytes: Buffer): Promise<{ sha256: string; placed: boolean }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const dest = join(dir, shardFile(sha256));
  const existing = await readFile(dest).catch(() => null);
  if (existing !== null) {
    if (existing.equals(bytes)) return { sha256, placed: false };
    // Content-addressed: other bytes under this name are damage; a fresh copy replaces them.
    await unlink(dest);
  }
  const tmp = join(tmpDir, `shard-${sha256}`);
  await writeSynced(tmp, bytes);
  try {
    await link(tmp, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await unlink(tmp);
  }
  return { sha256, placed: true };
}

export interface ShardsWritten {
  index: ShardIndex;
  /** [temp, final] of the new shard index, for the forms journal. */
  renames: [string, string][];
  /** Shard files the new index no longer names. */
  retired: string[];
  bytes: number;
  shards: number;
}

/**
 * Writes one subdir's shards. With a `touched` plan it reads the old shard of each touched name and applies the
 * changes; with `rebuild` it groups every record of the new monolithic index by name (the observer), so a channel
 * that had no shards, or shards another writer left, gets a complete set.
 */
export class ShardWriter {
  #groups = new Map<string, Shard>();
  #removed: string[] = [];
  #spill: Spill;
  /** run_exports of this update's new records, for a rebuild (a touched update takes them from its changes). */
  runExports: ReadonlyMap<string, Record<string, unknown>> = new Map();

  constructor(
    readonly dir: string,
    readonly subdir: string,
    readonly tmpDir: string,
    readonly plan: ShardPlan,
  ) {
    this.#spill = new Spill(tmpDir);
  }

  #group(name: string): Shard {
    let g = this.#groups.get(name);
    if (g === undefined) {
      g = { packages: new Map(), 'packages.conda': new Map(), removed: new Set() };
      this.#groups.set(name, g);
    }
    return g;
  }

  /** For a rebuild: sees every record of the new monolithic index. */
  observer(): RecordObserver {
    return {
      record: (section: Section, filename: string, bytes: Buffer) => {
        if (this.plan.kind !== 'rebuild') return;
        this.#spill.add(nameOfFile(filename), section, filename, bytes);
      },
      removed: (names: string[]) => {
        this.#removed = names;
      },
    };
  }

  /** For a touched update: the changes, applied to the old shards of the names they touch. */
  async apply(changes: IndexChanges): Promise<Map<string, RepodataRecord>> {
    const added = new Map<string, RepodataRecord>();
    if (this.plan.kind !== 'touched') return added;
    const { index, names } = this.plan;
    for (const name of names) {
      const sha = index?.shards.get(name);
      this.#groups.set(name, sha === undefined ? this.#group(name) : await readShard(this.dir, sha));
    }
    for (const fn of changes.drop) this.#groups.get(nameOfFile(fn))?.[sectionOf(fn)].delete(fn);
    for (const fn of changes.remove) this.#groups.get(nameOfFile(fn))?.removed.add(fn);
    for (const [fn, record] of changes.add) {
      const g = this.#groups.get(nameOfFile(fn));
      if (g === undefined || g[sectionOf(fn)].has(fn) || g.removed.has(fn)) continue;
      const runExports = changes.runExports?.get(fn);
      const shardRecord = JSON.parse(condaJson(record)) as RepodataRecord;
      if (runExports !== undefined) shardRecord['run_exports'] = runExports;
      g[sectionOf(fn)].set(fn, shardRecord);
      added.set(fn, record);
    }
    return added;
  }

  /** Place every changed shard, write the new index to `tmpIndex`; the caller renames it in with the other forms. */
  async finish(tmpIndex: string, now = new Date()): Promise<ShardsWritten> {
    await mkdir(this.dir, { recursive: true });
    const old = this.plan.kind === 'touched' ? this.plan.index : null;
    const index: ShardIndex = { subdir: this.subdir, shards: new Map(old?.shards ?? []) };
    let bytes = 0;
    let shards = 0;
    const retired: string[] = [];
    const place = async (groups: Map<string, Shard>): Promise<void> => {
      for (const [name, shard] of groups) {
        const before = index.shards.get(name);
        if (shard.packages.size === 0 && shard['packages.conda'].size === 0 && shard.removed.size === 0) {
          index.shards.delete(name);
        } else {
          const encoded = encodeShard(shard);
          const placed = await placeShard(this.dir, this.tmpDir, encoded);
          if (placed.placed) {
            bytes += encoded.length;
            shards++;
          }
          index.shards.set(name, placed.sha256);
        }
        const after = index.shards.get(name);
        if (before !== undefined && before !== after) retired.push(before);
      }
    };
    if (this.plan.kind === 'rebuild') {
      const removed = new Map<string, string[]>();
      for (const fn of this.#removed) removed.set(nameOfFile(fn), [...(removed.get(nameOfFile(fn)) ?? []), fn]);
      // One bucket of names at a time: memory holds a 64th of the index.
      for await (const groups of this.#spill.buckets()) {
        for (const [name, shard] of groups) {
          for (const fn of removed.get(name) ?? []) shard.removed.add(fn);
          for (const part of [shard.packages, shard['packages.conda']])
            for (const [fn, r] of part) if (this.runExports.has(fn)) r['run_exports'] = this.runExports.get(fn);
        }
        for (const name of groups.keys()) removed.delete(name);
        await place(groups);
      }
      for (const [name, fns] of removed) this.#group(name).removed = new Set(fns);
    }
    await place(this.#groups);
    if (this.plan.kind === 'rebuild') {
      // Names the new set lacks: their old shards retire too.
      const previous = await readShardIndex(this.dir).catch(() => null);
      for (const [name, sha] of previous?.shards ?? []) if (index.shards.get(name) !== sha) retired.push(sha);
    }
    const encodedIndex = encodeShardIndex(index, now);
    await writeSynced(tmpIndex, encodedIndex);
    bytes += encodedIndex.length;
    const stillNamed = new Set(index.shards.values());
    return {
      index,
      renames: [[tmpIndex, join(this.dir, SHARD_INDEX)]],
      retired: [...new Set(retired)].filter((sha) => !stillNamed.has(sha)),
      bytes,
      shards,
    };
  }
}

export const isShardFile = (name: string): boolean => SHARD_NAME.test(name);

const BUCKETS = 64;
const SPILL_BATCH = 1 << 20;

/**
 * Records of a rebuild, spilled to BUCKETS temp files by a hash of their name, so the shards are built one bucket
 * at a time. One line per record: section flag, file name, record JSON (conda-index's compact form has no newline).
 */
class Spill {
  #fds: (number | null)[] = new Array<number | null>(BUCKETS).fill(null);
  #pending: Buffer[][] = Array.from({ length: BUCKETS }, () => []);
  #sizes = new Array<number>(BUCKETS).fill(0);
  #id = randomBytes(6).toString('hex');

  constructor(readonly tmpDir: string) {}

  #path(b: number): string {
    return join(this.tmpDir, `${this.#id}.spill-${b}`);
  }

  #flush(b: number): void {
    if (this.#pending[b]!.length === 0) return;
    this.#fds[b] ??= openSync(this.#path(b), 'wx', 0o600);
    writeSync(this.#fds[b], Buffer.concat(this.#pending[b]!));
    this.#pending[b] = [];
    this.#sizes[b] = 0;
  }

  add(name: string, section: Section, filename: string, bytes: Buffer): void {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
    const b = (h >>> 0) % BUCKETS;
    const head = Buffer.from(`${section === 'packages' ? 'p' : 'c'}\t${JSON.stringify(filename)}\t`, 'utf8');
    this.#pending[b]!.push(head, bytes, NEWLINE);
    this.#sizes[b]! += head.length + bytes.length + 1;
    if (this.#sizes[b]! >= SPILL_BATCH) this.#flush(b);
  }

  /** Each bucket's records grouped by name; the bucket's file is gone once it is read. */
  async *buckets(): AsyncGenerator<Map<string, Shard>> {
    for (let b = 0; b < BUCKETS; b++) {
      this.#flush(b);
      const fd = this.#fds[b];
      if (fd === null || fd === undefined) continue;
      closeSync(fd);
      this.#fds[b] = null;
      const text = await readFile(this.#path(b), 'utf8');
      await unlink(this.#path(b));
      const groups = new Map<string, Shard>();
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const tab = line.indexOf('\t', 2);
        const filename = JSON.parse(line.slice(2, tab)) as string;
        const name = nameOfFile(filename);
        let g = groups.get(name);
        if (g === undefined) {
          g = { packages: new Map(), 'packages.conda': new Map(), removed: new Set() };
          groups.set(name, g);
        }
        g[line[0] === 'p' ? 'packages' : 'packages.conda'].set(
          filename,
          JSON.parse(line.slice(tab + 1)) as RepodataRecord,
        );
      }
      yield groups;
    }
  }
}

const NEWLINE = Buffer.from('\n');
