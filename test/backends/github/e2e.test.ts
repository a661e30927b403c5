// A whole reconcile with the registry and the reports on (fake) GitHub, staging and channel on folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Sandbox } from '../../helpers/sandbox.js';
import { reconcile } from '../../../src/reconcile/run.js';
import { CONFIG_FILE, DEFAULT_REGISTRY_CONFIG } from '../../../src/registry/layout.js';
import { stageJunkClaims } from '../../helpers/junk-claims.js';
import { FakeGitHub, githubSchema } from './fake.js';
import { GITHUB_ENV, githubSandbox, publishRegistry, stageManyFeedstocks } from './world.js';

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
const sandbox = (name: string): Promise<Sandbox> => githubSandbox(fake, join(work, name));

describe('reconcile with the registry and reports on GitHub', () => {
  it("publishes, rejects, and reports the rejection on the feedstock's repository", async () => {
    const sb = await sandbox('small');
    await sb.addFeedstock('app', []);
    await sb.addFeedstock('numpy', []);
    publishRegistry(fake, sb, { app: 'app', numpy: 'numpy' });
    await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'app',
    });
    await sb.stage(await sb.build({ name: 'numpy', version: '9.0', build: 'h0_0', subdir: 'linux-64' }), {
      feedstock: 'app',
      sourceCommit: 'abc'.padEnd(40, '0'),
    });
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV });
    expect(result.registryCommit).toBe(fake.head);
    expect(result.items.map((i) => `${i.filename} ${i.outcome} ${i.reason ?? ''}`.trim())).toEqual([
      'numpy-9.0-h0_0.conda rejected OUTPUT_NOT_ALLOWED',
      'app-1.0-h0_0.conda published',
    ]);
    expect(fake.issues.map((i) => i.repo)).toEqual(['conda-forge/app-feedstock']);
  });

  // The same scenario at 1,000 artifacts from 300 feedstocks (75 requests) is `npm run bench` (bench/github-bench.ts).
  it('makes few GraphQL requests for 200 staged artifacts from 60 feedstocks: batched reads, one issue per group', async () => {
    const sb = await sandbox('large');
    const expected = await stageManyFeedstocks(fake, sb, { artifacts: 200, feedstocks: 60 });
    // 200 outputs + 54 signing feedstocks' keys + 2 files: three reads of up to 100 paths after the ref query.
    expect(expected).toEqual({ rejected: 20, groups: 6, snapshotRequests: 4, requests: 17 });
    const [before, issuesBefore] = [fake.requests, fake.issues.length];
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV });
    expect(result.reports).toEqual({ sent: 20, error: null });
    expect(fake.issues.length - issuesBefore).toBe(6);
    expect(fake.requests - before).toBe(17);
  }, 120_000);

  it('stops before applying anything when GitHub is down (registry unavailable, exit 3)', async () => {
    const sb = await sandbox('outage');
    await sb.addFeedstock('down', []);
    publishRegistry(fake, sb, { down: 'down' });
    await sb.stage(await sb.build({ name: 'down', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
      feedstock: 'down',
    });
    const { HttpResponse } = await import('msw');
    for (let n = fake.requests + 1; n < fake.requests + 40; n++)
      fake.on(n, () => new HttpResponse('unavailable', { status: 503 }));
    const error = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'FG_REGISTRY_UNAVAILABLE', exitCode: 3 });
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toHaveLength(2);
    expect(readdirSync(sb.channelDir)).toEqual([]);
    fake.hooks.clear();
  });
});

describe('reports under attack (bounded bodies, one failing report never stops the others)', () => {
  const runEnv = {
    ...GITHUB_ENV,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'conda-forge/forgegate-runs',
    GITHUB_RUN_ID: '4242',
  };
  const issueOf = (repo: string) => fake.issues.filter((i) => i.repo === repo);

  it('300 junk uploads claiming a keyed feedstock, two with a 60,000-character key id: one issue, under 65,536', async () => {
    const sb = await sandbox('flood');
    await sb.addFeedstock('numpy', []);
    publishRegistry(fake, sb, { numpy: 'numpy' });
    await stageJunkClaims(sb, { feedstock: 'numpy', name: 'numpy', count: 300, longKeyIds: 2, keyIdLength: 60_000 });
    const result = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: runEnv });
    expect(result.exitCode).toBe(0);
    expect(result.reports).toEqual({ sent: 300, error: null });
    expect(new Set(result.items.map((i) => `${i.outcome} ${i.reason}`))).toEqual(
      new Set(['rejected SIGNATURE_INVALID']),
    );
    // The claimed key id is cut where it enters the detail (the ledger, the summary and the report all see that).
    const long = result.items.filter((i) => i.detail!.includes('kkkk'));
    expect(long).toHaveLength(2);
    for (const i of long) expect(i.detail!.length).toBeLessThan(1_000);
    const [issue, ...others] = issueOf('conda-forge/numpy-feedstock');
    expect(others).toEqual([]);
    expect(issue!.body.length).toBeLessThanOrEqual(65_536);
    const listed = issue!.body.match(/<!-- forgegate:failure /g)!.length;
    const counted = Number(/\*\*(\d+) more failures are not listed here\*\*/.exec(issue!.body)![1]);
    expect(listed + counted).toBe(300);
    expect(issue!.body).toContain(`- **SIGNATURE_INVALID** × ${counted}: `);
    expect(issue!.body).toContain('[latest run](https://github.com/conda-forge/forgegate-runs/actions/runs/4242)');
    process.stdout.write(`flood report: ${issue!.body.length} characters, ${listed} listed, ${counted} counted\n`);

    // The next run reports nothing new; with the ledger lost, the body's own markers and hashes still dedupe.
    const body = issue!.body;
    const again = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: runEnv });
    expect([again.exitCode, again.reports.sent]).toEqual([0, 0]);
    rmSync(sb.ledgerPath);
    const lost = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: runEnv });
    expect(lost.exitCode).toBe(0);
    expect(issueOf('conda-forge/numpy-feedstock')).toEqual([expect.objectContaining({ body, comments: [] })]);
  }, 120_000);

  it('a report that fails for one feedstock is retried next run; the others are delivered (exit 5, then 0)', async () => {
    const sb = await sandbox('one-fails');
    await sb.addFeedstock('aaa', []);
    await sb.addFeedstock('zzz', []);
    publishRegistry(fake, sb, { aaa: 'aaa', zzz: 'zzz' });
    // aaa's repository is missing (renamed, or the token lost access): its report cannot be filed.
    fake.repos.delete('conda-forge/aaa-feedstock');
    await stageJunkClaims(sb, { feedstock: 'aaa', name: 'aaa', count: 3, longKeyIds: 0, keyIdLength: 0 });
    await stageJunkClaims(sb, { feedstock: 'zzz', name: 'zzz', count: 2, longKeyIds: 0, keyIdLength: 0 });
    const first = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV });
    expect(first.exitCode).toBe(5);
    expect(first.reports.sent).toBe(2);
    expect(first.reports.error).toMatch(/^1 of 2 reports not delivered \(aaa: report repository .*aaa-feedstock/);
    expect(issueOf('conda-forge/zzz-feedstock')).toHaveLength(1);

    fake.repos.add('conda-forge/aaa-feedstock');
    const second = await reconcile(await loadConfig(sb.configPath), { planOnly: false, env: GITHUB_ENV });
    expect(second.exitCode).toBe(0);
    expect(second.reports).toEqual({ sent: 3, error: null });
    expect(issueOf('conda-forge/aaa-feedstock')).toHaveLength(1);
    expect(issueOf('conda-forge/zzz-feedstock')).toEqual([expect.objectContaining({ comments: [] })]);
  }, 120_000);
});
