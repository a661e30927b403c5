import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubGraphQL } from '../../../src/backends/github/client.js';
import { GitHubRegistry } from '../../../src/backends/github/registry.js';
import { authorizeOutput } from '../../../src/registry/authorize.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatKeyFile,
  formatOutputFile,
  keyPath,
  outputPath,
} from '../../../src/registry/layout.js';
import { encodeKey, generateKeyPair } from '../../../src/statement/keys.js';
import { DATA_DIR } from '../../helpers/paths.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from './fake.js';
import YAML from 'yaml';

const data = JSON.parse(readFileSync(join(DATA_DIR, 'feedstock-outputs.json'), 'utf8')) as {
  outputs: Record<string, string[]>;
  config: Record<string, string[]>;
};
const NAMES = Object.keys(data.outputs)
  .filter((_, i) => i % 97 === 0)
  .slice(0, 250);
for (const must of ['libgfortran', 'async-timeout', 'async_timeout']) if (!NAMES.includes(must)) NAMES.push(must);
const FEEDSTOCKS = Array.from({ length: 80 }, (_, i) => `feedstock-${i}`);

function registryFiles(): Record<string, string> {
  const files: Record<string, string> = {
    [CONFIG_FILE]: JSON.stringify(DEFAULT_REGISTRY_CONFIG),
    [ALLOWLIST_FILE]: YAML.stringify(data.config),
  };
  for (const n of NAMES) files[outputPath(n, DEFAULT_REGISTRY_CONFIG)] = formatOutputFile(data.outputs[n]!);
  for (const f of FEEDSTOCKS) {
    const k = generateKeyPair();
    files[keyPath(f, DEFAULT_REGISTRY_CONFIG)] = formatKeyFile([{ keyid: k.keyid, publicKey: encodeKey(k.publicKey) }]);
  }
  return files;
}

let fake = new FakeGitHub(registryFiles());
const server = setupServer();
beforeAll(() => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'error' });
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function registry(pinned = true): GitHubRegistry {
  fake = new FakeGitHub(registryFiles());
  server.use(fake.handler());
  return new GitHubRegistry(
    new GitHubGraphQL({ url: GRAPHQL_URL, token: 'ghp_SECRET', sleep: async () => {} }),
    fake.repository,
    'main',
    { pinned },
  );
}

describe('GitHub registry', () => {
  it('answers real ownership (libgfortran has four owners; async-timeout and async_timeout apart)', async () => {
    const r = registry();
    const snap = await r.snapshot({
      names: ['libgfortran', 'async-timeout', 'async_timeout', 'libllvm77'],
      feedstocks: [],
    });
    expect(snap.outputs.get('libgfortran')).toEqual([
      'libgfortran',
      'gfortran_impl_osx-64',
      'm2w64-gcc-libs',
      'ctng-compilers',
    ]);
    expect(snap.outputs.get('async-timeout')).toEqual(data.outputs['async-timeout']);
    expect(snap.outputs.get('async_timeout')).toEqual(data.outputs['async_timeout']);
    expect(authorizeOutput(snap, 'ctng-compilers', 'libgfortran').ok).toBe(true);
    expect(authorizeOutput(snap, 'llvmdev', 'libllvm77')).toMatchObject({ ok: true, register: true });
  });

  it('batches reads: 253 names and 80 feedstocks take one ref query and at most 4 file queries', async () => {
    const r = registry();
    const snap = await r.snapshot({ names: NAMES, feedstocks: FEEDSTOCKS });
    expect(fake.requests).toBe(1 + Math.ceil((NAMES.length + FEEDSTOCKS.length + 2) / 100));
    expect(fake.requests).toBeLessThanOrEqual(5);
    expect([...snap.keys.values()].every((k) => k !== null && k.length === 1)).toBe(true);
  });

  it('reads one commit even when the branch moves between two of its queries', async () => {
    const r = registry();
    const first = fake.head;
    fake.on(
      3,
      () =>
        void fake.commit(
          { [outputPath(NAMES[0]!, DEFAULT_REGISTRY_CONFIG)]: formatOutputFile(['hijacker']) },
          'concurrent admin edit',
        ),
    );
    const snap = await r.snapshot({ names: NAMES, feedstocks: FEEDSTOCKS });
    expect(fake.head).not.toBe(first);
    expect(snap.commit).toBe(first);
    expect(snap.outputs.get(NAMES[0]!)).toEqual(data.outputs[NAMES[0]!]);
  });

  it('stops with FG_REGISTRY_UNAVAILABLE when GitHub fails mid-read, never returning part of a snapshot', async () => {
    const r = registry();
    for (let n = 3; n < 20; n++) fake.on(n, () => new HttpResponse('bad gateway', { status: 502 }));
    await expect(r.snapshot({ names: NAMES, feedstocks: FEEDSTOCKS })).rejects.toMatchObject({
      code: 'FG_REGISTRY_UNAVAILABLE',
      transient: true,
    });
  });

  it('backs off and retries a secondary rate limit', async () => {
    const r = registry();
    fake.on(
      1,
      () =>
        new HttpResponse(JSON.stringify({ message: 'You have exceeded a secondary rate limit' }), {
          status: 403,
          headers: { 'retry-after': '0', 'content-type': 'application/json' },
        }),
    );
    const snap = await r.snapshot({ names: ['libgfortran'], feedstocks: [] });
    expect(snap.outputs.get('libgfortran')).toHaveLength(4);
    expect(fake.requests).toBe(3);
  });

  it('registers with createCommitOnBranch, retrying on a moved branch without losing the other commit', async () => {
    const r = registry();
    const snap = await r.snapshot({ names: ['libllvm77'], feedstocks: [] });
    fake.commit({ 'README.md': 'an admin edit' }, 'admin');
    expect(await r.register('libllvm77', 'llvmdev', snap.commit)).toMatchObject({ kind: 'registered' });
    const files = fake.commits.get(fake.head)!;
    expect(files.get('README.md')).toBe('an admin edit');
    expect(files.get(outputPath('libllvm77', DEFAULT_REGISTRY_CONFIG))).toBe(formatOutputFile(['llvmdev']));
  });

  it('reports a conflict when a concurrent commit gave the name to another feedstock', async () => {
    const r = registry();
    const snap = await r.snapshot({ names: ['libllvm78'], feedstocks: [] });
    fake.commit({ [outputPath('libllvm78', DEFAULT_REGISTRY_CONFIG)]: formatOutputFile(['someone-else']) }, 'admin');
    expect(await r.register('libllvm78', 'llvmdev', snap.commit)).toMatchObject({
      kind: 'conflict',
      owners: ['someone-else'],
    });
  });

  it('reads the branch tip in one round trip for `check` (≤ 100 paths)', async () => {
    const r = registry(false);
    const snap = await r.snapshot({ names: NAMES.slice(0, 60), feedstocks: FEEDSTOCKS.slice(0, 30) });
    expect(fake.requests).toBe(1);
    expect(snap.commit).toBe(fake.head);
  });

  it('fails a query the real schema would reject', async () => {
    registry();
    const gh = new GitHubGraphQL({ url: GRAPHQL_URL, token: 't', sleep: async () => {} });
    await expect(gh.run('bad', 'query { repository(owner: "a", name: "b") { noSuchField } }')).rejects.toThrow(
      /noSuchField/,
    );
  });
});

describe('GitHub primary rate limit', () => {
  it('waits for the reset when few points remain', async () => {
    const waits: number[] = [];
    fake = new FakeGitHub(registryFiles());
    server.use(fake.handler());
    fake.remaining = 10;
    const r = new GitHubRegistry(
      new GitHubGraphQL({ url: GRAPHQL_URL, token: 't', sleep: async (ms) => void waits.push(ms) }),
      fake.repository,
      'main',
    );
    await r.snapshot({ names: ['libgfortran'], feedstocks: [] });
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((ms) => ms <= 1000)).toBe(true);
  });
});
