// One streamed pass from a subdir's repodata.json to its new text: the old records are carried as the bytes the file
// holds (repodata-scan.ts), the run's new records are merged where conda-index puts them (sections sorted by file
// name), dropped records leave, and names join `removed`. The text goes to a temp file, through a streaming zstd
// compressor to a second temp file, and through sha256, chunk by chunk: memory is bounded by one record and one
// read buffer, whatever the size of the index.
//
// Output form (conda-index's compact form, conda-json.ts): no whitespace, no trailing newline, ASCII only. Top-level
// keys keep the file's order (conda-index, rattler and forgegate all write info, packages, packages.conda, removed,
// repodata_version, which is also sorted order); a missing one of those is added after the others. In a section,
// a new record goes before the first old record whose file name sorts after it, so a sorted section stays sorted.
// Old records keep their key order; new records have sorted keys.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { CompressStream } from 'zstd-napi';
import { openRegularNoFollow } from '../../util/no-follow.js';
import { asciiString, compareCodePoints, condaJson } from './conda-json.js';
import { parseChecked, RepodataError, RepodataScanner, type ScanSink, type Section } from './repodata-scan.js';
import type { RepodataRecord } from './repodata.js';

/** zstd level for repodata.json.zst: conda-forge's 228 MiB linux-64 index compresses in ~2 s to ~47 MiB. */
export const ZSTD_LEVEL = 3;
const READ_CHUNK = 1 << 20;
const WRITE_BATCH = 1 << 20;

export interface IndexChanges {
  /** New records by file name; skipped where the index already has the name or lists it in `removed`. */
  add: ReadonlyMap<string, RepodataRecord>;
  /** File names whose records leave the index. */
  drop: ReadonlySet<string>;
  /** File names to list in `removed` (conda's list of packages taken off the channel). */
  remove: ReadonlySet<string>;
  /** The run_exports of new records whose package has them: shards list them, repodata.json does not. */
  runExports?: ReadonlyMap<string, Record<string, unknown>>;
}

export const NO_CHANGES: IndexChanges = { add: new Map(), drop: new Set(), remove: new Set() };

/** Sees every record of the new index, in order, as the bytes written (a record's JSON object), and `removed`. */
export interface RecordObserver {
  /** `keyAt`, `endAt`: where `"filename":{record}` starts and ends in the new repodata.json. */
  record(section: Section, filename: string, bytes: Buffer, keyAt: number, endAt: number): void;
  removed?(names: string[]): void;
  /** Every top-level value but the two sections, as written. */
  value?(key: string, bytes: Buffer): void;
}

export interface RewriteResult {
  /** The new records that went in. */
  added: Map<string, RepodataRecord>;
  /** The file names whose records were dropped. */
  dropped: Set<string>;
  /** sha256 (hex) and length of the new text, and the length of its zstd form. */
  sha256: string;
  bytes: number;
  zstBytes: number;
  /** How many records the new index holds. */
  records: number;
}

export function sectionOf(filename: string): Section {
  return filename.endsWith('.conda') ? 'packages.conda' : 'packages';
}

function emptyIndexText(subdir: string): Buffer {
  return Buffer.from(
    condaJson({ info: { subdir }, packages: {}, 'packages.conda': {}, removed: [], repodata_version: 1 }),
  );
}

const DEFAULTS = (subdir: string): [string, string][] => [
  ['info', condaJson({ subdir })],
  ['packages', '{}'],
  ['packages.conda', '{}'],
  ['removed', '[]'],
  ['repodata_version', '1'],
];

/** The merge of one pass: what the scanner hands over becomes output pieces. */
class Merger implements ScanSink {
  pieces: Buffer[] = [];
  pending = 0;
  added = new Map<string, RepodataRecord>();
  dropped = new Set<string>();
  records = 0;
  /** New records that turned out to be in the index after all (an unsorted section) or in `removed`. */
  conflicts = new Set<string>();
  #topCount = 0;
  #seen = new Set<string>();
  #inSection = 0;
  #queue: [string, RepodataRecord][] = [];
  #at = 0;
  #emittedNew = new Set<string>();

  constructor(
    readonly changes: IndexChanges,
    readonly skip: ReadonlySet<string>,
    readonly observe: RecordObserver[],
    readonly subdir: string,
  ) {}

  /** Bytes of the new text so far. */
  #position = 0;

  #put(text: string | Buffer): void {
    const b = typeof text === 'string' ? Buffer.from(text, 'latin1') : text; // every string here is ASCII
    this.pieces.push(b);
    this.pending += b.length;
    this.#position += b.length;
  }

  #putValue(key: string, bytes: Buffer): void {
    this.#put(bytes);
    for (const o of this.observe) o.value?.(key, bytes);
  }

  #key(key: string): void {
    this.#put(`${this.#topCount++ === 0 ? '{' : ','}${asciiString(key)}:`);
  }

  #record(section: Section, filename: string, bytes: Buffer): void {
    if (this.#inSection++ > 0) this.#put(',');
    const keyAt = this.#position;
    this.#put(`${asciiString(filename)}:`);
    this.#put(bytes);
    this.records++;
    for (const o of this.observe) o.record(section, filename, bytes, keyAt, this.#position);
  }

  #emitNew(section: Section, filename: string, record: RepodataRecord): void {
    this.#record(section, filename, Buffer.from(condaJson(record), 'latin1'));
    this.added.set(filename, record);
    this.#emittedNew.add(filename);
  }

  value(key: string, bytes: Buffer, canonical: boolean): void {
    this.#seen.add(key);
    this.#key(key);
    const watched = this.observe.some((o) => o.removed !== undefined);
    if (key === 'removed' && (this.changes.remove.size > 0 || this.changes.add.size > 0 || watched)) {
      const parsed = parseChecked(bytes);
      if (!Array.isArray(parsed)) throw new RepodataError('scan.section', '"removed" is not a list');
      const removed = parsed.filter((n): n is string => typeof n === 'string');
      for (const name of removed) if (this.#emittedNew.has(name)) this.conflicts.add(name);
      if (this.changes.remove.size > 0 || removed.length !== parsed.length) {
        this.#putRemoved([...removed, ...this.changes.remove]);
        return;
      }
      for (const o of this.observe) o.removed?.(removed);
    }
    this.#putValue(key, canonical ? bytes : Buffer.from(condaJson(parseChecked(bytes), false), 'latin1'));
  }

  /** conda-index's `removed`: file names, sorted, each once. */
  #putRemoved(names: string[]): void {
    const sorted = [...new Set(names)].sort(compareCodePoints);
    for (const o of this.observe) o.removed?.(sorted);
    this.#putValue('removed', Buffer.from(condaJson(sorted), 'latin1'));
  }

  sectionStart(section: Section): void {
    this.#seen.add(section);
    this.#key(section);
    this.#put('{');
    this.#inSection = 0;
    this.#queue = [...this.changes.add]
      .filter(([f]) => sectionOf(f) === section && !this.skip.has(f))
      .sort(([a], [b]) => compareCodePoints(a, b));
    this.#at = 0;
  }

  record(section: Section, filename: string, bytes: Buffer, canonical: boolean): void {
    const q = this.#queue;
    while (this.#at < q.length && compareCodePoints(q[this.#at]![0], filename) < 0) {
      const [f, r] = q[this.#at++]!;
      this.#emitNew(section, f, r);
    }
    // Never overwrite a record: an old record under a new one's name stays, and the new one is not added.
    if (this.#at < q.length && q[this.#at]![0] === filename) this.#at++;
    if (this.#emittedNew.has(filename)) this.conflicts.add(filename);
    if (this.changes.drop.has(filename)) {
      this.dropped.add(filename);
      return;
    }
    const out = canonical ? bytes : Buffer.from(condaJson(parseChecked(bytes), false), 'latin1');
    this.#record(section, filename, out);
  }

  sectionEnd(section: Section): void {
    const q = this.#queue;
    while (this.#at < q.length) {
      const [f, r] = q[this.#at++]!;
      this.#emitNew(section, f, r);
    }
    this.#put('}');
  }

  /** After the scan: the keys the file lacked, then the end of the object. */
  finish(): void {
    for (const [key, text] of DEFAULTS(this.subdir)) {
      if (this.#seen.has(key)) continue;
      if (key === 'packages' || key === 'packages.conda') {
        this.sectionStart(key);
        this.sectionEnd(key);
      } else if (key === 'removed') {
        this.#key(key);
        this.#putRemoved([...this.changes.remove]);
      } else {
        this.#key(key);
        this.#putValue(key, Buffer.from(text, 'latin1'));
      }
    }
    this.#put('}');
  }
}

/** Temp files of one pass, written while the scan goes. */
class Output {
  #hash = createHash('sha256');
  #zst = new CompressStream({ compressionLevel: ZSTD_LEVEL });
  #zstChunks: Buffer[] = [];
  #zstError: Error | null = null;
  bytes = 0;
  zstBytes = 0;

  private constructor(
    readonly json: FileHandle,
    readonly zstFile: FileHandle,
  ) {
    this.#zst.on('data', (c: Buffer) => this.#zstChunks.push(c));
    this.#zst.on('error', (e: Error) => (this.#zstError = e));
  }

  static async create(jsonPath: string, zstPath: string): Promise<Output> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
    const json = await open(jsonPath, flags, 0o644);
    const zst = await open(zstPath, flags, 0o644).catch(async (e: unknown) => {
      await json.close();
      throw e;
    });
    return new Output(json, zst);
  }

  /** Write what the compressor has produced so far (its output is a fraction of its input: memory stays small). */
  async #drainZst(): Promise<void> {
    if (this.#zstError !== null) throw this.#zstError;
    while (this.#zstChunks.length > 0) {
      const chunk = Buffer.concat(this.#zstChunks.splice(0));
      this.zstBytes += chunk.length;
      await this.zstFile.write(chunk);
    }
  }

  async write(pieces: Buffer[]): Promise<void> {
    if (pieces.length === 0) return;
    const buf = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    this.#hash.update(buf);
    this.bytes += buf.length;
    await this.json.write(buf);
    if (!this.#zst.write(buf)) await once(this.#zst, 'drain');
    await this.#drainZst();
  }

  async close(): Promise<string> {
    const ended = once(this.#zst, 'end');
    this.#zst.end();
    await ended;
    await this.#drainZst();
    await this.json.sync();
    await this.zstFile.sync();
    await this.json.close();
    await this.zstFile.close();
    return this.#hash.digest('hex');
  }

  async abandon(): Promise<void> {
    this.#zst.destroy();
    await this.json.close().catch(() => undefined);
    await this.zstFile.close().catch(() => undefined);
  }
}

/** Feed `path` (or an empty index when it does not exist) through `sink`, one read buffer at a time. */
export async function scanIndexFile(
  path: string,
  subdir: string,
  sink: ScanSink,
  after?: () => Promise<void>,
  onChunk?: (chunk: Buffer) => void,
): Promise<boolean> {
  const scanner = new RepodataScanner(sink);
  let fh: FileHandle;
  try {
    fh = await openRegularNoFollow(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    scanner.feed(emptyIndexText(subdir));
    scanner.end();
    await after?.();
    return false;
  }
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      onChunk?.(buf.subarray(0, bytesRead));
      scanner.feed(buf.subarray(0, bytesRead));
      await after?.();
    }
    scanner.end();
    await after?.();
  } finally {
    await fh.close();
  }
  return true;
}

/**
 * Write the new text of `jsonPath`'s index to `tmpJson` and its zstd form to `tmpZst`. The old index is read once;
 * only when the changes met an unsorted section holding a new name, or a new name in `removed`, is it read again
 * with those names left out (the new text never names a file twice, nor a removed one).
 */
export async function rewriteIndex(opts: {
  jsonPath: string;
  subdir: string;
  changes: IndexChanges;
  tmpJson: string;
  tmpZst: string;
  observe?: () => RecordObserver[];
}): Promise<RewriteResult> {
  let skip = new Set<string>();
  for (let pass = 0; ; pass++) {
    const merger = new Merger(opts.changes, skip, opts.observe?.() ?? [], opts.subdir);
    const out = await Output.create(opts.tmpJson, opts.tmpZst);
    let sha256: string;
    try {
      const drain = async (): Promise<void> => {
        if (merger.pending < WRITE_BATCH) return;
        const pieces = merger.pieces;
        merger.pieces = [];
        merger.pending = 0;
        await out.write(pieces);
      };
      await scanIndexFile(opts.jsonPath, opts.subdir, merger, drain);
      merger.finish();
      await out.write(merger.pieces);
      sha256 = await out.close();
    } catch (e) {
      await out.abandon();
      await unlink(opts.tmpJson).catch(() => undefined);
      await unlink(opts.tmpZst).catch(() => undefined);
      throw e;
    }
    if (merger.conflicts.size === 0 || pass > 0) {
      if (merger.conflicts.size > 0) throw new Error('repodata.json changed while it was being rewritten');
      return {
        added: merger.added,
        dropped: merger.dropped,
        sha256,
        bytes: out.bytes,
        zstBytes: out.zstBytes,
        records: merger.records,
      };
    }
    skip = new Set([...skip, ...merger.conflicts]);
    await unlink(opts.tmpJson);
    await unlink(opts.tmpZst);
  }
}
