// Publish across subdirs, formats and labels; prove the channel solves; reruns are no-ops; reports are sent once.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleSolve } from '@conda-org/rattler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { serveDirectory } from '../helpers/channel-server.js';
import { backdateSightings } from '../helpers/ledger-time.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-life-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app', 'libapp']);
  await sb.addFeedstock('numpy', ['numpy']);
  await sb.commitRegistry();
  const lib64 = await sb.build({
    name: 'libapp',
    version: '2.0',
    build: 'h0_0',
    subdir: 'linux-64',
    format: 'tar.bz2',
  });
  const libArm = await sb.build({ name: 'libapp', version: '2.0', build: 'h0_0', subdir: 'osx-arm64' });
  const app = await sb.build({
    name: 'app',
    version: '1.0',
    build: 'pyh0_0',
    subdir: 'noarch',
    noarch: 'python',
    depends: ['libapp >=2'],
  });
  const appRc = await sb.build({
    name: 'app',
    version: '1.1rc1',
    build: 'pyh0_0',
    subdir: 'noarch',
    noarch: 'python',
    depends: ['libapp >=2'],
    format: 'tar.bz2',
  });
  for (const b of [lib64, libArm, app]) await sb.stage(b, { feedstock: 'app' });
  await sb.stage(appRc, { feedstock: 'app', label: 'rc' });
  const bad = await sb.build({ name: 'numpy', version: '9.9', build: 'h0_0', subdir: 'linux-64' });
  await sb.stage(bad, { feedstock: 'app', sourceCommit: 'abcdefabcdefabcdefabcdefabcdefabcdefabcd' });
}, 60_000);

describe('reconcile lifecycle on local folders', () => {
  it('plans without changing anything', async () => {
    const before = channelState(sb.channelDir);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      formatVersion: number;
      mode: string;
      items: { decision: string; outcome: string | null }[];
    };
    expect(plan).toMatchObject({ formatVersion: 1, mode: 'plan' });
    expect(plan.items.map((i) => i.decision).sort()).toEqual(['publish', 'publish', 'publish', 'publish', 'reject']);
    expect(plan.items.every((i) => i.outcome === null)).toBe(true);
    expect(channelState(sb.channelDir)).toEqual(before);
    expect(readdirSync(join(sb.stagingDir, 'noarch')).length).toBe(4);
  });

  it('publishes .conda and .tar.bz2 across subdirs and labels, and removes them from staging', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('published');
    expect(channelState(sb.channelDir)).toEqual({
      records: [
        'label/rc/noarch/app-1.1rc1-pyh0_0.tar.bz2',
        'linux-64/libapp-2.0-h0_0.tar.bz2',
        'noarch/app-1.0-pyh0_0.conda',
        'osx-arm64/libapp-2.0-h0_0.conda',
      ],
      files: [
        'label/rc/noarch/app-1.1rc1-pyh0_0.tar.bz2',
        'linux-64/libapp-2.0-h0_0.tar.bz2',
        'noarch/app-1.0-pyh0_0.conda',
        'osx-arm64/libapp-2.0-h0_0.conda',
      ],
      disagreeing: [],
    });
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toEqual([]);
    expect(readdirSync(join(sb.stagingDir, 'linux-64')).sort()).toEqual([
      'numpy-9.9-h0_0.conda',
      'numpy-9.9-h0_0.conda.sig',
    ]);
  });

  it('serves a channel that a real conda solver resolves, per platform and label', async () => {
    const server = await serveDirectory(sb.channelDir);
    try {
      const linux = await simpleSolve(['app'], [server.url], ['linux-64', 'noarch'], undefined);
      expect(linux.map((p) => `${p.packageName}-${p.version}`).sort()).toEqual(['app-1.0', 'libapp-2.0']);
      const mac = await simpleSolve(['app'], [server.url], ['osx-arm64', 'noarch'], undefined);
      expect(mac.map((p) => p.filename).sort()).toEqual(['app-1.0-pyh0_0.conda', 'libapp-2.0-h0_0.conda']);
      const rc = await simpleSolve(
        ['app >=1.1rc1'],
        [`${server.url}/label/rc`, server.url],
        ['linux-64', 'noarch'],
        undefined,
      );
      expect(rc.map((p) => p.filename).sort()).toEqual(['app-1.1rc1-pyh0_0.tar.bz2', 'libapp-2.0-h0_0.tar.bz2']);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('does nothing on a rerun after success, and reports the failure only once', async () => {
    const before = channelState(sb.channelDir);
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
      const result = JSON.parse(r.stdout) as { items: { outcome: string }[]; reports: { sent: number } };
      expect(result.items.map((x) => x.outcome)).toEqual(['rejected']);
      expect(result.reports.sent).toBe(0);
    }
    expect(channelState(sb.channelDir)).toEqual(before);
    const report = readFileSync(join(sb.reportsDir, 'app', 'abcdefabcdefabcdefabcdefabcdefabcdefabcd.md'), 'utf8');
    expect(report.match(/\*\*OUTPUT_NOT_ALLOWED\*\*/g)).toHaveLength(1);
    expect(report).toContain('linux-64/numpy-9.9-h0_0.conda');
  }, 60_000);

  it('still reports once after the ledger is lost, and stays safe', async () => {
    rmSync(sb.ledgerPath);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const report = readFileSync(join(sb.reportsDir, 'app', 'abcdefabcdefabcdefabcdefabcdefabcdefabcd.md'), 'utf8');
    expect(report.match(/\*\*OUTPUT_NOT_ALLOWED\*\*/g)).toHaveLength(1);
    expect(channelState(sb.channelDir).records).toHaveLength(4);
    expect(existsSync(sb.ledgerPath)).toBe(true);
  });

  it('shows runs, failures and publications from the ledger', async () => {
    const pubs = await runCli(['ledger', 'publications', '--config', sb.configPath, '--json']);
    expect(pubs.code).toBe(0);
    const runs = await runCli(['ledger', 'runs', '--config', sb.configPath]);
    expect(runs.stdout).toMatch(/apply/);
    const fails = await runCli(['ledger', 'failures', '--config', sb.configPath, '--json']);
    expect((JSON.parse(fails.stdout) as { rows: { reason: string }[] }).rows.map((f) => f.reason)).toContain(
      'OUTPUT_NOT_ALLOWED',
    );
  });

  it('deletes a rejected artifact, its signature and stray signatures once rejectRetention has passed', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(sb.stagingDir, 'noarch', 'ghost-1.0-h0_0.conda.sig'), '{}');
    const soon = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect((JSON.parse(soon.stdout) as { strays: { delete: boolean }[] }).strays).toEqual([
      expect.objectContaining({ delete: false }),
    ]);
    // The run above saw them; eight days on (applying with a fake clock is refused, so the ledger ages instead).
    backdateSightings(sb.ledgerPath, 8 * 86_400_000);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { items: { reason: string; outcome: string }[] }).items).toEqual([
      expect.objectContaining({ reason: 'OUTPUT_NOT_ALLOWED', outcome: 'rejected' }),
    ]);
    expect(readdirSync(join(sb.stagingDir, 'linux-64'))).toEqual([]);
    expect(readdirSync(join(sb.stagingDir, 'noarch'))).toEqual([]);
    expect(channelState(sb.channelDir).records).toHaveLength(4);
  });
});
