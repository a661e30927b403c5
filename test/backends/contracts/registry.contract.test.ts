// The RegistrySource contract, run by every registry backend: a plain folder, a git checkout (read at HEAD,
// registrations as commits) and GitHub (the schema-validating GraphQL fake), pinned for reconcile and unpinned
// for `check`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { GitHubGraphQL } from '../../../src/backends/github/client.js';
import { GitHubRegistry } from '../../../src/backends/github/registry.js';
import { DirectoryRegistry } from '../../../src/backends/local/directory-registry.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from '../github/fake.js';
import { registryContract, registrySeeders, type RegistryWriter } from './registry.contract.js';

const work = mkdtempSync(join(tmpdir(), 'fg-contract-registry-'));
const server = setupServer();
beforeAll(() => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

const git = (root: string, ...args: string[]): string =>
  execFileSync('git', ['-C', root, '-c', 'user.name=admin', '-c', 'user.email=admin@example.org', ...args])
    .toString()
    .trim();

function folderWriter(root: string): RegistryWriter {
  return async (changes) => {
    for (const [path, text] of Object.entries(changes)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  };
}

registryContract('DirectoryRegistry (a plain folder)', async () => {
  const root = mkdtempSync(join(work, 'plain-'));
  return {
    registry: new DirectoryRegistry(root),
    ...registrySeeders(folderWriter(root)),
    unavailable: () => new DirectoryRegistry(join(root, 'no-such-folder')),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

registryContract('DirectoryRegistry (a git checkout)', async () => {
  const root = mkdtempSync(join(work, 'git-'));
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'commit', '-q', '--allow-empty', '-m', 'empty registry');
  const files = folderWriter(root);
  return {
    registry: new DirectoryRegistry(root),
    ...registrySeeders(async (changes) => {
      await files(changes);
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '-m', `admin: ${Object.keys(changes).join(', ')}`);
    }),
    unavailable: () => new DirectoryRegistry(join(root, 'no-such-folder')),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

for (const pinned of [true, false]) {
  registryContract(`GitHubRegistry (GraphQL fake, ${pinned ? 'pinned: reconcile' : 'unpinned: check'})`, async () => {
    const fake = new FakeGitHub();
    server.use(fake.handler());
    const gh = new GitHubGraphQL({ url: GRAPHQL_URL, token: 'ghp_SECRET', sleep: async () => {} });
    return {
      registry: new GitHubRegistry(gh, fake.repository, fake.branch, { pinned }),
      ...registrySeeders(async (changes) => void fake.commit(changes, 'admin edit')),
      unavailable: () => new GitHubRegistry(gh, 'conda-forge/no-such-registry', fake.branch, { pinned }),
      close: async () => server.resetHandlers(),
    };
  });
}
