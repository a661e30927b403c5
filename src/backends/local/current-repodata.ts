// current_repodata.json as conda-index builds it (conda_index/index/current_repodata.py), from the records of the
// new repodata.json as they stream past, without holding them: per name and version, only where its records are in
// the new text. At the end the kept records are read back from that text in file order, a few passes over those
// records only, so memory holds positions and a set of file stems, never the records.
//   1. per name, the newest version (conda's VersionOrder), every build of it ("name=version");
//   2. for each dependency of those no kept record satisfies, the newest version of that name that does, every
//      build of it (one round, as conda-index does);
//   3. for a name whose kept records carry features or track_features, also its newest version without them;
//   4. a .tar.bz2 with a .conda twin is left out (conda reads the .conda), and each kept .conda record gains
//      `legacy_bz2_md5`, the md5 of its .tar.bz2 twin or null.
// Every other top-level key of repodata.json is copied. Records keep the bytes repodata.json holds (legacy_bz2_md5
// appended) in its order (sorted by file name when repodata.json is); top-level keys are sorted.
import type { FileHandle } from 'node:fs/promises';
import { asciiString, compareCodePoints } from './conda-json.js';
import { compareVersions, parseDependency, parseVersion, type Dependency, type Version } from './conda-version.js';
import { parseChecked } from './repodata-scan.js';
import type { RecordObserver } from './repodata-write.js';

/** One version of one name: where its records are in the new repodata.json (`"filename":{…}` start and end). */
interface Group {
  version: Version;
  spans: number[];
}

/** A record read back: where it is, its file name and bytes (valid until the next read). */
interface Read {
  start: number;
  end: number;
  filename: string;
  bytes: Buffer;
}

/** name, version, build of a conda file name (version and build hold no "-"). */
function splitFilename(filename: string): [string, string, string] | null {
  const end = filename.endsWith('.conda')
    ? filename.length - 6
    : filename.endsWith('.tar.bz2')
      ? filename.length - 8
      : -1;
  if (end < 0) return null;
  const b = filename.lastIndexOf('-', end - 1);
  const v = filename.lastIndexOf('-', b - 1);
  if (v <= 0) return null;
  return [filename.slice(0, v), filename.slice(v + 1, b), filename.slice(b + 1, end)];
}

const stem = (filename: string): string => filename.replace(/\.(conda|tar\.bz2)$/, '');

/** conda's "name=version": the version and every version it is a prefix of. */
function sameOrPrefixed(v: Version, prefix: Version): boolean {
  if (compareVersions(v, prefix) === 0) return true;
  if (compareVersions([v[0], [], []], [prefix[0], [], []]) !== 0) return false;
  const p = prefix[1];
  for (let i = 0; i < p.length; i++) {
    const a = v[1][i] ?? [0];
    const b = p[i]!;
    for (let j = 0; j < b.length; j++) if ((a[j] ?? 0) !== b[j]) return false;
  }
  return true;
}

const WINDOW = 4 << 20;

/** Read `"filename":{…}` spans (start, end pairs in ascending order) of a file through one sliding window. */
async function* readSpans(fh: FileHandle, spans: number[]): AsyncGenerator<Read> {
  let start = 0;
  let buf = Buffer.alloc(0);
  for (let i = 0; i < spans.length; i += 2) {
    const a = spans[i]!;
    const b = spans[i + 1]!;
    if (a < start || b > start + buf.length) {
      buf = Buffer.allocUnsafe(Math.max(WINDOW, b - a));
      const { bytesRead } = await fh.read(buf, 0, buf.length, a);
      buf = buf.subarray(0, bytesRead);
      start = a;
    }
    const span = buf.subarray(a - start, b - start);
    // The key ends at its first unescaped quote.
    let q = 1;
    while (span[q] !== 0x22) q += span[q] === 0x5c ? 2 : 1;
    const filename = parseChecked(span.subarray(0, q + 1)) as string;
    yield { start: a, end: b, filename, bytes: span.subarray(q + 2) };
  }
}

/** The spans of some groups as start, end pairs sorted by start. */
function sortedSpans(groups: Iterable<Group>): number[] {
  const pairs: [number, number][] = [];
  for (const g of groups) for (let i = 0; i < g.spans.length; i += 2) pairs.push([g.spans[i]!, g.spans[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  return pairs.flat();
}

const byVersion = (groups: Map<string, Group>): Group[] =>
  [...groups.values()].sort((a, b) => compareVersions(b.version, a.version));

const featured = (record: Record<string, unknown>): boolean =>
  Boolean(record['features']) || Boolean(record['track_features']);

export class CurrentRepodata {
  #names = new Map<string, Map<string, Group>>();
  #values = new Map<string, Buffer>();

  constructor(readonly subdir: string) {}

  observer(): RecordObserver {
    return {
      record: (_section, filename, _bytes, keyAt, endAt) => {
        const parts = splitFilename(filename);
        if (parts === null) return;
        let groups = this.#names.get(parts[0]);
        if (groups === undefined) {
          groups = new Map();
          this.#names.set(parts[0], groups);
        }
        let group = groups.get(parts[1]);
        if (group === undefined) {
          const version = parseVersion(parts[1]);
          if (version === null) return;
          group = { version, spans: [] };
          groups.set(parts[1], group);
        }
        group.spans.push(keyAt, endAt);
      },
      value: (key, bytes) => {
        this.#values.set(key, Buffer.from(bytes));
      },
    };
  }

  /** Write the text to `out`, reading the kept records back from the new repodata.json (`json`); returns its size. */
  async write(json: FileHandle, out: FileHandle): Promise<number> {
    const kept = new Map<string, Set<Group>>();
    const keep = (name: string, version: Version): void => {
      const set = kept.get(name) ?? new Set<Group>();
      kept.set(name, set);
      for (const g of this.#names.get(name)?.values() ?? []) if (sameOrPrefixed(g.version, version)) set.add(g);
    };
    // 1. The newest version of each name.
    for (const [name, groups] of this.#names) keep(name, byVersion(groups)[0]!.version);
    // What steps 2 and 3 need of the kept records: their dependencies, builds, and which carry features.
    const builds = new Map<Group, string[]>();
    const featuredNames = new Set<string>();
    const specs = new Set<string>();
    const learn = async (groups: Group[]): Promise<void> => {
      const owner = new Map<number, Group>();
      for (const g of groups) for (let i = 0; i < g.spans.length; i += 2) owner.set(g.spans[i]!, g);
      for await (const r of readSpans(json, sortedSpans(groups))) {
        const record = parseChecked(r.bytes) as Record<string, unknown>;
        const [name, , build] = splitFilename(r.filename)!;
        const g = owner.get(r.start)!;
        builds.set(g, [...(builds.get(g) ?? []), build]);
        if (featured(record)) featuredNames.add(name);
        if (Array.isArray(record['depends']))
          for (const d of record['depends']) if (typeof d === 'string') specs.add(d);
      }
    };
    await learn([...kept.values()].flatMap((set) => [...set]));
    // 2. Dependencies nothing kept satisfies: the newest version that does, every build of it.
    const satisfied = (dep: Dependency, g: Group): boolean =>
      dep.version(g.version) && (builds.get(g) ?? []).some((b) => dep.build(b));
    for (const spec of specs) {
      const dep = parseDependency(spec);
      const groups = dep === null ? undefined : this.#names.get(dep.name);
      if (dep === null || groups === undefined) continue;
      if ([...(kept.get(dep.name) ?? [])].some((g) => satisfied(dep, g))) continue;
      for (const g of byVersion(groups)) {
        if (!dep.version(g.version)) continue;
        if (!builds.has(g)) await learn([g]);
        if (satisfied(dep, g)) {
          keep(dep.name, g.version);
          break;
        }
      }
    }
    // 3. Names with features: their newest version without features too (rare: read record by record).
    for (const name of featuredNames) {
      const groups = byVersion(this.#names.get(name)!);
      const latest = groups[0]!.version;
      search: for (const g of groups) {
        if (compareVersions(g.version, latest) > 0) continue;
        for await (const r of readSpans(json, sortedSpans([g]))) {
          if (!featured(parseChecked(r.bytes) as Record<string, unknown>)) {
            kept.get(name)!.add({ version: g.version, spans: [r.start, r.end] });
            break search;
          }
        }
      }
    }
    // 4. Which .tar.bz2 have a kept .conda twin (left out, their md5 kept), then the text, a section at a time.
    const spans = sortedSpans([...kept.values()].flatMap((set) => [...set]));
    const condaStems = new Set<string>();
    const bz2Md5 = new Map<string, string | null>();
    for await (const r of readSpans(json, spans)) {
      if (r.filename.endsWith('.conda')) {
        condaStems.add(stem(r.filename));
        continue;
      }
      const md5 = (parseChecked(r.bytes) as Record<string, unknown>)['md5'];
      bz2Md5.set(stem(r.filename), typeof md5 === 'string' ? md5 : null);
    }
    let pieces: Buffer[] = [];
    let pending = 0;
    let written = 0;
    const put = async (s: string | Buffer, last = false): Promise<void> => {
      const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s);
      pieces.push(b);
      pending += b.length;
      if (pending < 1 << 20 && !last) return;
      const chunk = Buffer.concat(pieces);
      pieces = [];
      pending = 0;
      written += chunk.length;
      await out.write(chunk);
    };
    const keys = [...new Set([...this.#values.keys(), 'packages', 'packages.conda'])].sort(compareCodePoints);
    for (const [k, key] of keys.entries()) {
      await put(`${k === 0 ? '{' : ','}${asciiString(key)}:`);
      if (key !== 'packages' && key !== 'packages.conda') {
        await put(this.#values.get(key)!);
        continue;
      }
      await put('{');
      let first = true;
      for await (const r of readSpans(json, spans)) {
        const conda = r.filename.endsWith('.conda');
        if (conda !== (key === 'packages.conda') || (!conda && condaStems.has(stem(r.filename)))) continue;
        await put(`${first ? '' : ','}${asciiString(r.filename)}:`);
        first = false;
        if (!conda) {
          await put(r.bytes);
          continue;
        }
        const md5 = bz2Md5.get(stem(r.filename));
        const legacy = `"legacy_bz2_md5":${md5 === undefined || md5 === null ? 'null' : asciiString(md5)}}`;
        await put(r.bytes.subarray(0, r.bytes.length - 1));
        await put(r.bytes.length > 2 ? `,${legacy}` : legacy);
      }
      await put('}');
    }
    await put('}', true);
    return written;
  }
}
