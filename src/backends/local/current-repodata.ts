// current_repodata.json as conda-index builds it (conda_index/index/current_repodata.py), from the records of the
// new repodata.json as they stream past, without holding them: per record only its file name and where its bytes
// are in the new text; the few records the subset keeps are read back from that text at the end.
//   1. per name, the newest version (conda's VersionOrder), every build of it ("name=version");
//   2. for each dependency of those no kept record satisfies, the newest version of that name that does, every
//      build of it (one round, as conda-index does);
//   3. for a name whose kept records carry features or track_features, also its newest version without them;
//   4. a .tar.bz2 with a .conda twin is left out (conda reads the .conda), and each kept .conda record gains
//      `legacy_bz2_md5`, the md5 of its .tar.bz2 twin or null.
// Every other top-level key of repodata.json is copied; the text is conda-index's compact JSON with sorted keys.
import type { FileHandle } from 'node:fs/promises';
import { condaJson } from './conda-json.js';
import { compareVersions, parseDependency, parseVersion, type Version } from './conda-version.js';
import { parseChecked, type Section } from './repodata-scan.js';
import type { RecordObserver } from './repodata-write.js';

interface Entry {
  filename: string;
  section: Section;
  version: Version;
  build: string;
  offset: number;
  length: number;
}

/** name, version, build of a conda file name (version and build hold no "-"). */
function splitFilename(filename: string): [string, string, string] | null {
  const stem = filename.replace(/\.(conda|tar\.bz2)$/, '');
  const b = stem.lastIndexOf('-');
  const v = stem.lastIndexOf('-', b - 1);
  if (v <= 0) return null;
  return [stem.slice(0, v), stem.slice(v + 1, b), stem.slice(b + 1)];
}

const stem = (filename: string): string => filename.replace(/\.(conda|tar\.bz2)$/, '');

function startsWithVersion(v: Version, prefix: Version): boolean {
  // "name=version" in conda: every version the given one is a prefix of; equal versions are the common case.
  return compareVersions(v, prefix) === 0 || startsWithLoose(v, prefix);
}

function startsWithLoose(v: Version, prefix: Version): boolean {
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
  #byName = new Map<string, Entry[]>();
  #versions = new Map<string, Version | null>();
  #values = new Map<string, Buffer>();

  constructor(readonly subdir: string) {}

  #version(text: string): Version | null {
    let v = this.#versions.get(text);
    if (v === undefined) {
      v = parseVersion(text);
      this.#versions.set(text, v);
    }
    return v;
  }

  observer(): RecordObserver {
    return {
      record: (section, filename, bytes, offset) => {
        const parts = splitFilename(filename);
        if (parts === null) return;
        const version = this.#version(parts[1]);
        if (version === null) return;
        const list = this.#byName.get(parts[0]) ?? [];
        if (list.length === 0) this.#byName.set(parts[0], list);
        list.push({ filename, section, version, build: parts[2], offset, length: bytes.length });
      },
      value: (key, bytes) => {
        this.#values.set(key, bytes);
      },
    };
  }

  /** The text, reading the kept records back from the new repodata.json (`json`). */
  async text(json: FileHandle): Promise<Buffer> {
    const read = async (e: Entry): Promise<Record<string, unknown>> => {
      const buf = Buffer.allocUnsafe(e.length);
      await json.read(buf, 0, e.length, e.offset);
      return parseChecked(buf) as Record<string, unknown>;
    };
    // conda reads the .conda of a twin pair; the .tar.bz2's md5 is kept for legacy_bz2_md5.
    const candidates = new Map<string, Entry[]>();
    const bz2Twin = new Map<string, Entry>();
    for (const [name, entries] of this.#byName) {
      const conda = new Set(entries.filter((e) => e.section === 'packages.conda').map((e) => stem(e.filename)));
      const kept: Entry[] = [];
      for (const e of entries) {
        if (e.section === 'packages' && conda.has(stem(e.filename))) bz2Twin.set(stem(e.filename), e);
        else kept.push(e);
      }
      kept.sort((a, b) => compareVersions(b.version, a.version));
      candidates.set(name, kept);
    }
    const keep = new Map<string, Entry>();
    const keepVersion = (name: string, version: Version): void => {
      for (const e of candidates.get(name) ?? []) if (startsWithVersion(e.version, version)) keep.set(e.filename, e);
    };
    for (const [name, entries] of candidates) if (entries.length > 0) keepVersion(name, entries[0]!.version);
    const records = new Map<string, Record<string, unknown>>();
    const record = async (e: Entry): Promise<Record<string, unknown>> => {
      let r = records.get(e.filename);
      if (r === undefined) {
        r = await read(e);
        records.set(e.filename, r);
      }
      return r;
    };
    // 2. Dependencies nothing kept satisfies: the newest version that does, every build of it.
    const first = [...keep.values()].sort((a, b) => a.offset - b.offset);
    const seen = new Set<string>();
    const kept = (): Map<string, Entry[]> => {
      const m = new Map<string, Entry[]>();
      for (const e of keep.values()) {
        const name = splitFilename(e.filename)![0];
        m.set(name, [...(m.get(name) ?? []), e]);
      }
      return m;
    };
    const keptByName = kept();
    for (const e of first) {
      const depends = (await record(e))['depends'];
      if (!Array.isArray(depends)) continue;
      for (const spec of depends) {
        if (typeof spec !== 'string' || seen.has(spec)) continue;
        seen.add(spec);
        const dep = parseDependency(spec);
        if (dep === null) continue;
        const satisfies = (x: Entry): boolean => dep.version(x.version) && dep.build(x.build);
        if ((keptByName.get(dep.name) ?? []).some(satisfies)) continue;
        const match = (candidates.get(dep.name) ?? []).find(satisfies);
        if (match !== undefined) keepVersion(dep.name, match.version);
      }
    }
    // 3. Names with features: their newest version without features too.
    for (const [name, entries] of kept()) {
      const featured = async (x: Entry): Promise<boolean> => {
        const r = await record(x);
        return Boolean(r['features']) || Boolean(r['track_features']);
      };
      let any = false;
      for (const x of entries) if (await featured(x)) any = true;
      if (!any) continue;
      const latest = entries.reduce((a, b) => (compareVersions(a.version, b.version) >= 0 ? a : b)).version;
      for (const x of candidates.get(name) ?? []) {
        if (compareVersions(x.version, latest) <= 0 && !(await featured(x))) {
          keep.set(x.filename, x);
          break;
        }
      }
    }
    // 4. The document: every other top-level key as repodata.json has it, the kept records with sorted keys.
    const doc: Record<string, unknown> = {};
    for (const [key, bytes] of this.#values) doc[key] = parseChecked(bytes);
    const packages: Record<string, unknown> = {};
    const conda: Record<string, unknown> = {};
    for (const e of [...keep.values()].sort((a, b) => a.offset - b.offset)) {
      const r = { ...(await record(e)) };
      if (e.section === 'packages.conda') {
        const twin = bz2Twin.get(stem(e.filename));
        r['legacy_bz2_md5'] = twin === undefined ? null : ((await record(twin))['md5'] ?? null);
        conda[e.filename] = r;
      } else packages[e.filename] = r;
    }
    doc['packages'] = packages;
    doc['packages.conda'] = conda;
    return Buffer.from(condaJson(doc), 'latin1');
  }
}
