// An uploader with write access to staging only, attacking the run between its listing and its actions, and an
// operator's staging layout that would let them. Real packages, real folders, the real CLI process.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli, runCliPaused } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { backdateSightings } from '../helpers/ledger-time.js';
import { stagedFiles } from '../helpers/staging-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-staging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const DAY = 86_400_000;
const LIVE = 'app-1.0-h0_0.conda';

interface Result {
  items: { filename: string; decision: string; reason: string | null; outcome: string | null; detail: string }[];
  strays: { kind: string; subdir: string | null; filename: string; delete: boolean }[];
}
let sb: Sandbox;
let liveBytes: Buffer;

/** The published file is still served, byte for byte, and repodata names only files that exist. */
function expectChannelIntact(): void {
  expect(readFileSync(join(sb.channelDir, 'linux-64', LIVE))).toEqual(liveBytes);
  const state = channelState(sb.channelDir);
  expect(state.records).toContain(`linux-64/${LIVE}`);
  for (const r of state.records) expect(state.files).toContain(r);
}

/** What the uploader does after the listing: the folder becomes a symlink into the channel. */
function swapForChannelLink(subdir: string): () => void {
  return () => {
    renameSync(join(sb.stagingDir, subdir), join(sb.root, `${subdir}.moved`));
    symlinkSync(join(sb.channelDir, 'linux-64'), join(sb.stagingDir, subdir));
  };
}
function undoSwap(subdir: string): void {
  unlinkSync(join(sb.stagingDir, subdir));
  renameSync(join(sb.root, `${subdir}.moved`), join(sb.stagingDir, subdir));
}
const alerts = (): string[] =>
  existsSync(join(sb.reportsDir, '_alerts'))
    ? readdirSync(join(sb.reportsDir, '_alerts')).map((f) => readFileSync(join(sb.reportsDir, '_alerts', f), 'utf8'))
    : [];

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  await sb.stage(await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' }), {
    feedstock: 'app',
  });
  expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
  liveBytes = readFileSync(join(sb.channelDir, 'linux-64', LIVE));
}, 60_000);

describe('a published file deleted without any key', () => {
  beforeAll(() => {
    // Junk under the live name, in a folder of the uploader's own, dated 8 days back.
    mkdirSync(join(sb.stagingDir, 'zz'));
    writeFileSync(join(sb.stagingDir, 'zz', LIVE), 'junk');
    const old = new Date(Date.now() - 8 * DAY);
    utimesSync(join(sb.stagingDir, 'zz', LIVE), old, old);
  });

  it('zz/ is no subdir: its file is a stray, first seen now whatever its mtime, so nothing is deleted', async () => {
    const r = await runCliPaused(
      ['reconcile', '--config', sb.configPath, '--json'],
      'planned',
      swapForChannelLink('zz'),
    );
    undoSwap('zz');
    expect(r.pausedAt).toBe(true);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items).toEqual([]);
    expect(result.strays).toEqual([expect.objectContaining({ kind: 'unknown-subdir', subdir: 'zz', delete: false })]);
    expectChannelIntact();
  });

  it('past retention, a folder swapped for a symlink into the channel is a security alert, never a deletion', async () => {
    backdateSightings(sb.ledgerPath, 8 * DAY);
    const r = await runCliPaused(['reconcile', '--config', sb.configPath], 'planned', swapForChannelLink('zz'));
    undoSwap('zz');
    expect(r.code).toBe(6);
    expectChannelIntact();
    expect(readFileSync(join(sb.stagingDir, 'zz', LIVE), 'utf8')).toBe('junk');
    expect(alerts()).toEqual([expect.stringContaining('STAGING_CHANGED')]);
    // Unswapped, the stray is simply cleaned up.
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
    expect(existsSync(join(sb.stagingDir, 'zz', LIVE))).toBe(false);
    expectChannelIntact();
  });

  it('the same swap of a known subdir (linux-64/) is a security alert too', async () => {
    writeFileSync(join(sb.stagingDir, 'linux-64', LIVE), 'junk'); // no signature: SIGNATURE_MISSING
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
    backdateSightings(sb.ledgerPath, 8 * DAY);
    const r = await runCliPaused(['reconcile', '--config', sb.configPath], 'planned', swapForChannelLink('linux-64'));
    undoSwap('linux-64');
    expect(r.code).toBe(6);
    expectChannelIntact();
    expect(alerts()).toHaveLength(2);
    rmSync(join(sb.stagingDir, 'linux-64', LIVE));
  });
});

describe('a staged file replaced by a FIFO after the listing', () => {
  it('fails that item (exit 5) instead of hanging the run and holding the lock; the FIFO is then a stray', async () => {
    const built = await sb.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'noarch' });
    const path = await sb.stage(built, { feedstock: 'app' });
    const r = await runCliPaused(
      ['reconcile', '--config', sb.configPath, '--json'],
      'planned',
      () => {
        unlinkSync(path);
        execFileSync('mkfifo', [path]);
      },
      { timeoutMs: 30_000 },
    );
    expect(r.signal).toBeNull();
    expect(r.code).toBe(5);
    expect((JSON.parse(r.stdout) as Result).items).toEqual([
      expect.objectContaining({ outcome: 'failed', detail: expect.stringContaining('is not a regular file') }),
    ]);
    const next = await runCli(['reconcile', '--config', sb.configPath, '--json'], { timeoutMs: 30_000 });
    expect(next.code).toBe(0);
    expect((JSON.parse(next.stdout) as Result).strays.map((s) => [s.kind, s.filename])).toEqual([
      ['signature', `${built.filename}.sig`],
      ['other', built.filename],
    ]);
    rmSync(path);
    rmSync(`${path}.sig`);
  });
});

describe('a subdir named label', () => {
  it('never publishes into the channel’s label/ namespace: it is a stray', async () => {
    const built = await sb.build({ name: 'app', version: '3.0', build: 'h0_0', subdir: 'label' });
    await sb.stage(built, { feedstock: 'app' });
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items).toEqual([]);
    expect(result.strays).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'unknown-subdir', subdir: 'label' })]),
    );
    expect(existsSync(join(sb.channelDir, 'label', built.filename))).toBe(false);
    expect(existsSync(join(sb.channelDir, 'label', 'repodata.json'))).toBe(false);
    rmSync(join(sb.stagingDir, 'label'), { recursive: true });
  });
});

describe('files that are neither artifacts nor signatures', () => {
  it('are strays, deleted once forgegate has known them for rejectRetention', async () => {
    writeFileSync(join(sb.stagingDir, 'noarch', 'README.txt'), 'hello');
    symlinkSync(join(sb.channelDir, 'linux-64', LIVE), join(sb.stagingDir, 'noarch', 'link-1.0-h0_0.conda'));
    const first = JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--json'])).stdout) as Result;
    expect(first.strays.map((s) => [s.kind, s.filename, s.delete])).toEqual([
      ['other', 'README.txt', false],
      ['other', 'link-1.0-h0_0.conda', false],
    ]);
    backdateSightings(sb.ledgerPath, 8 * DAY);
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
    expect(stagedFiles(sb.stagingDir).filter((f) => f.startsWith('noarch/'))).toEqual([]);
    expectChannelIntact(); // the symlink itself went, never what it pointed to
  });
});

describe('a staging layout that lets uploaders rename or replace subdirs', () => {
  it('a root others may write to is refused at start-up (exit 10) with the exact chmod', async () => {
    chmodSync(sb.stagingDir, 0o777);
    try {
      for (const args of [[], ['--plan']]) {
        const r = await runCli(['reconcile', '--config', sb.configPath, ...args]);
        expect(r.code).toBe(10);
        expect(r.stderr).toContain(`error[FG_UNSAFE_LAYOUT]: the staging folder ${sb.stagingDir} lets uploaders`);
        expect(r.stderr).toContain(`fix: chmod go-w '${sb.stagingDir}'`);
      }
    } finally {
      chmodSync(sb.stagingDir, 0o755);
    }
  });

  it('a shared subdir without the sticky bit is refused (chmod +t); with it, the run goes ahead', async () => {
    const noarch = join(sb.stagingDir, 'noarch');
    chmodSync(noarch, 0o777);
    const r = await runCli(['reconcile', '--config', sb.configPath]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain(`fix: chmod +t '${noarch}'`);
    chmodSync(noarch, 0o1777);
    expect((await runCli(['reconcile', '--config', sb.configPath])).code).toBe(0);
  });

  it('a subdir that is a symlink is refused, with the commands that replace it by a folder', async () => {
    const link = join(sb.stagingDir, 'osx-64');
    symlinkSync(join(sb.channelDir, 'linux-64'), link);
    try {
      const r = await runCli(['reconcile', '--config', sb.configPath]);
      expect(r.code).toBe(10);
      expect(r.stderr).toContain(`fix: rm '${link}' && mkdir -m 1777 '${link}'`);
    } finally {
      unlinkSync(link);
    }
    expectChannelIntact();
  });
});
