// The comparison, one subdir at a time: what the gate's log and the baseline expect (folded in log order: a publish
// adds its label, an admin's yank moves the file) against what every label of the channel shows. Memory follows the
// largest subdir; the channel is read index by index, the log and the baseline as streams.
import type { LoggedEntry } from './chain.js';
import type { BaselineLine } from './baseline.js';
import { finding, type FileState, type Finding } from './findings.js';
import type { Digests } from '../model.js';

/** One copy of a file under one label, as the channel shows it. */
export interface ChannelCopy {
  indexed: Digests | null;
  /** Size of the stored file (null: not stored); undefined where the backend cannot see storage. */
  storedSize?: number | null;
  uploadedAt: string | null;
}

/** file name → label → copy. */
export type ChannelFiles = Map<string, Map<string, ChannelCopy>>;

export interface Expected {
  /** `log #seq` (the last entry that shaped it) or `baseline`. */
  source: string;
  labels: Set<string>;
  sha256: string | null;
  md5: string | null;
  size: number | null;
  /** label → upload time recorded for it (only labels a publish or the baseline named). */
  uploadedAt: Map<string, string | null>;
}

/** Fold the baseline, then the log (which wins: the gate's own record), into what one subdir should hold. */
export async function expectedFiles(
  baseline: AsyncIterable<BaselineLine>,
  log: AsyncIterable<LoggedEntry>,
): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  for await (const b of baseline) {
    const prior = out.get(b.file);
    const labels = new Set([...(prior?.labels ?? []), ...b.labels]);
    const uploadedAt = new Map(prior?.uploadedAt ?? []);
    for (const l of b.labels) uploadedAt.set(l, b.uploadedAt);
    out.set(b.file, { source: 'baseline', labels, sha256: b.sha256, md5: b.md5, size: b.size, uploadedAt });
  }
  for await (const e of log) {
    const prior = out.get(e.filename);
    const fromLog = prior !== undefined && prior.source !== 'baseline';
    if (e.kind === 'publish') {
      const labels = new Set([...(fromLog ? prior.labels : []), ...e.labels]);
      const uploadedAt = new Map(fromLog ? prior.uploadedAt : []);
      for (const l of e.labels) uploadedAt.set(l, e.uploadedAt);
      out.set(e.filename, { source: `log #${e.seq}`, labels, sha256: e.sha256, md5: e.md5, size: e.size, uploadedAt });
    } else {
      // An admin's yank: the file now lives under e.labels only; its bytes stay what they were.
      const uploadedAt = new Map<string, string | null>();
      out.set(e.filename, {
        source: `log #${e.seq} (admin yank)`,
        labels: new Set(e.labels),
        sha256: e.sha256 ?? prior?.sha256 ?? null,
        md5: e.md5 ?? prior?.md5 ?? null,
        size: e.size ?? prior?.size ?? null,
        uploadedAt,
      });
    }
  }
  return out;
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
  return out;
}

/** Every finding of one subdir, in file-name order. */
export function* compareSubdir(
  subdir: string,
  expected: ReadonlyMap<string, Expected>,
  channel: ChannelFiles,
): Generator<Finding> {
  const names = [...new Set([...expected.keys(), ...channel.keys()])].sort();
  for (const filename of names) {
    const e = expected.get(filename);
    const copies = channel.get(filename) ?? new Map<string, ChannelCopy>();
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
      continue;
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
      continue;
    }
    const bytes = live.flatMap(([label, c]) => byteDifferences(e, label, c));
    if (bytes.length > 0)
      yield finding(
        'AUDIT_REPLACED',
        subdir,
        filename,
        `other bytes than published: ${bytes.join('; ')}`,
        exp,
        observed,
      );
    const times = live.flatMap(([label, c]) => {
      const recorded = e.uploadedAt.get(label);
      return recorded && c.uploadedAt && recorded !== c.uploadedAt
        ? [`${label}: uploaded ${c.uploadedAt}, published ${recorded}`]
        : [];
    });
    // Replaced bytes were uploaded again by definition: one finding, the graver one.
    if (times.length > 0 && bytes.length === 0)
      yield finding('AUDIT_REUPLOADED', subdir, filename, `uploaded again: ${times.join('; ')}`, exp, observed);
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
}
