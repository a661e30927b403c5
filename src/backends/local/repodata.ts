// repodata.json for one (label, subdir) folder: the index.json fields conda clients need, plus md5/sha256/size.
import { readFile } from 'node:fs/promises';
import type { ArtifactFacts, Digests } from '../../model.js';

export interface RepodataRecord extends Digests {
  name: string;
  version: string;
  build: string;
  build_number: number;
  depends: string[];
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

const COPIED = [
  'name',
  'version',
  'build',
  'build_number',
  'depends',
  'constrains',
  'subdir',
  'license',
  'license_family',
  'timestamp',
  'noarch',
  'arch',
  'platform',
  'track_features',
  'features',
  'python_site_packages_path',
] as const;

export function emptyRepodata(subdir: string): Repodata {
  return { info: { subdir }, packages: {}, 'packages.conda': {}, removed: [], repodata_version: 1 };
}

export function recordFor(facts: ArtifactFacts): RepodataRecord {
  const record: Record<string, unknown> = {};
  for (const key of COPIED) if (facts.index[key] !== undefined) record[key] = facts.index[key];
  record['depends'] ??= [];
  return { ...record, md5: facts.md5, sha256: facts.sha256, size: facts.size } as RepodataRecord;
}

export function section(filename: string): 'packages' | 'packages.conda' {
  return filename.endsWith('.conda') ? 'packages.conda' : 'packages';
}

export async function readRepodata(path: string, subdir: string): Promise<Repodata> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyRepodata(subdir);
    throw e;
  }
  const doc = JSON.parse(text) as Partial<Repodata>;
  return {
    ...emptyRepodata(subdir),
    ...doc,
    packages: doc.packages ?? {},
    'packages.conda': doc['packages.conda'] ?? {},
  };
}

export function serialise(repodata: Repodata): string {
  return `${JSON.stringify(repodata, null, 1)}\n`;
}
