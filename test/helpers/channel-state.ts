// What a channel folder serves: every repodata record per label/subdir, and every artifact file on disk.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { decompress } from 'zstd-napi';

export interface ChannelState {
  records: string[];
  files: string[];
  /** Index folders whose repodata.json.zst is missing or does not hold exactly their repodata.json. */
  disagreeing: string[];
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
  const disagreeing: string[] = [];
  for (const rd of all.filter((p) => basename(p) === 'repodata.json' && !p.startsWith('.forgegate-tmp'))) {
    const json = readFileSync(join(root, rd));
    const zst = existsSync(join(root, `${rd}.zst`)) ? decompress(readFileSync(join(root, `${rd}.zst`))) : null;
    if (zst === null || !zst.equals(json)) disagreeing.push(rd);
    const doc = JSON.parse(readFileSync(join(root, rd), 'utf8')) as {
      packages?: Record<string, unknown>;
      'packages.conda'?: Record<string, unknown>;
    };
    const dir = dirname(rd);
    for (const name of [...Object.keys(doc.packages ?? {}), ...Object.keys(doc['packages.conda'] ?? {})])
      records.push(`${dir}/${name}`);
  }
  const files = all.filter((p) => p.endsWith('.conda') || p.endsWith('.tar.bz2'));
  return { records: records.sort(), files: files.sort(), disagreeing };
}
