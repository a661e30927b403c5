// current_repodata.json as conda-index builds it (conda_index/index/current_repodata.py), from the records of the
// new repodata.json as they stream past, without holding the index: per name, the bytes of the records of its newest
// version so far, and for every other version only where its records are in the new text (read back if needed).
//   1. per name, the newest version (conda's VersionOrder), every build of it ("name=version");
//   2. for each dependency of those no kept record satisfies, the newest version of that name that does, every
//      build of it (one round, as conda-index does);
//   3. for a name whose kept records carry features or track_features, also its newest version without them;
//   4. a .tar.bz2 with a .conda twin is left out (conda reads the .conda), and each kept .conda record gains
//      `legacy_bz2_md5`, the md5 of its .tar.bz2 twin or null.
// Every other top-level key of repodata.json is copied. Records keep the bytes repodata.json holds (legacy_bz2_md5
// appended); the top level and the sections are in conda-index's sorted order.
import type { FileHandle } from 'node:fs/promises';
import { asciiString, compareCodePoints } from './conda-json.js';
import { compareVersions, parseDependency, parseVersion, type Version } from './conda-version.js';
import { parseChecked, type Section } from './repodata-scan.js';
import type { RecordObserver } from './repodata-write.js';

interface Item {
  section: Section;
  filename: string;
  bytes: Buffer;
}

/** One version of one name: where its records are in the new repodata.json (key start and end, in pairs). */
interface Group {
  text: string;
  version: Version;
  spans: number[];
}

interface NameState {
  groups: Map<string, Group>;
  top: Group | null;
  /** The records of `top`, as bytes. */
  topItems: Item[];
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

export class CurrentRepodata {
  #names = new Map<string, NameState>();
  #values = new Map<string, Buffer>();

  constructor(readonly subdir: string) {}

  observer(): RecordObserver {
    return {
      record: (section, filename, bytes, keyAt, endAt) => {
        const parts = splitFilename(filename);
        if (parts === null) return;
        let state = this.#names.get(parts[0]);
        if (state === undefined) {
          state = { groups: new Map(), top: null, topItems: [] };
          this.#names.set(parts[0], state);
        }
        let group = state.groups.get(parts[1]);
        if (group === undefined) {
          const version = parseVersion(parts[1]);
          if (version === null) return;
          group = { text: parts[1], version, spans: [] };
          state.groups.set(parts[1], group);
        }
        group.spans.push(keyAt, endAt);
        if (state.top === null || compareVersions(group.version, state.top.version) > 0) {
          state.top = group;
          state.topItems = [];
        }
        if (state.top === group) state.topItems.push({ section, filename, bytes });
      },
      value: (key, bytes) => {
        this.#values.set(key, bytes);
      },
    };
  }

  /** The text, reading back from the new repodata.json (`json`) only records older than their name's newest. */
  async text(json: FileHandle): Promise<Buffer> {
    const readGroup = async (g: Group): Promise<Item[]> => {
      const items: Item[] = [];
      for (let i = 0; i < g.spans.length; i += 2) {
        const buf = Buffer.allocUnsafe(g.spans[i + 1]! - g.spans[i]!);
        await json.read(buf, 0, buf.length, g.spans[i]);
        // `"filename":{record}` as this run wrote it: the key ends at its first unescaped quote.
        let end = 1;
        while (buf[end] !== 0x22) end += buf[end] === 0x5c ? 2 : 1;
        const filename = parseChecked(buf.subarray(0, end + 1)) as string;
        const bytes = buf.subarray(end + 2);
        items.push({ section: filename.endsWith('.conda') ? 'packages.conda' : 'packages', filename, bytes });
      }
      return items;
    };
    const parsed = new Map<Buffer, Record<string, unknown>>();
    const recordOf = (item: Item): Record<string, unknown> => {
      let r = parsed.get(item.bytes);
      if (r === undefined) {
        r = parseChecked(item.bytes) as Record<string, unknown>;
        parsed.set(item.bytes, r);
      }
      return r;
    };
    const sortedGroups = (s: NameState): Group[] =>
      [...s.groups.values()].sort((a, b) => compareVersions(b.version, a.version));
    // conda reads the .conda of a twin pair: a .tar.bz2 beside its .conda is no candidate.
    const candidates = (items: Item[]): Item[] => {
      const conda = new Set(items.filter((i) => i.section === 'packages.conda').map((i) => stem(i.filename)));
      return items.filter((i) => i.section === 'packages.conda' || !conda.has(stem(i.filename)));
    };
    const kept = new Map<string, Map<string, Item>>(); // name -> filename -> item
    const bz2Md5 = new Map<string, unknown>(); // stem -> md5 of a .tar.bz2 twin
    const keepGroups = async (name: string, state: NameState, version: Version): Promise<void> => {
      const into = kept.get(name) ?? new Map<string, Item>();
      kept.set(name, into);
      for (const g of state.groups.values()) {
        if (!sameOrPrefixed(g.version, version)) continue;
        const items = g === state.top ? state.topItems : await readGroup(g);
        for (const i of items) if (i.section === 'packages') bz2Md5.set(stem(i.filename), recordOf(i)['md5'] ?? null);
        for (const i of candidates(items)) into.set(i.filename, i);
      }
    };
    // 1. The newest version of each name.
    for (const [name, state] of this.#names) if (state.top !== null) await keepGroups(name, state, state.top.version);
    // 2. Dependencies nothing kept satisfies: the newest version that does, every build of it.
    const seen = new Set<string>();
    const first = [...kept.values()].flatMap((m) => [...m.values()]);
    for (const item of first) {
      const depends = recordOf(item)['depends'];
      if (!Array.isArray(depends)) continue;
      for (const spec of depends) {
        if (typeof spec !== 'string' || seen.has(spec)) continue;
        seen.add(spec);
        const dep = parseDependency(spec);
        const state = dep === null ? undefined : this.#names.get(dep.name);
        if (dep === null || state === undefined) continue;
        const satisfies = (i: Item): boolean => {
          const p = splitFilename(i.filename);
          const v = p === null ? null : parseVersion(p[1]);
          return v !== null && dep.version(v) && dep.build(p![2]);
        };
        if ([...(kept.get(dep.name)?.values() ?? [])].some(satisfies)) continue;
        for (const g of sortedGroups(state)) {
          if (!dep.version(g.version)) continue;
          const items = g === state.top ? state.topItems : await readGroup(g);
          if (candidates(items).some(satisfies)) {
            await keepGroups(dep.name, state, g.version);
            break;
          }
        }
      }
    }
    // 3. Names with features: their newest version without features too.
    const featured = (i: Item): boolean => Boolean(recordOf(i)['features']) || Boolean(recordOf(i)['track_features']);
    for (const [name, items] of kept) {
      const list = [...items.values()];
      if (!list.some(featured)) continue;
      const state = this.#names.get(name)!;
      const latest = state.top!.version;
      search: for (const g of sortedGroups(state)) {
        if (compareVersions(g.version, latest) > 0) continue;
        for (const i of candidates(g === state.top ? state.topItems : await readGroup(g))) {
          if (!featured(i)) {
            items.set(i.filename, i);
            break search;
          }
        }
      }
    }
    // 4. The text: sorted keys at the top and in each section, legacy_bz2_md5 on each .conda record.
    const sections: Record<Section, Item[]> = { packages: [], 'packages.conda': [] };
    for (const items of kept.values()) for (const i of items.values()) sections[i.section].push(i);
    const values = new Map<string, Buffer>(this.#values);
    const pieces: Buffer[] = [];
    const put = (s: string | Buffer): number => pieces.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
    const keys = [...new Set([...values.keys(), 'packages', 'packages.conda'])].sort(compareCodePoints);
    keys.forEach((key, k) => {
      put(`${k === 0 ? '{' : ','}${asciiString(key)}:`);
      if (key !== 'packages' && key !== 'packages.conda') {
        put(values.get(key)!);
        return;
      }
      put('{');
      sections[key]
        .sort((a, b) => compareCodePoints(a.filename, b.filename))
        .forEach((i, j) => {
          put(`${j === 0 ? '' : ','}${asciiString(i.filename)}:`);
          if (key === 'packages') {
            put(i.bytes);
            return;
          }
          const md5 = bz2Md5.get(stem(i.filename));
          const legacy = `"legacy_bz2_md5":${typeof md5 === 'string' ? asciiString(md5) : 'null'}}`;
          put(i.bytes.subarray(0, i.bytes.length - 1));
          put(i.bytes.length > 2 ? `,${legacy}` : legacy);
        });
      put('}');
    });
    put('}');
    return Buffer.concat(pieces);
  }
}
