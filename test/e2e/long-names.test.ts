// A file name near NAME_MAX is decided, never a failure that repeats every run: temp names do not grow with it, and a
// name conda could not download (`<name>.partial` must fit 255 bytes) is rejected once and reported once. Real
// packages, real folders, the real CLI process.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { MAX_SERVED_NAME_BYTES } from '../../src/plan/planner.js';
import { TEMP_NAME } from '../../src/util/atomic-write.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-long-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const COMMIT = 'feedfeedfeedfeedfeedfeedfeedfeedfeedfeed';

interface Result {
  items: { filename: string; decision: string; reason: string | null; detail: string | null; outcome: string }[];
  reports: { sent: number; error: string | null };
}

/** `app-1.0-<build>.conda`, `bytes` long: the build string takes the length (the registry caps names at 200). */
async function buildNamed(sb: Sandbox, bytes: number): Promise<Built> {
  const build = `h${'0'.repeat(bytes - 'app-1.0-h.conda'.length)}`;
  const built = await sb.build({ name: 'app', version: '1.0', build, subdir: 'noarch' });
  expect(Buffer.byteLength(built.filename)).toBe(bytes);
  return built;
}

describe('a 251-byte staged file name (its .sig is 255 bytes: the longest a folder can stage signed)', () => {
  let sb: Sandbox;
  let built: Built;
  beforeAll(async () => {
    sb = await Sandbox.create(join(work, 'reject'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    built = await buildNamed(sb, 251);
    await sb.stage(built, { feedstock: 'app', sourceCommit: COMMIT });
  }, 60_000);

  it('is rejected ARTIFACT_INVALID with a detail naming the limit, reported once, and the run exits 0', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items).toEqual([
      expect.objectContaining({ filename: built.filename, decision: 'reject', reason: 'ARTIFACT_INVALID' }),
    ]);
    expect(result.items[0]!.detail).toContain(`file name is 251 bytes; a channel serves at most 247`);
    expect(result.reports).toEqual({ sent: 1, error: null });
    expect(channelState(sb.channelDir).files).toEqual([]);
  });

  it('stays rejected on the next run: exit 0, no second report, one row in the report file', async () => {
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Result;
    expect(result.items.map((i) => [i.decision, i.outcome])).toEqual([['reject', 'rejected']]);
    expect(result.reports).toEqual({ sent: 0, error: null });
    const report = readFileSync(join(sb.reportsDir, 'app', `${COMMIT}.md`), 'utf8');
    expect(report.match(/\*\*ARTIFACT_INVALID\*\*/g)).toHaveLength(1);
  });
});

describe(`a ${MAX_SERVED_NAME_BYTES}-byte name (the longest conda can download)`, () => {
  it('is published: the quarantine and channel temp names do not grow with it', async () => {
    const sb = await Sandbox.create(join(work, 'publish'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const built = await buildNamed(sb, MAX_SERVED_NAME_BYTES);
    await sb.stage(built, { feedstock: 'app' });
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(channelState(sb.channelDir).records).toEqual([`noarch/${built.filename}`]);
  });

  it('a run killed mid-copy leaves a fixed-length temp name the next run sweeps; the rerun publishes', async () => {
    const sb = await Sandbox.create(join(work, 'crash'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const built = await buildNamed(sb, MAX_SERVED_NAME_BYTES);
    await sb.stage(built, { feedstock: 'app' });
    // The 2nd temp file is the channel copy, written in <channel>/.forgegate-tmp/.
    const crashed = await runCli(['reconcile', '--config', sb.configPath], {
      env: { FORGEGATE_FAULT: 'temp-written:2' },
    });
    expect(crashed.signal).toBe('SIGKILL');
    const temps = readdirSync(join(sb.channelDir, '.forgegate-tmp'));
    expect(temps).toHaveLength(1);
    expect(temps[0]).toMatch(TEMP_NAME);
    const rerun = await runCli(['reconcile', '--config', sb.configPath]);
    expect(rerun.code).toBe(0);
    expect(channelState(sb.channelDir).records).toEqual([`noarch/${built.filename}`]);
    const tmp = join(sb.channelDir, '.forgegate-tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });
});
