// The clock decides expiry and retention: a fake one may only ever preview, never apply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/demo/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { stagedFiles } from '../helpers/staging-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-clock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' }), {
    feedstock: 'app',
  });
}, 60_000);

describe('--now', () => {
  it('refuses to apply with a fake clock (exit 2) and changes nothing', async () => {
    const before = stagedFiles(sb.stagingDir);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--now', '2100-01-01T00:00:00Z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[FG_USAGE]: --now only previews: it needs --plan');
    expect(stagedFiles(sb.stagingDir)).toEqual(before);
    expect(channelState(sb.channelDir).records).toEqual([]);
  });

  it('previews with --plan: the fresh upload would have expired by then, and nothing is touched', async () => {
    const before = stagedFiles(sb.stagingDir);
    const r = await runCli([
      'reconcile',
      '--config',
      sb.configPath,
      '--plan',
      '--now',
      '2100-01-01T00:00:00Z',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      mode: 'plan',
      now: '2100-01-01T00:00:00Z',
      items: [{ filename: 'app-1.0-h0_0.conda', reason: 'SIGNATURE_EXPIRED', outcome: null }],
    });
    expect(stagedFiles(sb.stagingDir)).toEqual(before);
  });

  it('applies with the machine clock: the same upload is published', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    expect(channelState(sb.channelDir).records).toEqual(['linux-64/app-1.0-h0_0.conda']);
    expect(stagedFiles(sb.stagingDir)).toEqual([]);
  });
});
