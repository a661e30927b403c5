// A channel folder another indexer wrote before (conda-index: repodata.json, a .zst, a .bz2, current_repodata.json):
// forgegate's publish makes every form agree, and a real client reading only repodata.json.zst sees the new package.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleSolve } from '@conda-org/rattler';
import { afterAll, describe, expect, it } from 'vitest';
import { compress, decompress } from 'zstd-napi';
import { Sandbox } from '../helpers/sandbox.js';
import { channelState } from '../helpers/channel-state.js';
import { serveDirectory } from '../helpers/channel-server.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-forms-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a channel previously indexed by another tool', () => {
  it('gets every index form rewritten together, and rattler resolves the new package through repodata.json.zst', async () => {
    const sb = await Sandbox.create(join(work, 'sb'));
    await sb.addFeedstock('app', ['app', 'oldlib']);
    await sb.commitRegistry();
    // What conda-index left: an older package, its index in four forms, all stale once forgegate publishes.
    const old = await sb.build({ name: 'oldlib', version: '1.0', build: 'h0_0', subdir: 'linux-64' });
    const dir = join(sb.channelDir, 'linux-64');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, old.filename), readFileSync(old.path));
    const record = {
      name: 'oldlib',
      version: '1.0',
      build: 'h0_0',
      build_number: 0,
      depends: [],
      subdir: 'linux-64',
      ...old.digests,
    };
    const before = JSON.stringify({
      info: { subdir: 'linux-64' },
      packages: {},
      'packages.conda': { [old.filename]: record },
      repodata_version: 1,
    });
    writeFileSync(join(dir, 'repodata.json'), before);
    writeFileSync(join(dir, 'repodata.json.zst'), compress(Buffer.from(before)));
    writeFileSync(join(dir, 'repodata.json.bz2'), 'BZh9 stale');
    writeFileSync(join(dir, 'current_repodata.json'), before);

    const app = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64', depends: ['oldlib'] });
    await sb.stage(app, { feedstock: 'app' });
    const run = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ indexWrites: 2, items: [{ outcome: 'published' }] });

    const json = readFileSync(join(dir, 'repodata.json'));
    expect(decompress(readFileSync(join(dir, 'repodata.json.zst'))).equals(json)).toBe(true);
    // current_repodata.json is conda-index's subset (here every record is its name's newest), not a copy.
    const current = JSON.parse(readFileSync(join(dir, 'current_repodata.json'), 'utf8')) as Record<string, object>;
    expect(Object.keys(current['packages.conda']!).sort()).toEqual([app.filename, old.filename].sort());
    expect(current['packages.conda']).toMatchObject({ [app.filename]: { legacy_bz2_md5: null, ...app.digests } });
    expect(existsSync(join(dir, 'repodata.json.bz2'))).toBe(false);
    expect(channelState(sb.channelDir)).toMatchObject({
      records: [`linux-64/${app.filename}`, `linux-64/${old.filename}`],
      disagreeing: [],
    });

    // Serve the channel with repodata.json and the shard index absent: a client that finds the package read the .zst.
    const hide = (p: string): boolean => p.endsWith('repodata.json') || p.endsWith('repodata_shards.msgpack.zst');
    const server = await serveDirectory(sb.channelDir, { hide });
    try {
      const solved = await simpleSolve(['app'], [server.url], ['linux-64', 'noarch'], undefined);
      expect(solved.map((p) => p.filename).sort()).toEqual([app.filename, old.filename].sort());
      expect(server.requests).toContain('GET /linux-64/repodata.json.zst');
    } finally {
      await server.close();
    }
  }, 60_000);
});
