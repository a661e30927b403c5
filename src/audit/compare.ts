// The comparison, one subdir at a time: what the gate's log and the baseline expect (folded per file: the baseline's
// lines, then the log's entries in seq order; a publish adds its label, an admin's yank moves the file) against what
// every label of the channel shows. A sort-merge of streams sorted by file name: memory holds one file at a time,
// whatever the size of the subdir. Pure: the caller reads and sorts (ledger/audit-spill.ts), this only compares.
import type { BaselineLine } from './baseline.js';
import { finding, type FileState, type Finding } from './findings.js';
import type { LoggedEntry } from './chain.js';
import type { Digests } from '../model.js';

/** What the comparison needs of a log entry (its evidence stays in the log). */
export type LogFacts = Pick<
  LoggedEntry,
  'seq' | 'kind' | 'filename' | 'labels' | 'sha256' | 'md5' | 'size' | 'uploadedAt' | 'attestations'
>;

/** One copy of a file under one label, as the channel shows it. */
export interface ChannelCopy {
  indexed: Digests | null;
  /** Size of the stored file (null: not stored); undefined where the backend cannot see storage. */
  storedSize?: number | null;
  /** Digests of the stored bytes, where they were hashed (folder `--full`). */
  storedDigests?: { sha256: string; md5: string };
  uploadedAt: string | null;
  /** The `attestations_sha256` the index advertises (null: none); undefined where the backend does not read it. */
  advertised?: string | null;
  /** The sha256 of the attestations stored beside it (a folder's `F.sigs`); null: none; undefined: unseen. */
  served?: string | null;
}

/** One file of a subdir: its name and, per label, its copy. */
export type ChannelFile = [filename: string, copies: Map<string, ChannelCopy>];

export interface Expected {
  /** `log #seq` (the last entry that shaped it) or `baseline`. */
  source: string;
  labels: Set<string>;
  sha256: string | null;
  md5: string | null;
  size: number | null;
  /** label → upload time recorded for it (only labels a publish or the baseline named). */
  uploadedAt: Map<string, string | null>;
  /** The attestations the gate served with it (null: none); undefined: not known (the baseline, an older log). */
  attestations?: string | null;
}

/**
 * The order every stream of the comparison is sorted in: by code point, which is SQLite's BINARY order of UTF-8
 * (JavaScript's `<` compares UTF-16 units, which differs past U+FFFF).
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return (a.codePointAt(i) ?? x) - (b.codePointAt(i) ?? y);
  }
  return a.length - b.length;
}

/** The items of a stream, refusing one that goes back in name order (a merge of unsorted input would miss files). */
async function* ascending<T>(items: AsyncIterable<T> | Iterable<T>, name: (t: T) => string, what: string) {
  let last: string | null = null;
  for await (const item of items) {
    const n = name(item);
    if (last !== null && compareNames(last, n) > 0)
      throw new Error(`${what} is not sorted by file name: ${n} after ${last}`);
    last = n;
    yield item;
  }
}

/** Step through an async stream one item ahead. */
class Cursor<T> {
  readonly #it: AsyncIterator<T>;
  value: T | undefined = undefined;
  done = false;
  constructor(it: AsyncIterable<T>) {
    this.#it = it[Symbol.asyncIterator]();
  }
  async next(): Promise<void> {
    const r = await this.#it.next();
    this.done = r.done === true;
    this.value = r.done === true ? undefined : r.value;
  }
}

function foldBaseline(prior: Expected | undefined, b: BaselineLine): Expected {
  const labels = new Set([...(prior?.labels ?? []), ...b.labels]);
  const uploadedAt = new Map(prior?.uploadedAt ?? []);
  for (const l of b.labels) uploadedAt.set(l, b.uploadedAt);
  return { source: 'baseline', labels, sha256: b.sha256, md5: b.md5, size: b.size, uploadedAt };
}

function foldLog(prior: Expected | undefined, e: LogFacts): Expected {
  const fromLog = prior !== undefined && prior.source !== 'baseline';
  if (e.kind === 'publish') {
    const labels = new Set([...(fromLog ? prior.labels : []), ...e.labels]);
    const uploadedAt = new Map(fromLog ? prior.uploadedAt : []);
    for (const l of e.labels) uploadedAt.set(l, e.uploadedAt);
    return {
      source: `log #${e.seq}`,
      labels,
      sha256: e.sha256,
      md5: e.md5,
      size: e.size,
      uploadedAt,
      ...(e.attestations !== undefined ? { attestations: e.attestations } : {}),
    };
  }
  // An admin's yank: the file now lives under e.labels only; its bytes stay what they were.
  return {
    source: `log #${e.seq} (admin yank)`,
    labels: new Set(e.labels),
    sha256: e.sha256 ?? prior?.sha256 ?? null,
    md5: e.md5 ?? prior?.md5 ?? null,
    size: e.size ?? prior?.size ?? null,
    uploadedAt: new Map(),
    // A yank moves the file with its attestations.
    ...(prior?.attestations !== undefined ? { attestations: prior.attestations } : {}),
  };
}

/**
 * What one subdir should hold, file by file in name order: the baseline's lines of a file folded first, then the
 * log's entries for it (which win: the gate's own record). Both inputs sorted by file name (the log then by seq).
 */
export async function* expectedFiles(
  baseline: AsyncIterable<BaselineLine> | Iterable<BaselineLine>,
  log: AsyncIterable<LogFacts> | Iterable<LogFacts>,
): AsyncGenerator<[string, Expected]> {
  const b = new Cursor(ascending(baseline, (l) => l.file, 'the baseline'));
  const l = new Cursor(ascending(log, (e) => e.filename, 'the publication log'));
  await b.next();
  await l.next();
  while (!b.done || !l.done) {
    const name =
      b.done || (!l.done && compareNames(l.value!.filename, b.value!.file) < 0) ? l.value!.filename : b.value!.file;
    let e: Expected | undefined;
    while (!b.done && b.value!.file === name) {
      e = foldBaseline(e, b.value!);
      await b.next();
    }
    while (!l.done && l.value!.filename === name) {
      e = foldLog(e, l.value!);
      await l.next();
    }
    yield [name, e!];
  }
}

const present = (c: ChannelCopy): boolean =>
  c.indexed !== null || (c.storedSize !== undefined && c.storedSize !== null);

function observedState(copies: Map<string, ChannelCopy>): FileState & { notes: string[] } {
  const labels = [...copies]
    .filter(([, c]) => present(c))
    .map(([l]) => l)
    .sort();
  const first = [...copies.values()].find((c) => c.indexed !== null)?.indexed ?? null;
  const notes: string[] = [];
  const uploadedAt: Record<string, string | null> = {};
  for (const [label, c] of [...copies].sort(([a], [b]) => a.localeCompare(b))) {
    uploadedAt[label] = c.uploadedAt;
    if (c.indexed === null && c.storedSize !== undefined && c.storedSize !== null)
      notes.push(`${label}: stored but not in the index`);
    if (c.indexed !== null && c.storedSize === null) notes.push(`${label}: in the index but not stored`);
    if (c.storedSize === -1) notes.push(`${label}: not a regular file`);
    if (c.storedDigests !== undefined && c.indexed !== null && c.storedDigests.sha256 !== c.indexed.sha256)
      notes.push(`${label}: stored bytes have sha256 ${c.storedDigests.sha256}`);
  }
  return {
    labels,
    sha256: first?.sha256 ?? null,
    md5: first?.md5 ?? null,
    size: first?.size ?? copies.values().next().value?.storedSize ?? null,
    uploadedAt,
    notes,
  };
}

function expectedState(e: Expected): FileState & { source: string } {
  return {
    source: e.source,
    labels: [...e.labels].sort(),
    sha256: e.sha256,
    md5: e.md5,
    size: e.size,
    uploadedAt: Object.fromEntries([...e.uploadedAt].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** How one copy's bytes differ from what was published (empty: they do not, as far as the channel shows). */
function byteDifferences(e: Expected, label: string, c: ChannelCopy): string[] {
  const out: string[] = [];
  if (c.indexed !== null) {
    if (e.sha256 !== null && c.indexed.sha256 !== e.sha256) out.push(`${label}: index sha256 ${c.indexed.sha256}`);
    if (e.md5 !== null && c.indexed.md5 !== e.md5) out.push(`${label}: index md5 ${c.indexed.md5}`);
    if (e.size !== null && c.indexed.size !== e.size) out.push(`${label}: index size ${c.indexed.size}`);
  }
  if (e.size !== null && typeof c.storedSize === 'number' && c.storedSize !== e.size)
    out.push(`${label}: stored size ${c.storedSize}`);
  // Hashed bytes (folder --full) catch a swap of equal size whose index and mtime were left alone.
  const stored = c.storedDigests;
  if (
    stored !== undefined &&
    ((e.sha256 !== null && stored.sha256 !== e.sha256) || (e.md5 !== null && stored.md5 !== e.md5))
  )
    out.push(`${label}: the stored bytes differ (sha256 ${stored.sha256}, md5 ${stored.md5})`);
  return out;
}

/**
 * How one copy's attestations differ from what the gate served (a folder channel: `attestations_sha256` in the
 * record and the `F.sigs` bytes beside it). Stripped, swapped or added attestations change what a client that checks
 * them believes about who built the file.
 */
function attestationDifferences(e: Expected, label: string, c: ChannelCopy): string[] {
  const out: string[] = [];
  const want = e.attestations;
  const show = (v: string | null): string => v ?? 'none';
  if (want !== undefined && c.advertised !== undefined && c.indexed !== null && c.advertised !== want)
    out.push(`${label}: the index advertises attestations ${show(c.advertised)}, the gate served ${show(want)}`);
  // What is advertised must be what is stored beside it, whatever the gate recorded.
  if (c.advertised && c.served !== undefined && c.served !== c.advertised)
    out.push(
      `${label}: its .sigs ${c.served === null ? 'is not stored' : `holds ${c.served}`}, not the advertised bytes`,
    );
  return out;
}

/** Every finding of one subdir, in file-name order: a merge of what is expected and what the channel holds. */
export async function* compareSubdir(
  subdir: string,
  expected: AsyncIterable<[string, Expected]> | Iterable<[string, Expected]>,
  channel: AsyncIterable<ChannelFile> | Iterable<ChannelFile>,
): AsyncGenerator<Finding> {
  const x = new Cursor(ascending(expected, ([n]) => n, 'the expected files'));
  const c = new Cursor(ascending(channel, ([n]) => n, "the channel's files"));
  await x.next();
  await c.next();
  while (!x.done || !c.done) {
    const order = x.done ? 1 : c.done ? -1 : compareNames(x.value![0], c.value![0]);
    const filename = order <= 0 ? x.value![0] : c.value![0];
    const e = order <= 0 ? x.value![1] : undefined;
    const copies = order >= 0 ? c.value![1] : new Map<string, ChannelCopy>();
    if (order <= 0) await x.next();
    if (order >= 0) await c.next();
    yield* compareFile(subdir, filename, e, copies);
  }
}

/** The findings of one file. */
function* compareFile(
  subdir: string,
  filename: string,
  e: Expected | undefined,
  copies: Map<string, ChannelCopy>,
): Generator<Finding> {
  const observed = observedState(copies);
  const live = [...copies].filter(([, c]) => present(c));
  if (e === undefined) {
    if (live.length > 0)
      yield finding(
        'AUDIT_UNKNOWN_FILE',
        subdir,
        filename,
        `under ${observed.labels.join(', ')}, but the gate never published it and the baseline does not hold it`,
        null,
        observed,
      );
    return;
  }
  const exp = expectedState(e);
  if (live.length === 0 || live.every(([, c]) => c.storedSize === null)) {
    yield finding(
      'AUDIT_GONE',
      subdir,
      filename,
      live.length === 0
        ? `no label holds it any more (expected under ${exp.labels.join(', ')})`
        : 'the index lists it, but no file is stored: clients cannot download it',
      exp,
      live.length === 0 ? null : observed,
    );
    return;
  }
  const bytes = live.flatMap(([label, c]) => byteDifferences(e, label, c));
  if (bytes.length > 0)
    yield finding('AUDIT_REPLACED', subdir, filename, `other bytes than published: ${bytes.join('; ')}`, exp, observed);
  const times = live.flatMap(([label, c]) => {
    const recorded = e.uploadedAt.get(label);
    return recorded && c.uploadedAt && recorded !== c.uploadedAt
      ? [`${label}: uploaded ${c.uploadedAt}, published ${recorded}`]
      : [];
  });
  // Replaced bytes were uploaded again by definition: one finding, the graver one.
  if (times.length > 0 && bytes.length === 0)
    yield finding('AUDIT_REUPLOADED', subdir, filename, `uploaded again: ${times.join('; ')}`, exp, observed);
  const attestations = live.flatMap(([label, c]) => attestationDifferences(e, label, c));
  if (attestations.length > 0)
    yield finding(
      'AUDIT_ATTESTATIONS_CHANGED',
      subdir,
      filename,
      `other attestations than the gate served: ${attestations.join('; ')}`,
      exp,
      observed,
    );
  if (observed.labels.join() !== exp.labels.join())
    yield finding(
      'AUDIT_LABELS_CHANGED',
      subdir,
      filename,
      `under ${observed.labels.join(', ')}; the log says ${exp.labels.join(', ')} and records no admin move`,
      exp,
      observed,
    );
}
