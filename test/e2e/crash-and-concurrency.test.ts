// A run killed at any step, then rerun, publishes every valid artifact exactly once and nothing invalid;
// two runs at once never both apply.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { RunLock } from '../../src/ledger/lock.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-crash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function scenario(name: string): Promise<{ sb: Sandbox; valid: string[]; invalid: string[] }> {
  const sb = await Sandbox.create(join(work, name), { policy: { concurrency: 2 } });
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  const valid: string[] = [];
  for (const [i, subdir] of ['noarch', 'linux-64', 'osx-64', 'win-64'].entries()) {
    const b = await sb.build({
      name: 'app',
      version: `1.${i}`,
      build: 'h0_0',
      subdir,
      format: i % 2 ? 'tar.bz2' : 'conda',
    });
    await sb.stage(b, { feedstock: 'app' });
    valid.push(`${subdir}/${b.filename}`);
  }
  const unsafe = await sb.build({
    name: 'app',
    version: '6.6',
    build: 'h0_0',
    subdir: 'linux-64',
    extraEntries: [{ name: '/etc/passwd', type: 'file', content: 'x' }],
  });
  await sb.stage(unsafe, { feedstock: 'app' });
  return { sb, valid, invalid: [`linux-64/${unsafe.filename}`] };
}

function staged(sb: Sandbox, withSignatures = false): string[] {
  return readdirSync(sb.stagingDir)
    .flatMap((d) =>
      readdirSync(join(sb.stagingDir, d))
        .filter((f) => withSignatures || !f.endsWith('.sig'))
        .map((f) => `${d}/${f}`),
    )
    .sort();
}

describe('crash mid-apply, then rerun', () => {
  for (const [point, nth] of [
    ['admitted', 2],
    ['verified', 2],
    ['published', 2],
    ['flushed', 1],
    ['confirmed', 2],
    ['recorded', 2],
    ['artifact-removed', 2],
    ['staging-removed', 2],
  ] as const) {
    it(`killed after "${point}" (${nth === 1 ? 'the one index write' : '2nd item'}): the rerun publishes every valid artifact exactly once`, async () => {
      const { sb, valid, invalid } = await scenario(`crash-${point}`);
      const crashed = await runCli(['reconcile', '--config', sb.configPath], {
        env: { FORGEGATE_FAULT: `${point}:${nth}` },
      });
      expect(crashed.signal).toBe('SIGKILL');
      const mid = channelState(sb.channelDir);
      for (const r of mid.records) expect(mid.files).toContain(r); // repodata never names a missing file
      const rerun = await runCli(['reconcile', '--config', sb.configPath]);
      expect(rerun.code).toBe(0);
      const state = channelState(sb.channelDir);
      expect(state.records).toEqual([...valid].sort());
      expect(state.disagreeing).toEqual([]); // every repodata.json.zst holds exactly its repodata.json
      expect(state.files).toEqual([...valid].sort());
      expect(staged(sb)).toEqual(invalid);
      // No signature is left behind either, even when the kill fell between deleting an artifact and its .sig.
      expect(staged(sb, true)).toEqual([...invalid, ...invalid.map((i) => `${i}.sig`)].sort());
      const again = await runCli(['reconcile', '--config', sb.configPath, '--json']);
      expect((JSON.parse(again.stdout) as { items: { outcome: string }[] }).items.map((i) => i.outcome)).toEqual([
        'rejected',
      ]);
    }, 60_000);
  }
});

describe('overlapping runs', () => {
  it('a run started while another holds the lock exits 4 and changes nothing', async () => {
    const { sb } = await scenario('locked');
    const ledger = new Ledger(sb.ledgerPath);
    const lock = new RunLock(ledger);
    lock.acquire();
    try {
      const before = channelState(sb.channelDir);
      const r = await runCli(['reconcile', '--config', sb.configPath]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('error[FG_LOCKED]');
      expect(channelState(sb.channelDir)).toEqual(before);
      expect(staged(sb)).toHaveLength(5);
    } finally {
      lock.release();
      ledger.close();
    }
  });

  it('two runs started together: at most one applies, and every artifact is published once', async () => {
    const { sb, valid } = await scenario('together');
    const [a, b] = await Promise.all([
      runCli(['reconcile', '--config', sb.configPath, '--json']),
      runCli(['reconcile', '--config', sb.configPath, '--json']),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes[0]).toBe(0);
    expect([0, 4]).toContain(codes[1]);
    const publishedBy = [a, b]
      .filter((r) => r.code === 0)
      .map(
        (r) =>
          (JSON.parse(r.stdout) as { items: { outcome: string }[] }).items.filter((i) => i.outcome === 'published')
            .length,
      );
    expect(publishedBy.reduce((x, y) => x + y, 0)).toBe(valid.length);
    expect(channelState(sb.channelDir).records).toEqual([...valid].sort());
  }, 60_000);
});
