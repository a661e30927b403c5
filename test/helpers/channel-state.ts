// What a channel folder serves: every repodata record per label/subdir, and every artifact file on disk.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ChannelState {
  records: string[];
  files: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function channelState(root: string): ChannelState {
  const all = walk(root).map((p) => relative(root, p));
  const records: string[] = [];
  for (const rd of all.filter((p) => p.endsWith('repodata.json'))) {
    const doc = JSON.parse(readFileSync(join(root, rd), 'utf8')) as {
      packages?: Record<string, unknown>;
      'packages.conda'?: Record<string, unknown>;
    };
    const dir = rd.slice(0, -'/repodata.json'.length);
    for (const name of [...Object.keys(doc.packages ?? {}), ...Object.keys(doc['packages.conda'] ?? {})])
      records.push(`${dir}/${name}`);
  }
  const files = all.filter((p) => p.endsWith('.conda') || p.endsWith('.tar.bz2'));
  return { records: records.sort(), files: files.sort() };
}
