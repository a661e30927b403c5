// registry add-publisher --config: the repository and owner ids come from GitHub (through the config's GitHub
// registry), so an admin copies nothing by hand; a renamed repository, an unknown one and ids that contradict
// GitHub are each refused with the fix. In-process, so msw answers for GitHub's GraphQL API.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { registryCommand } from '../../../src/cli/commands/registry.js';
import type { Io } from '../../../src/cli/io.js';
import { initRegistry } from '../../../src/backends/local/registry-folder.js';
import { CONFIG_FILE, DEFAULT_REGISTRY_CONFIG, keyPath, parseFeedstockFile } from '../../../src/registry/layout.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from './fake.js';

const work = mkdtempSync(join(tmpdir(), 'fg publisher ids '));
const registry = join(work, 'registry');
const configPath = join(work, 'forgegate.yml');
const fake = new FakeGitHub({ [CONFIG_FILE]: JSON.stringify(DEFAULT_REGISTRY_CONFIG) });
const server = setupServer(fake.handler());
beforeAll(async () => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'error' });
  await initRegistry(registry);
  writeFileSync(
    configPath,
    YAML.stringify({
      target: { channel: 'https://conda.example.org/forge', store: { type: 'directory', path: './channel' } },
      staging: { store: { type: 'directory', path: './staging' } },
      registry: { type: 'github', repository: fake.repository, tokenEnv: 'GH_TOKEN', url: GRAPHQL_URL },
      ledger: './state/forgegate.db',
      reports: { type: 'directory', path: './reports' },
    }),
  );
  fake.repoIds.set('conda-forge/numpy-feedstock', {
    databaseId: 123456789,
    nameWithOwner: 'conda-forge/numpy-feedstock',
    owner: { type: 'Organization', databaseId: 987654321 },
  });
  // GitHub finds a repository whatever the case asked; it answers with its own spelling.
  fake.repoIds.set('Conda-Forge/NumPy-feedstock', {
    databaseId: 123456789,
    nameWithOwner: 'conda-forge/numpy-feedstock',
    owner: { type: 'Organization', databaseId: 987654321 },
  });
  fake.repoIds.set('conda-forge/old-numpy-feedstock', {
    databaseId: 123456789,
    nameWithOwner: 'conda-forge/numpy-feedstock',
    owner: { type: 'Organization', databaseId: 987654321 },
  });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

const io = (): Io & { lines: string[] } => {
  const lines: string[] = [];
  return {
    out: (t) => lines.push(t),
    err: (t) => lines.push(t),
    isTTY: false,
    width: undefined,
    env: { GH_TOKEN: 'x' },
    lines,
  };
};
const add = (id: string, repository: string, ...extra: string[]): Promise<number> =>
  registryCommand.run(
    [
      'add-publisher',
      registry,
      '--feedstock',
      'numpy',
      '--id',
      id,
      '--repository',
      repository,
      '--config',
      configPath,
      '--workflow',
      '.github/workflows/conda-build.yml',
      '--ref',
      'refs/heads/main',
      ...extra,
    ],
    io(),
  );
const publishers = () => {
  const path = keyPath('numpy', DEFAULT_REGISTRY_CONFIG);
  return parseFeedstockFile(readFileSync(join(registry, path), 'utf8'), path).publishers;
};

describe('registry add-publisher --config (ids from GitHub)', () => {
  it("fills repositoryId and ownerId from GitHub's answer, with GitHub's spelling of the name", async () => {
    expect(await add('gha-main', 'Conda-Forge/NumPy-feedstock')).toBe(0);
    expect(publishers()).toMatchObject([
      { id: 'gha-main', repository: 'conda-forge/numpy-feedstock', repositoryId: '123456789', ownerId: '987654321' },
    ]);
    expect(fake.operations.at(-1)).toBe('repository');
  });

  it('refuses a renamed repository (certificates name the new one), an unknown one, and contradicting ids', async () => {
    await expect(add('gha-old', 'conda-forge/old-numpy-feedstock')).rejects.toThrow(
      'GitHub says conda-forge/old-numpy-feedstock is now conda-forge/numpy-feedstock',
    );
    await expect(add('gha-none', 'conda-forge/nothing-feedstock')).rejects.toThrow(
      'GitHub has no repository conda-forge/nothing-feedstock',
    );
    await expect(add('gha-typo', 'conda-forge/numpy-feedstock', '--repository-id', '123456780')).rejects.toThrow(
      "--repository-id 123456780 is not conda-forge/numpy-feedstock's: GitHub says 123456789",
    );
    expect(publishers().map((p) => p.id)).toEqual(['gha-main']);
  });

  it('without --config, asks for both ids or a config, naming the gh command', async () => {
    const argv = ['add-publisher', registry, '--feedstock', 'numpy', '--id', 'gha-x', '--repository', 'a/b'];
    await expect(
      registryCommand.run([...argv, '--workflow', '.github/workflows/x.yml', '--ref', 'refs/heads/main'], io()),
    ).rejects.toMatchObject({
      code: 'FG_USAGE',
      message: 'missing --repository-id',
      fix: expect.stringContaining('gh api repos/a/b'),
    });
  });
});
