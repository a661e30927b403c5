// A statement lives at most policy.maxSignatureAge after it was signed, whatever its expiresAt says
// (upload-statement-v1, step 5). Real packages, real folders, the real CLI process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { toUtcString } from '../../src/util/time.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-lifetime-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const HOUR = 3_600_000;
const FAR = Date.UTC(9999, 11, 31, 23, 59, 59);

interface Result {
  items: { filename: string; decision: string; reason: string | null; detail: string | null; outcome: string | null }[];
}
let sb: Sandbox;
let stale: Built;
let fresh: Built;

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  stale = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
  fresh = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'noarch' });
  // Signed 25 hours ago, "valid until 9999-12-31": past the 24 h maximum all the same.
  await sb.stage(stale, { feedstock: 'app', issuedAtMs: Date.now() - 25 * HOUR, expiresAtMs: FAR });
  await sb.stage(fresh, { feedstock: 'app', expiresAtMs: FAR });
}, 60_000);

describe('expiresAt: 9999-12-31', () => {
  it('cannot keep a statement valid past maxSignatureAge: a preview a day on rejects the fresh one too', async () => {
    const later = toUtcString(Date.now() + 25 * HOUR);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--plan', '--now', later, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Result).items.map((i) => [i.filename, i.reason])).toEqual([
      [stale.filename, 'SIGNATURE_EXPIRED'],
      [fresh.filename, 'SIGNATURE_EXPIRED'],
    ]);
  });

  it('is rejected SIGNATURE_EXPIRED when signed longer ago than maxSignatureAge; a fresh one is published', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const items = (JSON.parse(r.stdout) as Result).items;
    expect(items.map((i) => [i.filename, i.outcome, i.reason])).toEqual([
      [stale.filename, 'rejected', 'SIGNATURE_EXPIRED'],
      [fresh.filename, 'published', null],
    ]);
    expect(items[0]!.detail).not.toContain('9999');
    expect(channelState(sb.channelDir).records).toEqual([`noarch/${fresh.filename}`]);
  });
});
