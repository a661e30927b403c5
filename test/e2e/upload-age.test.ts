// An upload's age is how long forgegate has known it (the ledger), never a time the uploader chose (mtime).
// Real packages, real folders, the real CLI process.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { backdateSightings } from '../helpers/ledger-time.js';
import { stagedFiles } from '../helpers/staging-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-age-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const DAY = 86_400_000;

interface Result {
  items: { filename: string; decision: string; reason: string | null; outcome: string | null }[];
}
const reconcile = async (sb: Sandbox): Promise<Result> => {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Result;
};

async function sandbox(name: string): Promise<{ sb: Sandbox; built: Built }> {
  const sb = await Sandbox.create(join(work, name));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  return { sb, built: await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' }) };
}

describe('an honest upload copied with an old mtime (cp -p, rsync -t, reproducible builds)', () => {
  let sb: Sandbox;
  let built: Built;
  beforeAll(async () => {
    ({ sb, built } = await sandbox('old-mtime'));
    // Thirty days old by its mtime, and its .sig has not arrived yet.
    await sb.stage(built, { feedstock: 'app', unsigned: true, uploadedAtMs: Date.now() - 30 * DAY });
  }, 60_000);

  it('waits for its signature instead of being rejected and deleted on sight', async () => {
    expect((await reconcile(sb)).items).toEqual([expect.objectContaining({ decision: 'wait', outcome: 'waiting' })]);
    expect(stagedFiles(sb.stagingDir)).toEqual([`linux-64/${built.filename}`]);
  });

  it('is published when the signature arrives', async () => {
    await sb.stage(built, { feedstock: 'app', uploadedAtMs: Date.now() - 30 * DAY });
    expect((await reconcile(sb)).items).toEqual([expect.objectContaining({ outcome: 'published' })]);
    expect(channelState(sb.channelDir).records).toEqual([`linux-64/${built.filename}`]);
  });
});

describe('junk with an mtime in 2100', () => {
  let sb: Sandbox;
  let built: Built;
  beforeAll(async () => {
    ({ sb, built } = await sandbox('future-mtime'));
    const path = await sb.stage(built, { feedstock: 'app', unsigned: true });
    const future = new Date('2100-01-01T00:00:00Z');
    utimesSync(path, future, future);
  }, 60_000);

  it('is deleted once forgegate has known it for rejectRetention, whatever its mtime says', async () => {
    expect((await reconcile(sb)).items.map((i) => i.outcome)).toEqual(['waiting']);
    backdateSightings(sb.ledgerPath, 8 * DAY);
    expect((await reconcile(sb)).items).toEqual([
      expect.objectContaining({ reason: 'SIGNATURE_MISSING', outcome: 'rejected' }),
    ]);
    expect(stagedFiles(sb.stagingDir)).toEqual([]);
  });
});

describe('a lost ledger', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    let built: Built;
    ({ sb, built } = await sandbox('lost-ledger'));
    await sb.stage(built, { feedstock: 'app', unsigned: true });
  }, 60_000);

  it('can delay a deletion, never cause one: without it, an upload counts as first seen now', async () => {
    expect((await reconcile(sb)).items.map((i) => i.outcome)).toEqual(['waiting']);
    backdateSightings(sb.ledgerPath, 8 * DAY);
    rmSync(sb.ledgerPath);
    expect((await reconcile(sb)).items.map((i) => i.outcome)).toEqual(['waiting']);
    expect(stagedFiles(sb.stagingDir)).toHaveLength(1);
  });
});
