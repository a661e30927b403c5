// A target that serves other bytes after publishing: the copy is withdrawn at once and an alert is raised.
import { DEFAULT_UNPACK_LIMITS } from '../../src/conda/limits.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/applier.js';
import { loadConfig } from '../../src/config/load.js';
import { Sandbox } from '../helpers/sandbox.js';
import type { Digests } from '../../src/model.js';
import { artifactKey } from '../../src/plan/identity.js';
import { assemblePlan } from '../../src/plan/planner.js';
import { observe } from '../../src/reconcile/observe.js';
import { DirectoryRegistry } from '../../src/backends/local/directory-registry.js';
import { DirectoryOutbox } from '../../src/backends/local/directory-outbox.js';
import { createStores } from '../../src/reconcile/wiring.js';
import { LocalChannel } from '../../src/backends/local/local-channel.js';

const work = mkdtempSync(join(tmpdir(), 'fg-alert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

class LyingChannel extends LocalChannel {
  override async confirm(): Promise<Digests | null> {
    return { size: 1, sha256: '0'.repeat(64), md5: '0'.repeat(32) };
  }
}

describe('confirmation after publishing', () => {
  it('withdraws the copy and raises a security alert when the target serves other bytes', async () => {
    const sb = await Sandbox.create(join(work, 'sb'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const b = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
    await sb.stage(b, { feedstock: 'app' });
    const config = await loadConfig(sb.configPath);
    const stores = { ...createStores(config, { env: {} }), target: new LyingChannel(sb.channelDir) };
    const registry = new DirectoryRegistry(sb.registryDir);
    const { observation, index } = await observe(stores, registry, null, Date.now());
    const plan = assemblePlan(observation, {
      targetChannel: config.target.channel,
      labels: config.target.labels,
      subdirs: config.staging.subdirs,
      policy: config.policy,
    });
    const { results } = await applyPlan(plan, index, {
      ...stores,
      registry,
      alerts: new DirectoryOutbox(sb.reportsDir),
      record: () => undefined,
      concurrency: 1,
      unpackLimits: DEFAULT_UNPACK_LIMITS,
      clock: Date.now,
    });
    expect(results.map((r) => r.outcome.kind)).toEqual(['alert']);
    expect((await stores.target.list()).files.get(artifactKey('noarch', b.filename))).toBeUndefined();
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toContain(b.filename);
    const alerts = readdirSync(join(sb.reportsDir, '_alerts'));
    expect(alerts).toHaveLength(1);
    expect(readFileSync(join(sb.reportsDir, '_alerts', alerts[0]!), 'utf8')).toContain('TARGET_CONFIRMATION_MISMATCH');
  });
});

describe('registration conflict', () => {
  it('does not publish when the name went to another feedstock meanwhile, and raises an alert', async () => {
    const sb = await Sandbox.create(join(work, 'race'));
    await sb.addFeedstock('app', []);
    await sb.setAllowlist({ app: ['app-plugin-*'] });
    await sb.commitRegistry();
    const b = await sb.build({ name: 'app-plugin-x', version: '1.0', build: 'h0_0', subdir: 'noarch' });
    await sb.stage(b, { feedstock: 'app' });
    const config = await loadConfig(sb.configPath);
    const stores = createStores(config, { env: {} });
    const directory = new DirectoryRegistry(sb.registryDir);
    const { observation, index } = await observe(stores, directory, null, Date.now());
    const plan = assemblePlan(observation, {
      targetChannel: config.target.channel,
      labels: config.target.labels,
      subdirs: config.staging.subdirs,
      policy: config.policy,
    });
    expect(plan.items[0]).toMatchObject({ decision: 'publish', register: true });
    // Another writer registers the name to someone else between this run's snapshot and its registration.
    await sb.setOutput('app-plugin-x', ['squatter']);
    await sb.commitRegistry('concurrent registration');
    const { results } = await applyPlan(plan, index, {
      ...stores,
      registry: directory,
      alerts: new DirectoryOutbox(sb.reportsDir),
      record: () => undefined,
      concurrency: 1,
      unpackLimits: DEFAULT_UNPACK_LIMITS,
      clock: Date.now,
    });
    expect(results[0]!.outcome).toMatchObject({ kind: 'rejected', reason: 'OUTPUT_NOT_ALLOWED' });
    expect((await stores.target.list()).files.size).toBe(0);
    expect(readdirSync(join(sb.reportsDir, '_alerts')).some((f) => f.includes('REGISTRY_CONFLICT'))).toBe(true);
  });
});
