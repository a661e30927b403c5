// The core scenarios again, with staging, quarantine and target on an anaconda.org emulator over real HTTP.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../helpers/sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { AnacondaEmulator } from './emulator/server.js';
import { TOKENS, anacondaSandbox, ownerFiles, stageOnAnaconda, tokenEnv } from './emulator/sandbox.js';
import { ExitCode } from '../../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-ana-e2e-'));
const emu = new AnacondaEmulator();
const outputs: string[] = [];
beforeAll(async () => {
  await emu.start();
});
afterAll(async () => {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
});

async function reconcile(
  sb: Sandbox,
  ...extra: string[]
): Promise<{ code: number | null; items: { filename: string; outcome: string | null; reason: string | null }[] }> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json', ...extra], { env: tokenEnv() });
  outputs.push(r.stdout, r.stderr);
  if (r.code !== 0 && r.code !== 5) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  return {
    code: r.code,
    ...(JSON.parse(r.stdout) as { items: { filename: string; outcome: string | null; reason: string | null }[] }),
  };
}

describe('reconcile against anaconda.org (emulated)', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await anacondaSandbox(join(work, 'main'), emu);
    await sb.addFeedstock('app', ['app', 'libapp']);
    await sb.addFeedstock('numpy', ['numpy']);
    await sb.commitRegistry();
  });

  it('publishes the other format of a build beside the first only when both hold the same package', async () => {
    const spec = { name: 'libapp', version: '7.0', build: 'h0_0', subdir: 'linux-64' };
    const first = await sb.build({ ...spec, format: 'tar.bz2' });
    await stageOnAnaconda(sb, emu, first, { feedstock: 'app' });
    expect((await reconcile(sb)).items.map((i) => i.outcome)).toEqual(['published']);
    const differing = await sb.build({ ...spec, files: { other: 'bytes' } });
    await stageOnAnaconda(sb, emu, differing, { feedstock: 'app' });
    const run = await runCli(['reconcile', '--config', sb.configPath, '--json'], { env: tokenEnv() });
    const item = (JSON.parse(run.stdout) as { items: { outcome: string; reason: string; detail: string }[] }).items[0]!;
    expect(item).toMatchObject({ outcome: 'rejected', reason: 'TARGET_CONFLICT' });
    expect(item.detail).toContain('linux-64/libapp-7.0-h0_0.tar.bz2 holds this name-version-build with other content');
    expect(ownerFiles(emu, 'conda-forge').filter((f) => f.includes('libapp-7.0'))).toEqual([
      'linux-64/libapp-7.0-h0_0.tar.bz2@main',
    ]);
    // The same package in the other format: published beside the first, as channels like `defaults` carry both.
    for (const f of emu.state.filesOf('cf-staging')) emu.state.removeFile(f);
    const same = await sb.build(spec);
    await stageOnAnaconda(sb, emu, same, { feedstock: 'app' });
    const twin = await reconcile(sb);
    expect(twin.items.map((i) => [i.filename, i.outcome])).toEqual([['libapp-7.0-h0_0.conda', 'published']]);
    expect(ownerFiles(emu, 'conda-forge').filter((f) => f.includes('libapp-7.0'))).toEqual([
      'linux-64/libapp-7.0-h0_0.conda@main',
      'linux-64/libapp-7.0-h0_0.tar.bz2@main',
    ]);
    // Clear both owners so the next tests start afresh.
    for (const f of emu.state.filesOf('cf-staging')) emu.state.removeFile(f);
    for (const f of emu.state.filesOf('conda-forge')) emu.state.removeFile(f);
  });

  it('publishes valid artifacts through the quarantine, confirms them, and empties staging', async () => {
    const a = await sb.build({ name: 'libapp', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
    const b = await sb.build({ name: 'app', version: '1.0', build: 'pyh0_0', subdir: 'noarch', format: 'tar.bz2' });
    const c = await sb.build({ name: 'libapp', version: '2.1rc1', build: 'h0_0', subdir: 'osx-arm64' });
    await stageOnAnaconda(sb, emu, a, { feedstock: 'app' });
    await stageOnAnaconda(sb, emu, b, { feedstock: 'app' });
    await stageOnAnaconda(sb, emu, c, { feedstock: 'app', label: 'rc' });
    const run = await reconcile(sb);
    expect(run.items.map((i) => i.outcome)).toEqual(['published', 'published', 'published']);
    expect(ownerFiles(emu, 'conda-forge')).toEqual([
      'linux-64/libapp-2.0-h0_0.conda@main',
      'noarch/app-1.0-pyh0_0.tar.bz2@main',
      'osx-arm64/libapp-2.1rc1-h0_0.conda@rc',
    ]);
    expect(ownerFiles(emu, 'cf-staging')).toEqual([]);
    expect(ownerFiles(emu, 'cf-post-staging')).toEqual([]);
    expect(emu.leakedAuthorization).toBe(0);
    const again = await reconcile(sb);
    expect(again.items).toEqual([]);
  });

  it('plans with no tokens at all (anonymous reads), and refuses to apply without them, naming the variable', async () => {
    const b = await sb.build({ name: 'app', version: '0.5', build: 'pyh0_0', subdir: 'noarch' });
    await stageOnAnaconda(sb, emu, b, { feedstock: 'app' });
    const plan = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'], {
      env: { STAGING_TOKEN: '', QUARANTINE_TOKEN: '', TARGET_TOKEN: '' },
    });
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      items: [{ filename: 'app-0.5-pyh0_0.conda', decision: 'publish' }],
    });
    const apply = await runCli(['reconcile', '--config', sb.configPath], {
      env: { STAGING_TOKEN: '', QUARANTINE_TOKEN: '', TARGET_TOKEN: '' },
    });
    expect(apply.code).toBe(ExitCode.USAGE);
    expect(apply.stderr).toContain('environment variable STAGING_TOKEN (tokenEnv) is not set');
    expect((await reconcile(sb)).items.map((i) => i.outcome)).toEqual(['published']);
  });

  it('rejects a foreign name, tampered bytes, a wrong staging label and a replay', async () => {
    const foreign = await sb.build({ name: 'numpy', version: '9.9', build: 'h0_0', subdir: 'linux-64' });
    await stageOnAnaconda(sb, emu, foreign, { feedstock: 'app' });
    const tampered = await sb.build({ name: 'app', version: '1.1', build: 'pyh0_0', subdir: 'noarch' });
    await stageOnAnaconda(sb, emu, tampered, {
      feedstock: 'app',
      bytes: Buffer.concat([readFileSync(tampered.path), Buffer.from('x')]),
    });
    const relabelled = await sb.build({ name: 'app', version: '1.2', build: 'pyh0_0', subdir: 'noarch' });
    await stageOnAnaconda(sb, emu, relabelled, { feedstock: 'app', uploadLabel: 'rc' });
    // An admin marked libapp 2.0 broken: a re-upload of the same file must not bring it back.
    const f = emu.state.file('conda-forge', 'libapp', '2.0', 'linux-64/libapp-2.0-h0_0.conda')!;
    f.labels = ['broken'];
    const replay = await sb.build({ name: 'libapp', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
    await stageOnAnaconda(sb, emu, replay, { feedstock: 'app' });
    const run = await reconcile(sb);
    const got = Object.fromEntries(run.items.map((i) => [i.filename, `${i.outcome} ${i.reason}`]));
    expect(got).toEqual({
      'numpy-9.9-h0_0.conda': 'rejected OUTPUT_NOT_ALLOWED',
      'app-1.1-pyh0_0.conda': 'rejected DIGEST_MISMATCH',
      'app-1.2-pyh0_0.conda': 'rejected TARGET_MISMATCH',
      'libapp-2.0-h0_0.conda': 'rejected REPLAYED',
    });
    expect(emu.state.file('conda-forge', 'libapp', '2.0', 'linux-64/libapp-2.0-h0_0.conda')!.labels).toEqual([
      'broken',
    ]);
    expect(emu.state.file('conda-forge', 'numpy', '9.9', 'linux-64/numpy-9.9-h0_0.conda')).toBeUndefined();
  });

  it('never lets bytes swapped in staging after listing reach the channel (time of check / time of use)', async () => {
    const good = await sb.build({ name: 'app', version: '3.0', build: 'pyh0_0', subdir: 'noarch' });
    const evil = await sb.build({
      name: 'app',
      version: '3.0',
      build: 'pyh0_0',
      subdir: 'noarch',
      files: { 'bin/app': 'evil payload' },
    });
    const evilBytes = readFileSync(evil.path);
    const rebuilt = await sb.build({ name: 'app', version: '3.0', build: 'pyh0_0', subdir: 'noarch' });
    expect(rebuilt.digests).toEqual(good.digests);
    const fullName = await stageOnAnaconda(sb, emu, rebuilt, { feedstock: 'app' });
    emu.swapOnNextCopy(fullName, evilBytes);
    const run = await reconcile(sb);
    expect(run.items.find((i) => i.filename === 'app-3.0-pyh0_0.conda')).toMatchObject({
      outcome: 'rejected',
      reason: 'DIGEST_MISMATCH',
    });
    expect(emu.state.file('conda-forge', 'app', '3.0', 'noarch/app-3.0-pyh0_0.conda')).toBeUndefined();
    expect(ownerFiles(emu, 'cf-post-staging')).toEqual([]);
  });
});

describe('faults at 10% of requests, over several runs', () => {
  it('ends with every valid artifact published exactly once and nothing invalid or unverified', async () => {
    const sb = await anacondaSandbox(join(work, 'faults'), emu, { concurrency: 4 });
    await sb.addFeedstock('flaky', ['flaky']);
    await sb.commitRegistry();
    const valid: string[] = [];
    for (let i = 0; i < 8; i++) {
      const b = await sb.build({
        name: 'flaky',
        version: `1.${i}`,
        build: 'h0_0',
        subdir: i % 2 ? 'linux-64' : 'noarch',
        format: i % 3 ? 'conda' : 'tar.bz2',
      });
      await stageOnAnaconda(sb, emu, b, { feedstock: 'flaky' });
      valid.push(`${b.subdir}/${b.filename}@main`);
    }
    const bad = await sb.build({
      name: 'flaky',
      version: '6.6',
      build: 'h0_0',
      subdir: 'noarch',
      extraEntries: [{ name: '../../escape', type: 'file', content: 'x' }],
    });
    await stageOnAnaconda(sb, emu, bad, { feedstock: 'flaky' });
    emu.faults = { ...emu.faults, errorRate: 0.08, dropRate: 0.02, truncateRate: 0.1 };
    const injected = { ...emu.injected };
    // Which requests a fault hits depends on the order concurrent requests reach the emulator: keep running until
    // every valid artifact is out and each kind of fault has happened at least once (the asserts below).
    const done = (): boolean =>
      ownerFiles(emu, 'conda-forge').filter((f) => f.includes('flaky-')).length === valid.length &&
      emu.injected.errors > injected.errors &&
      emu.injected.drops > injected.drops &&
      emu.injected.truncations > injected.truncations;
    try {
      for (let run = 0; run < 12 && !done(); run++) await reconcile(sb);
    } finally {
      emu.faults = { ...emu.faults, errorRate: 0, dropRate: 0, truncateRate: 0 };
    }
    expect(emu.injected.errors - injected.errors).toBeGreaterThan(0);
    expect(emu.injected.drops - injected.drops).toBeGreaterThan(0);
    expect(emu.injected.truncations - injected.truncations).toBeGreaterThan(0);
    await reconcile(sb);
    expect(ownerFiles(emu, 'conda-forge').filter((f) => f.includes('flaky-'))).toEqual(valid.sort());
    expect(ownerFiles(emu, 'cf-staging').filter((f) => f.includes('flaky-'))).toEqual([
      'flaky-6.6-h0_0.conda.sig@main',
      'noarch/flaky-6.6-h0_0.conda@main',
    ]);
    expect(ownerFiles(emu, 'cf-post-staging')).toEqual([]);
  }, 180_000);
});

describe('crash mid-apply against anaconda.org, then rerun', () => {
  for (const point of ['admitted', 'published', 'confirmed', 'artifact-removed']) {
    it(`killed after "${point}": the rerun publishes each valid artifact exactly once and leaves no quarantine debris`, async () => {
      const sb = await anacondaSandbox(join(work, `crash-${point}`), emu, { concurrency: 2 });
      await sb.addFeedstock(`crash-${point}`, [`crash-${point}`]);
      await sb.commitRegistry();
      const valid: string[] = [];
      for (let i = 0; i < 4; i++) {
        const b = await sb.build({
          name: `crash-${point}`,
          version: `1.${i}`,
          build: 'h0_0',
          subdir: i % 2 ? 'linux-64' : 'noarch',
        });
        await stageOnAnaconda(sb, emu, b, { feedstock: `crash-${point}` });
        valid.push(`${b.subdir}/${b.filename}@main`);
      }
      const crashed = await runCli(['reconcile', '--config', sb.configPath], {
        env: { ...tokenEnv(), FORGEGATE_FAULT: `${point}:2` },
      });
      outputs.push(crashed.stdout, crashed.stderr);
      expect(crashed.signal).toBe('SIGKILL');
      await reconcile(sb);
      const mine = (owner: string): string[] => ownerFiles(emu, owner).filter((f) => f.includes(`crash-${point}-`));
      expect(mine('conda-forge')).toEqual(valid.sort());
      expect(mine('cf-staging')).toEqual([]);
      expect(mine('cf-post-staging')).toEqual([]);
    }, 60_000);
  }
});

describe('tokens', () => {
  it('never appear in any output, report or ledger', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
    const texts = [
      ...outputs,
      ...files(work)
        .filter((f) => !f.includes(join('build')))
        .map((f) => readFileSync(f).toString('latin1')),
    ];
    expect(texts.length).toBeGreaterThan(10);
    for (const token of Object.values(TOKENS)) for (const t of texts) expect(t.includes(token)).toBe(false);
  });
});
