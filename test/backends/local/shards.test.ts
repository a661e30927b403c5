// CEP 16 shards of a channel folder: the same records as repodata.json, read by a real client (rattler, over HTTP
// on 127.0.0.1), rewritten only for the names a run touches, and old shards kept for their retention time.
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleSolve } from '@conda-org/rattler';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalChannel } from '../../../src/backends/local/local-channel.js';
import type { IndexOptions } from '../../../src/backends/local/repodata-forms.js';
import {
  readShard,
  readShardIndex,
  SHARD_INDEX,
  shardFile,
  type ShardIndex,
} from '../../../src/backends/local/repodata-shards.js';
import { verifyArtifact } from '../../../src/conda/verify-artifact.js';
import { writeCondaPackage } from '../../helpers/packages.js';
import type { ArtifactFacts } from '../../../src/model.js';
import type { QuarantinedCopy } from '../../../src/ports/quarantine.js';
import { serveDirectory } from '../../helpers/channel-server.js';

const work = mkdtempSync(join(tmpdir(), 'fg-shards-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

interface Spec {
  name: string;
  version: string;
  runExports?: object;
  depends?: string[];
  format?: 'conda' | 'tar.bz2';
  subdir?: string;
}

async function pkg(spec: Spec): Promise<{ copy: QuarantinedCopy; facts: ArtifactFacts }> {
  const dir = join(work, `b${n++}`);
  mkdirSync(dir);
  const subdir = spec.subdir ?? 'linux-64';
  const r = await writeCondaPackage(dir, {
    name: spec.name,
    version: spec.version,
    build: 'h0_0',
    subdir,
    format: spec.format ?? 'conda',
    depends: spec.depends ?? [],
    files: { [`share/${spec.name}`]: spec.version },
    ...(spec.runExports ? { infoFiles: { 'run_exports.json': JSON.stringify(spec.runExports) } } : {}),
  });
  const check = await verifyArtifact(createReadStream(r.path), { filename: r.filename, subdir, size: r.digests.size });
  if (!check.ok) throw new Error(check.detail);
  return { copy: { subdir, filename: r.filename, handle: r.path }, facts: check.facts };
}

async function publishAll(channel: LocalChannel, specs: Spec[]): Promise<void> {
  for (const s of specs) {
    const p = await pkg(s);
    expect(await channel.publish(p.copy, 'main', p.facts)).toEqual({ kind: 'published' });
  }
  await channel.flush();
}

type Records = Record<string, Record<string, unknown>>;

/**
 * Every record of every shard, by section, as repodata.json writes records (hex digests), without the run_exports
 * shards add (collected in `runExports`).
 */
async function shardRecords(
  dir: string,
  runExports: Records = {},
): Promise<{ packages: Records; 'packages.conda': Records }> {
  const index = (await readShardIndex(dir))!;
  const out = { packages: {} as Records, 'packages.conda': {} as Records };
  for (const sha of index.shards.values()) {
    const shard = await readShard(dir, sha);
    for (const section of ['packages', 'packages.conda'] as const)
      for (const [fn, r] of shard[section]) {
        const { run_exports: re, ...rest } = r;
        if (re !== undefined) runExports[fn] = re as Record<string, unknown>;
        out[section][fn] = rest;
      }
  }
  return out;
}

function everyNamedShardExists(dir: string, index: ShardIndex): void {
  for (const sha of index.shards.values()) expect(existsSync(join(dir, shardFile(sha))), sha).toBe(true);
}

const SPECS: Spec[] = [
  { name: 'app', version: '1.0', depends: ['lib >=1,<2'] },
  { name: 'app', version: '2.0', depends: ['lib >=2'] },
  { name: 'lib', version: '1.0' },
  { name: 'lib', version: '2.0', runExports: { weak: ['lib >=2.0,<3'] } },
  { name: 'lib', version: '0.9', format: 'tar.bz2' },
  { name: 'tool', version: '0.1', depends: ['app'], subdir: 'noarch' },
];

describe('CEP 16 shards of a channel folder', () => {
  it('hold exactly the records of repodata.json, and rattler solves the same from each', async () => {
    const root = join(work, 'agree');
    const channel = new LocalChannel(root);
    await publishAll(channel, SPECS);
    for (const subdir of ['linux-64', 'noarch']) {
      const dir = join(root, subdir);
      const json = JSON.parse(readFileSync(join(dir, 'repodata.json'), 'utf8')) as Record<string, Records>;
      const runExports: Records = {};
      expect(await shardRecords(dir, runExports)).toEqual({
        packages: json['packages'],
        'packages.conda': json['packages.conda'],
      });
      // The shards, like conda-index's, carry the run_exports of the packages that have them.
      expect(runExports).toEqual(subdir === 'linux-64' ? { 'lib-2.0-h0_0.conda': { weak: ['lib >=2.0,<3'] } } : {});
      const index = (await readShardIndex(dir))!;
      expect(index.subdir).toBe(subdir);
      everyNamedShardExists(dir, index);
    }
    expect([...(await readShardIndex(join(root, 'linux-64')))!.shards.keys()].sort()).toEqual(['app', 'lib']);

    const solve = async (hide: (p: string) => boolean): Promise<{ solved: string[]; requests: string[] }> => {
      const server = await serveDirectory(root, { hide });
      try {
        const solved = await simpleSolve(['tool'], [server.url], ['linux-64', 'noarch'], undefined);
        return { solved: solved.map((p) => p.filename).sort(), requests: server.requests };
      } finally {
        await server.close();
      }
    };
    const sharded = await solve((p) => p.includes('repodata.json'));
    const monolithic = await solve((p) => p.endsWith(SHARD_INDEX));
    expect(sharded.solved).toEqual(['app-2.0-h0_0.conda', 'lib-2.0-h0_0.conda', 'tool-0.1-h0_0.conda']);
    expect(monolithic.solved).toEqual(sharded.solved);
    expect(sharded.requests).toContain(`GET /linux-64/${SHARD_INDEX}`);
    expect(sharded.requests.some((r) => /^GET \/linux-64\/[0-9a-f]{64}\.msgpack\.zst$/.test(r))).toBe(true);
    expect(monolithic.requests).toContain('GET /linux-64/repodata.json.zst');
  }, 60_000);

  it('are rewritten only for the names a run touched; the old shard stays for its retention time', async () => {
    const root = join(work, 'touched');
    const channel = new LocalChannel(root);
    await publishAll(channel, SPECS);
    const dir = join(root, 'linux-64');
    const before = (await readShardIndex(dir))!;
    const next = new LocalChannel(root);
    await publishAll(next, [{ name: 'lib', version: '3.0' }]);
    expect(next.written.shards).toBe(1);
    const after = (await readShardIndex(dir))!;
    expect(after.shards.get('app')).toBe(before.shards.get('app'));
    expect(after.shards.get('lib')).not.toBe(before.shards.get('lib'));
    everyNamedShardExists(dir, after);
    expect(existsSync(join(dir, shardFile(before.shards.get('lib')!)))).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'repodata.json'), 'utf8')) as Record<string, Records>;
    expect(await shardRecords(dir)).toEqual({ packages: json['packages'], 'packages.conda': json['packages.conda'] });
    // With no retention, the next update deletes the shard nothing names any more.
    const expiring = new LocalChannel(root, { shardRetentionMs: 0 });
    await publishAll(expiring, [{ name: 'lib', version: '4.0' }]);
    expect(existsSync(join(dir, shardFile(before.shards.get('lib')!)))).toBe(false);
    expect(existsSync(join(dir, shardFile(after.shards.get('lib')!)))).toBe(false);
    everyNamedShardExists(dir, (await readShardIndex(dir))!);
  });

  it('are rebuilt from repodata.json when another writer changed the index, and list() reads the index then', async () => {
    const root = join(work, 'rebuild');
    await publishAll(new LocalChannel(root, { shards: false }), SPECS);
    const dir = join(root, 'linux-64');
    expect(existsSync(join(dir, SHARD_INDEX))).toBe(false);
    const channel = new LocalChannel(root);
    channel.focus([{ subdir: 'linux-64', filename: 'lib-1.0-h0_0.conda' }]);
    expect((await channel.list()).files.get('linux-64/lib-1.0-h0_0.conda')).toHaveLength(1);
    await channel.flush(); // nothing new, but the shards are missing: every one is written
    const json = JSON.parse(readFileSync(join(dir, 'repodata.json'), 'utf8')) as Record<string, Records>;
    expect(await shardRecords(dir)).toEqual({ packages: json['packages'], 'packages.conda': json['packages.conda'] });
  });

  it('serve a channel alone when repodata.json is off: rattler solves from the shards', async () => {
    const root = join(work, 'alone');
    const options: Partial<IndexOptions> = { monolithic: false };
    await publishAll(new LocalChannel(root, options), SPECS);
    expect(readdirSync(join(root, 'linux-64')).filter((f) => f.includes('repodata'))).toEqual([SHARD_INDEX]);
    const server = await serveDirectory(root);
    try {
      const solved = await simpleSolve(['tool'], [server.url], ['linux-64', 'noarch'], undefined);
      expect(solved.map((p) => p.filename).sort()).toEqual([
        'app-2.0-h0_0.conda',
        'lib-2.0-h0_0.conda',
        'tool-0.1-h0_0.conda',
      ]);
    } finally {
      await server.close();
    }
    // A later run lists and confirms from the shards.
    const channel = new LocalChannel(root, options);
    channel.focus([{ subdir: 'linux-64', filename: 'app-1.0-h0_0.conda' }]);
    const listing = await channel.list();
    expect(listing.files.get('linux-64/app-1.0-h0_0.conda')).toHaveLength(1);
    expect(await channel.confirm('linux-64', 'app-1.0-h0_0.conda', 'main')).not.toBeNull();
  }, 60_000);
});
