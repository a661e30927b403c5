// Allowlist globs are registry data matched against uploader-chosen names: a pattern with many `*` must not hang
// planning. Real packages, real folders, the real CLI process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-globs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;
const LONG = 'a'.repeat(190);

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  // Fourteen `*` and no `b` in the name: a backtracking regex tries every way to place them.
  await sb.setAllowlist({ app: [`${'*a'.repeat(14)}*b`, 'app-plugin-*'] });
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: LONG, version: '1.0', build: 'h0_0', subdir: 'noarch' }), { feedstock: 'app' });
  await sb.stage(await sb.build({ name: 'app-plugin-x', version: '1.0', build: 'h0_0', subdir: 'noarch' }), {
    feedstock: 'app',
  });
}, 60_000);

describe('a pathological allowlist glob', () => {
  it('is matched in linear time: the plan finishes and gives the answer Python fnmatch gives', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'], { timeoutMs: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.stdout) as { items: { filename: string; decision: string; reason: string | null }[] })
      .items;
    expect(items).toEqual([
      expect.objectContaining({ filename: `${LONG}-1.0-h0_0.conda`, reason: 'OUTPUT_NOT_REGISTERED' }),
      expect.objectContaining({ filename: 'app-plugin-x-1.0-h0_0.conda', decision: 'publish' }),
    ]);
  });
});
