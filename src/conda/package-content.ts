// What a package installs, independent of its container: the two formats of one build (`.conda` and `.tar.bz2`,
// "twins") hold the same package exactly when these are equal (upload-statement-v1 step 9). Directory entries,
// modes, mtimes and the split of info/ between the .conda parts are container details, not content.
import { createHash } from 'node:crypto';
import type { PackageMember } from './package-check.js';

/** One installed path: `file <size> <sha256> <placeholder> <mode>` or `symlink <target>`, as one comparable line. */
export type ContentEntry = string;

export interface PackageContent {
  /** `info/index.json` as a JSON value, keys sorted at every level. */
  index: string;
  /** Every path the package installs outside `info/`, with what it holds. */
  files: Map<string, ContentEntry>;
  /** sha256 over both: equal digests, equal packages. */
  digest: string;
}

interface Placeholder {
  placeholder: string;
  mode: string;
}

/** A JSON value with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Prefix placeholders as conda reads them: from `info/paths.json` (`prefix_placeholder`, `file_mode`) or, without
 * one, from `info/has_prefix` (`placeholder mode path`, or a bare path: conda-build's default placeholder, text).
 * The lists were already checked (pkg.lists) when this runs.
 */
function placeholders(kept: Map<string, Buffer>): Map<string, Placeholder> {
  const out = new Map<string, Placeholder>();
  const pathsJson = kept.get('info/paths.json');
  if (pathsJson !== undefined) {
    const doc = JSON.parse(pathsJson.toString('utf8')) as { paths?: unknown };
    for (const e of Array.isArray(doc.paths) ? (doc.paths as Record<string, unknown>[]) : []) {
      if (typeof e['_path'] !== 'string' || typeof e['prefix_placeholder'] !== 'string') continue;
      out.set(e['_path'], {
        placeholder: e['prefix_placeholder'],
        mode: typeof e['file_mode'] === 'string' ? e['file_mode'] : 'text',
      });
    }
    return out;
  }
  const hasPrefix = kept.get('info/has_prefix');
  for (const line of hasPrefix === undefined ? [] : hasPrefix.toString('utf8').split(/\r\n|\n|\r/)) {
    const parts = (line.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((p) => p.replace(/^["']|["']$/g, ''));
    if (parts.length === 3) out.set(parts[2]!, { placeholder: parts[0]!, mode: parts[1]! });
    else if (parts.length === 1 && !parts[0]!.startsWith('#')) out.set(parts[0]!, { placeholder: '-', mode: 'text' });
  }
  return out;
}

/** The content of a verified package; `members` must carry content hashes (read with hashContents). */
export function packageContent(
  index: Record<string, unknown>,
  members: readonly PackageMember[],
  kept: Map<string, Buffer>,
): PackageContent {
  const byPath = new Map(members.map((m) => [m.path, m]));
  const held = placeholders(kept);
  const files = new Map<string, ContentEntry>();
  for (const m of members) {
    if (m.type === 'directory' || m.path === 'info' || m.path.startsWith('info/')) continue;
    if (m.type === 'symlink') {
      files.set(m.path, `symlink ${JSON.stringify(m.linkTarget)}`);
      continue;
    }
    // A hard link installs a copy of its target: the same content as a file, whichever way an archive wrote it.
    const data = m.type === 'hardlink' ? byPath.get(m.linkTarget ?? '') : m;
    if (data?.sha256 == null) throw new Error(`package content of ${m.path} needs hashed members (bug)`);
    const p = held.get(m.path);
    const prefix = p === undefined ? '-' : `${JSON.stringify(p.placeholder)} ${p.mode}`;
    files.set(m.path, `file ${data.size} ${data.sha256} ${prefix}`);
  }
  const canonicalIndex = canonicalJson(index);
  const hash = createHash('sha256').update(canonicalIndex).update('\0');
  for (const path of [...files.keys()].sort()) hash.update(`${path}\0${files.get(path)!}\0`);
  return { index: canonicalIndex, files, digest: hash.digest('hex') };
}

/** Where two packages differ, for a person: null when they hold the same package. */
export function contentDifference(a: PackageContent, b: PackageContent): string | null {
  if (a.digest === b.digest) return null;
  if (a.index !== b.index) return `info/index.json differs (${indexDifference(a.index, b.index)})`;
  const only = (x: PackageContent, y: PackageContent): string[] => [...x.files.keys()].filter((p) => !y.files.has(p));
  const onlyA = only(a, b);
  const onlyB = only(b, a);
  const changed = [...a.files.keys()].filter((p) => b.files.has(p) && b.files.get(p) !== a.files.get(p));
  const parts: string[] = [];
  const some = (list: string[]): string => `${list.slice(0, 3).join(', ')}${list.length > 3 ? ', …' : ''}`;
  if (changed.length > 0) parts.push(`${changed.length} file(s) differ: ${some(changed)}`);
  if (onlyA.length > 0) parts.push(`${onlyA.length} file(s) only in this one: ${some(onlyA)}`);
  if (onlyB.length > 0) parts.push(`${onlyB.length} file(s) only in the other: ${some(onlyB)}`);
  return parts.join('; ');
}

function indexDifference(a: string, b: string): string {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const differ = keys.filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k]));
  return `key(s) ${differ.join(', ')}`;
}
