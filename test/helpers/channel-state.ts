// What a channel folder serves: every repodata record per label/subdir, and every artifact file on disk.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { decode } from '@msgpack/msgpack';
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

/**
 * `attestations_sha256` of `filename` as each index form of one channel folder states it (undefined: the form has
 * the record without the field; null: the form or the record is missing). The shard is decoded raw, so a field
 * packed as bytes would show as bytes.
 */
export function attestationsInForms(dir: string, filename: string): Record<string, unknown> {
  const section = filename.endsWith('.conda') ? 'packages.conda' : 'packages';
  type Doc = Record<string, Record<string, Record<string, unknown>> | undefined>;
  const field = (doc: Doc | null): unknown => {
    const record = doc?.[section]?.[filename];
    return record === undefined ? null : record['attestations_sha256'];
  };
  const read = (name: string, unpack: (b: Buffer) => Buffer = (b) => b): Doc | null =>
    existsSync(join(dir, name)) ? (JSON.parse(unpack(readFileSync(join(dir, name))).toString('utf8')) as Doc) : null;
  const index = existsSync(join(dir, 'repodata_shards.msgpack.zst'))
    ? (decode(decompress(readFileSync(join(dir, 'repodata_shards.msgpack.zst')))) as {
        shards: Record<string, Uint8Array>;
      })
    : null;
  const name = filename
    .replace(/\.(conda|tar\.bz2)$/, '')
    .split('-')
    .slice(0, -2)
    .join('-');
  const shardSha = index?.shards[name];
  const shard =
    shardSha === undefined
      ? null
      : (decode(decompress(readFileSync(join(dir, `${Buffer.from(shardSha).toString('hex')}.msgpack.zst`)))) as Doc);
  return {
    'repodata.json': field(read('repodata.json')),
    'repodata.json.zst': field(read('repodata.json.zst', (b) => decompress(b))),
    'current_repodata.json': field(read('current_repodata.json')),
    shard: field(shard),
  };
}
