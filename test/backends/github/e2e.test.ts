// A whole reconcile with the registry and the reports on (fake) GitHub, staging and channel on folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { Sandbox } from '../../../src/demo/sandbox.js';
import { reconcile } from '../../../src/reconcile/run.js';
import {
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatKeyFile,
  formatOutputFile,
  keyPath,
  outputPath,
} from '../../../src/registry/layout.js';
import { encodeKey } from '../../../src/statement/keys.js';
import { FakeGitHub, GRAPHQL_URL, githubSchema } from './fake.js';

const work = mkdtempSync(join(tmpdir(), 'fg-gh-e2e-'));
const fake = new FakeGitHub({ [CONFIG_FILE]: JSON.stringify(DEFAULT_REGISTRY_CONFIG) });
const server = setupServer(fake.handler());
beforeAll(() => {
  githubSchema();
  server.listen({ onUnhandledRequest: 'bypass' });
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});
const env = { ...process.env, GH_REGISTRY_TOKEN: 'ghp_registry_SECRET', GH_REPORTS_TOKEN: 'ghp_reports_SECRET' };

async function sandbox(name: string): Promise<Sandbox> {
  return Sandbox.create(join(work, name), {
    git: false,
    configOverrides: {
      registry: {
        type: 'github',
        repository: fake.repository,
        ref: 'main',
        tokenEnv: 'GH_REGISTRY_TOKEN',
        url: GRAPHQL_URL,
      },
      reports: {
        type: 'github',
        repositoryTemplate: 'conda-forge/{feedstock}-feedstock',
        adminRepository: 'conda-forge/admin',
        tokenEnv: 'GH_REPORTS_TOKEN',
        url: GRAPHQL_URL,
      },
    },
  });
}

/** Mirror the sandbox's feedstocks (outputs + keys) into the fake GitHub registry. */
function publishRegistry(sb: Sandbox, outputs: Record<string, string>): void {
  const files: Record<string, string> = {};
  for (const [output, feedstock] of Object.entries(outputs))
    files[outputPath(output, DEFAULT_REGISTRY_CONFIG)] = formatOutputFile([feedstock]);
  for (const [feedstock, keys] of sb.keys)
    files[keyPath(feedstock, DEFAULT_REGISTRY_CONFIG)] = formatKeyFile(
      keys.map((k) => ({ keyid: k.keyid, publicKey: encodeKey(k.publicKey) })),
    );
  fake.commit(files, 'registry');
  for (const f of sb.keys.keys()) fake.repos.add(`conda-forge/${f}-feedstock`);
}

describe('reconcile with the registry and reports on GitHub', () => {
  it("publishes, rejects, and reports the rejection on the feedstock's repository", async () => {
    const sb = await sandbox('small');
    await sb.addFeedstock('app', []);
    await sb.addFeedstock('numpy', []);
    publishRegistry(sb, { app: 'app', numpy: 'numpy' });
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    await sb.stage(await sb.build({ name: 'numpy', version: '9.0', build: 'h0_0', subdir: 'linux-64' }), {
      feedstock: 'app',
      sourceCommit: 'abc'.padEnd(40, '0'),
    });
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env });
    expect(result.registryCommit).toBe(fake.head);
    expect(result.items.map((i) => `${i.filename} ${i.outcome} ${i.reason ?? ''}`.trim())).toEqual([
      'numpy-9.0-h0_0.conda rejected OUTPUT_NOT_ALLOWED',
      'app-1.0-h0_0.conda published',
    ]);
    expect(fake.issues.map((i) => i.repo)).toEqual(['conda-forge/app-feedstock']);
  });

  it('makes few GraphQL requests for 1,000 staged artifacts from 300 feedstocks (measured)', async () => {
    const sb = await sandbox('large');
    const outputs: Record<string, string> = {};
    const signers = new Set<string>();
    for (let f = 0; f < 300; f++) await sb.addFeedstock(`fs${f}`, []);
    for (let i = 0; i < 1000; i++) {
      const feedstock = `fs${i % 300}`;
      outputs[`pkg${i}`] = feedstock;
      // Every 10th artifact names a package of another feedstock: 100 rejections to report.
      const claimed = i % 10 === 0 ? `fs${(i + 1) % 300}` : feedstock;
      signers.add(claimed);
      await sb.stage(
        await sb.build({ name: `pkg${i}`, version: '1.0', build: 'h0_0', subdir: 'noarch', zstdLevel: 1 }),
        { feedstock: claimed, sourceCommit: (i % 300).toString(16).padStart(4, '0').padEnd(40, 'a') },
      );
    }
    publishRegistry(sb, outputs);
    const [before, issuesBefore] = [fake.requests, fake.issues.length];
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env });
    const requests = fake.requests - before;
    expect(result.reports).toEqual({ sent: 100, error: null });
    // Snapshot: 1 ref query + one query per 100 paths (outputs, the signing feedstocks' key files, config, allowlist).
    const snapshot = 1 + Math.ceil((1000 + signers.size + 2) / 100);
    // Reports: who-am-I once, then per (feedstock, commit) group one lookup and one createIssue.
    const groups = fake.issues.length - issuesBefore;
    expect(groups).toBe(30);
    expect(requests).toBe(snapshot + 1 + 2 * groups);
    process.stdout.write(
      `GraphQL requests for 1,000 artifacts / 300 feedstocks: ${requests} (snapshot ${snapshot}, reports ${requests - snapshot})\n`,
    );
  }, 300_000);

  it('stops before applying anything when GitHub is down (registry unavailable, exit 3)', async () => {
    const sb = await sandbox('outage');
    await sb.addFeedstock('down', []);
    publishRegistry(sb, { down: 'down' });
    await sb.stage(await sb.build({ name: 'down', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'down',
    });
    const { HttpResponse } = await import('msw');
    for (let n = fake.requests + 1; n < fake.requests + 40; n++)
      fake.on(n, () => new HttpResponse('unavailable', { status: 503 }));
    const error = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FG_REGISTRY_UNAVAILABLE', exitCode: 3 });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toHaveLength(2);
    expect(readdirSync(sb.channelDir)).toEqual([]);
    fake.hooks.clear();
  });
});
