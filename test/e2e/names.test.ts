// A name conda allows but the registry cannot hold (`+`) is rejected once at plan time, never retried as a
// transient failure. Real packages, real folders, the real CLI process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;
const COMMIT = 'abcabcabcabcabcabcabcabcabcabcabcabcabca';

interface Result {
  items: { filename: string; decision: string; reason: string | null; fix: string | null; outcome: string }[];
  reports: { sent: number };
}

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.setAllowlist({ app: ['app*'] });
  await sb.commitRegistry();
  const plus = await sb.build({ name: 'app+extra', version: '1.0', build: 'h0_0', subdir: 'noarch' });
  await sb.stage(plus, { feedstock: 'app', sourceCommit: COMMIT });
}, 60_000);

describe('a name the allowlist matches but the registry cannot hold', () => {
  it('is rejected at plan time with OUTPUT_NAME_INVALID and its fix, not registered, exit 0', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items).toEqual([
      expect.objectContaining({
        filename: 'app+extra-1.0-h0_0.conda',
        decision: 'reject',
        reason: 'OUTPUT_NAME_INVALID',
        fix: expect.stringContaining('Rename the output'),
        outcome: 'rejected',
      }),
    ]);
    expect(result.reports.sent).toBe(1);
    expect(channelState(sb.channelDir).records).toEqual([]);
  });

  it('stays rejected on the next run without another report, and is never a transient failure (exit 5)', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items.map((i) => i.outcome)).toEqual(['rejected']);
    expect(result.reports.sent).toBe(0);
    const report = readFileSync(join(sb.reportsDir, 'app', `${COMMIT}.md`), 'utf8');
    expect(report.match(/\*\*OUTPUT_NAME_INVALID\*\*/g)).toHaveLength(1);
  });
});
