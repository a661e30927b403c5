// `forgegate audit --full` on a folder channel re-hashes the stored bytes: a swap of equal size with the index left
// alone and the mtime put back (invisible to the default pass, which trusts the index, the size and the mtime) is
// AUDIT_REPLACED; a symbolic link under an artifact's name is not followed. The channel is never changed.
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e audit full '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  status: string;
  findings: { code: string; filename: string; detail: string; observed: { notes: string[] } | null }[];
}

async function audit(sb: Sandbox, ...extra: string[]): Promise<{ code: number | null; result: Result }> {
  const r = await runCli(['audit', '--config', sb.configPath, '--json', '--no-report', ...extra]);
  return { code: r.code, result: JSON.parse(r.stdout || '{}') as Result };
}

describe('forgegate audit --full, folder channel', () => {
  it('finds bytes swapped at equal size with the mtime restored; the default pass cannot', async () => {
    const sb = await Sandbox.create(join(work, 'sb'));
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const built = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
    const other = await sb.build({ name: 'app', version: '1.1', build: 'h0_0', subdir: 'noarch' });
    await sb.stage(built, { feedstock: 'app' });
    await sb.stage(other, { feedstock: 'app' });
    const r = await runCli(['reconcile', '--config', sb.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const clean = await audit(sb, '--full');
    expect(clean.code).toBe(0);
    expect(clean.result.status).toBe('clean');

    // The attacker flips one byte in the middle and puts the mtime back: same size, same index, same upload time.
    const path = join(sb.channelDir, 'noarch', built.filename);
    const st = statSync(path);
    const bytes = readFileSync(path);
    const mid = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
    writeFileSync(path, bytes);
    utimesSync(path, st.atimeMs / 1000, st.mtimeMs / 1000);
    // The folder's upload time is the mtime in whole milliseconds: put back to that precision at least.
    expect(Math.floor(statSync(path).mtimeMs)).toBe(Math.floor(st.mtimeMs));
    const before = channelState(sb.channelDir);

    const quick = await audit(sb);
    expect(quick.code).toBe(0);
    expect(quick.result.status).toBe('clean');

    const full = await audit(sb, '--full');
    // Read only: hashing everything changed nothing (not even an mtime).
    expect(channelState(sb.channelDir)).toEqual(before);
    expect(full.code).toBe(12);
    expect(full.result.findings.map((f) => [f.code, f.filename])).toEqual([['AUDIT_REPLACED', built.filename]]);
    const swapped = full.result.findings[0]!;
    expect(swapped.detail).toMatch(/^other bytes than published: main: the stored bytes differ \(sha256 [0-9a-f]{64}/);
    expect(swapped.detail).not.toContain(built.digests.sha256);
    expect(swapped.observed?.notes).toEqual([expect.stringMatching(/^main: stored bytes have sha256 [0-9a-f]{64}$/)]);

    // A symbolic link to the very bytes that were published is still no stored file: --full does not follow it.
    const target = join(work, 'outside.conda');
    writeFileSync(target, readFileSync(other.path));
    const otherPath = join(sb.channelDir, 'noarch', other.filename);
    unlinkSync(otherPath);
    symlinkSync(target, otherPath);
    const linked = await audit(sb, '--full');
    expect(linked.result.findings.map((f) => [f.code, f.filename, f.detail])).toEqual([
      ['AUDIT_REPLACED', built.filename, swapped.detail],
      ['AUDIT_REPLACED', other.filename, 'other bytes than published: main: stored size -1'],
    ]);
  }, 120_000);
});
