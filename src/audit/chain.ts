// The publication log: append-only, each entry committing to the one before it by hash, so that whoever holds the
// channel token (or the ledger file) cannot edit, drop or reorder what the gate published without it showing. The
// same code checks the ledger's log and an exported manifest (a third party needs nothing else).
//
// | rule | accepted | refused (ChainError with the entry's seq) |
// |---|---|---|
// | chain.seq | seq 1, 2, 3, … in order | a gap, a repeat, a reorder |
// | chain.prev | prev = the hash of the entry before (GENESIS for the first) | anything else |
// | chain.hash | hash = sha256 of the entry's canonical JSON (every field but `hash`, in a fixed order) | an edit |
// | chain.fields | LogEntry's fields and types (`attestations` optional), nothing else | a missing, extra or bad one |
import { sha256Hex } from '../util/digest.js';

/** The `prev` of the first entry. */
export const GENESIS = '0'.repeat(64);

export const LOG_FORMAT_VERSION = 1;

/**
 * One thing the gate did to the channel. `publish`: the file went out under `labels` (one label) with these bytes;
 * `yank`: an administrator moved it off `from` to `labels` (conda-forge's `broken`).
 */
export interface LogEntry {
  seq: number;
  kind: 'publish' | 'yank';
  subdir: string;
  filename: string;
  labels: string[];
  /** Labels an admin took it off (a yank); empty for a publish. */
  from: string[];
  sha256: string | null;
  md5: string | null;
  size: number | null;
  /** The upload time the channel reported right after publishing (folder: the file's mtime); null if unknown. */
  uploadedAt: string | null;
  /** What allowed it: the key id and statement of a publish, the admin's reason of a yank. */
  evidence: string | null;
  /** When the gate recorded it (its own clock). */
  at: string;
  prev: string;
  /**
   * The sha256 of the attestations the channel served beside a publish (a folder's `F.sigs`); null: none. Absent
   * where the channel serves none or the entry predates it: hashed only when present, so older entries keep theirs.
   */
  attestations?: string | null;
}

export interface LoggedEntry extends LogEntry {
  hash: string;
}

export class ChainError extends Error {
  constructor(
    readonly rule: string,
    readonly seq: number,
    detail: string,
  ) {
    super(`publication log entry ${seq}: ${detail} (${rule})`);
    this.name = 'ChainError';
  }
}

const FIELDS = [
  'seq',
  'kind',
  'subdir',
  'filename',
  'labels',
  'from',
  'sha256',
  'md5',
  'size',
  'uploadedAt',
  'evidence',
  'at',
  'prev',
] as const;

/** The bytes an entry's hash covers: its fields in FIELDS order, then `attestations` when present, as JSON. */
export function canonical(e: LogEntry): string {
  const fields: [string, unknown][] = FIELDS.map((f) => [f, e[f]]);
  if (e.attestations !== undefined) fields.push(['attestations', e.attestations]);
  return JSON.stringify(fields);
}

export function entryHash(e: LogEntry): string {
  return sha256Hex(canonical(e));
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): boolean => v === null || isStr(v);
const labels = (v: unknown): boolean => Array.isArray(v) && v.every(isStr);

/** A parsed JSON value as a logged entry, or a ChainError naming what is wrong (chain.fields). */
export function asLoggedEntry(value: unknown, expectedSeq: number): LoggedEntry {
  const o = value as Record<string, unknown> | null;
  const bad = (what: string): never => {
    throw new ChainError('chain.fields', expectedSeq, what);
  };
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return bad('not an object');
  const keys = Object.keys(o).sort();
  const want = [...FIELDS, 'hash', ...('attestations' in o ? ['attestations'] : [])].sort();
  if (keys.join() !== want.join()) bad(`fields ${keys.join(', ')} are not ${want.join(', ')}`);
  if (typeof o['seq'] !== 'number' || !Number.isSafeInteger(o['seq'])) bad('seq is not an integer');
  if (o['kind'] !== 'publish' && o['kind'] !== 'yank') bad('kind is neither publish nor yank');
  if (!isStr(o['subdir']) || !isStr(o['filename']) || !isStr(o['at']) || !isStr(o['prev']) || !isStr(o['hash']))
    bad('subdir, filename, at, prev and hash must be strings');
  if (!labels(o['labels']) || !labels(o['from'])) bad('labels and from must be lists of strings');
  if (!strOrNull(o['sha256']) || !strOrNull(o['md5']) || !strOrNull(o['uploadedAt']) || !strOrNull(o['evidence']))
    bad('sha256, md5, uploadedAt and evidence must be strings or null');
  if (o['size'] !== null && (typeof o['size'] !== 'number' || !Number.isSafeInteger(o['size'])))
    bad('size is not an integer');
  const att = o['attestations'];
  if (att !== undefined && att !== null && (typeof att !== 'string' || !/^[0-9a-f]{64}$/.test(att)))
    bad('attestations is neither null nor a sha256');
  return o as unknown as LoggedEntry;
}

/** Checks entries one at a time, in order (memory: one hash), for the ledger's log and a manifest alike. */
export class ChainVerifier {
  #prev = GENESIS;
  #seq = 0;

  /** The entry, checked against the one before it; throws ChainError when it does not follow. */
  next(e: LoggedEntry): LoggedEntry {
    const seq = this.#seq + 1;
    if (e.seq !== seq) throw new ChainError('chain.seq', seq, `has seq ${e.seq}: an entry is missing or moved`);
    if (e.prev !== this.#prev)
      throw new ChainError('chain.prev', seq, `does not follow entry ${seq - 1} (prev ${e.prev.slice(0, 16)}…)`);
    const hash = entryHash(e);
    if (hash !== e.hash) throw new ChainError('chain.hash', seq, 'was changed after it was written (hash differs)');
    this.#prev = hash;
    this.#seq = seq;
    return e;
  }

  /** The hash of the last entry checked (GENESIS before any) and how many were checked. */
  get head(): { hash: string; count: number } {
    return { hash: this.#prev, count: this.#seq };
  }
}

/** A new entry after `head` (null: the first): its seq, prev and hash filled in. */
export function chainAfter(
  head: { seq: number; hash: string } | null,
  entry: Omit<LogEntry, 'seq' | 'prev'>,
): LoggedEntry {
  const e: LogEntry = { ...entry, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? GENESIS };
  return { ...e, hash: entryHash(e) };
}
