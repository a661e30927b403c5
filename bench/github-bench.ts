// Benchmark (not part of `npm test`): GraphQL requests of one reconcile with the registry and reports on GitHub
// (the schema-validating fake, through msw), N staged artifacts from F feedstocks, every 10th signed by a feedstock
// that does not own it. test/backends/github/e2e.test.ts runs the same scenario small.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupServer } from 'msw/node';
import { loadConfig } from '../src/config/load.js';
import { reconcile } from '../src/reconcile/run.js';
import { CONFIG_FILE, DEFAULT_REGISTRY_CONFIG } from '../src/registry/layout.js';
import { FakeGitHub, githubSchema } from '../test/backends/github/fake.js';
import { GITHUB_ENV, githubSandbox, stageManyFeedstocks } from '../test/backends/github/world.js';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

export async function main(argv: string[]): Promise<void> {
  const artifacts = arg(argv, 'n', 1000);
  const feedstocks = arg(argv, 'feedstocks', 300);
  const root = await mkdtemp(join(tmpdir(), 'fg-gh-bench-'));
  const fake = new FakeGitHub({ [CONFIG_FILE]: JSON.stringify(DEFAULT_REGISTRY_CONFIG) });
  githubSchema();
  const server = setupServer(fake.handler());
  server.listen({ onUnhandledRequest: 'bypass' });
  try {
    const sb = await githubSandbox(fake, join(root, 'sandbox'));
    const expected = await stageManyFeedstocks(fake, sb, { artifacts, feedstocks });
    const [before, issuesBefore] = [fake.requests, fake.issues.length];
    const start = performance.now();
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV });
    const wallS = +((performance.now() - start) / 1000).toFixed(1);
    const requests = fake.requests - before;
    const issues = fake.issues.length - issuesBefore;
    if (result.reports.sent !== expected.rejected || issues !== expected.groups || requests !== expected.requests)
      throw new Error(`expected ${JSON.stringify(expected)}, got ${requests} requests and ${issues} issues`);
    const row = { artifacts, feedstocks, ...expected, wallS };
    if (argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
    } else {
      process.stdout.write(
        '| artifacts | feedstocks | rejected | issues | GraphQL requests | registry snapshot | reports | wall |\n' +
          '|---|---|---|---|---|---|---|---|\n' +
          `| ${artifacts} | ${feedstocks} | ${expected.rejected} | ${issues} | ${requests} | ` +
          `${expected.snapshotRequests} | ${requests - expected.snapshotRequests} | ${wallS} s |\n`,
      );
    }
  } finally {
    server.close();
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
