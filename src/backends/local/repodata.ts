// repodata.json for one (label, subdir) folder: every index.json field conda-index keeps, plus md5/sha256/size.
import type { ArtifactFacts, Digests } from '../../model.js';

export interface RepodataRecord extends Digests {
  name: string;
  version: string;
  build: string;
  build_number: number;
  /** Absent where info/index.json has none (rattler-build omits an empty list): conda-index adds no key. */
  depends?: string[];
  subdir: string;
  [key: string]: unknown;
}

export interface Repodata {
  info: { subdir: string };
  packages: Record<string, RepodataRecord>;
  'packages.conda': Record<string, RepodataRecord>;
  removed: string[];
  repodata_version: 1;
}

/**
 * Keys of info/index.json that conda-index leaves out of repodata records, and why: `arch`, `platform`, `machine`,
 * `operatingsystem` and `target-triplet` restate the subdir; `has_prefix` and `mtime` describe the build, not the
 * package; `ucs`, `requires_features` and `binstar` are long-dead conda 3 fields. Every other key is kept, so keys
 * a newer builder adds (`purls`, `python_site_packages_path`, `extra_depends`, …) reach clients.
 */
export const FILTERED_INDEX_KEYS: ReadonlySet<string> = new Set([
  'arch',
  'has_prefix',
  'mtime',
  'platform',
  'ucs',
  'requires_features',
  'binstar',
  'target-triplet',
  'machine',
  'operatingsystem',
]);

export function emptyRepodata(subdir: string): Repodata {
  return { info: { subdir }, packages: {}, 'packages.conda': {}, removed: [], repodata_version: 1 };
}

/**
 * The record clients read, as conda-index makes it: every index.json key but the filtered ones, as the package
 * states it, plus md5, sha256 and size, and nothing else (a package without `depends` gets none; conda and rattler
 * read a missing list as empty). verify-artifact has already written an absent `subdir` in, as spec step 7 says.
 */
export function recordFor(facts: ArtifactFacts): RepodataRecord {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts.index)) if (!FILTERED_INDEX_KEYS.has(key)) record[key] = value;
  return { ...record, md5: facts.md5, sha256: facts.sha256, size: facts.size } as RepodataRecord;
}

export function section(filename: string): 'packages' | 'packages.conda' {
  return filename.endsWith('.conda') ? 'packages.conda' : 'packages';
}

/** A repodata document as read from disk, with the sections forgegate relies on present. */
export function parseRepodata(text: string, subdir: string): Repodata {
  const doc = JSON.parse(text) as Partial<Repodata>;
  return {
    ...emptyRepodata(subdir),
    ...doc,
    packages: doc.packages ?? {},
    'packages.conda': doc['packages.conda'] ?? {},
  };
}
