// The report flood against the outbox, with the real CLI: 300 junk uploads claim a keyed feedstock (two with a
// 60,000-character key id); its report file stays under GitHub's 65,536 characters, counting what it cannot list,
// and a report that cannot be written for one feedstock never stops the others. Real folders, the real CLI process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { stageJunkClaims } from '../helpers/junk-claims.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-report-bounds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  items: { outcome: string; reason: string; detail: string }[];
  reports: { sent: number; error: string | null };
}

async function run(sb: Sandbox, env: Record<string, string> = {}): Promise<{ code: number | null; result: Result }> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json'], { env });
  return { code: r.code, result: JSON.parse(r.stdout) as Result };
}

describe('the report flood, into the outbox', () => {
  it('ends with one report file under 65,536 characters that lists or counts every failure once', async () => {
    const sb = await Sandbox.create(join(work, 'flood'));
    await sb.addFeedstock('numpy', ['numpy']);
    await sb.commitRegistry();
    await stageJunkClaims(sb, { feedstock: 'numpy', name: 'numpy', count: 300, longKeyIds: 2, keyIdLength: 60_000 });
    const { code, result } = await run(sb);
    expect(code).toBe(0);
    expect(result.reports).toEqual({ sent: 300, error: null });
    // The claimed key id is cut where it enters: the run's own output holds no 60,000-character detail either.
    const long = result.items.filter((i) => i.detail.includes('kkkk'));
    expect(long).toHaveLength(2);
    for (const i of long) expect(i.detail).toMatch(/k+…\(59,9\d\d more characters\)/);
    const file = join(sb.reportsDir, 'numpy', 'unknown.md');
    const body = readFileSync(file, 'utf8');
    expect(body.length).toBeLessThanOrEqual(65_536);
    const listed = body.match(/<!-- forgegate:failure /g)!.length;
    const counted = Number(/\*\*(\d+) more failures are not listed here\*\*/.exec(body)![1]);
    expect(listed + counted).toBe(300);
    expect(body).toContain('`forgegate ledger failures --feedstock numpy`');

    // Again, and again with the ledger lost: nothing is sent twice, the file does not change.
    expect(await run(sb)).toMatchObject({ code: 0, result: { reports: { sent: 0 } } });
    rmSync(sb.ledgerPath);
    expect((await run(sb)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(body);
  }, 120_000);

  it('names the reconciler run where every failure is listed, when it runs in GitHub Actions', async () => {
    const sb = await Sandbox.create(join(work, 'link'));
    await sb.addFeedstock('numpy', ['numpy']);
    await sb.commitRegistry();
    await stageJunkClaims(sb, { feedstock: 'numpy', name: 'numpy', count: 150, longKeyIds: 0, keyIdLength: 0 });
    const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '77' };
    expect((await run(sb, env)).code).toBe(0);
    const body = readFileSync(join(sb.reportsDir, 'numpy', 'unknown.md'), 'utf8');
    expect(body).toContain('[latest run](https://github.com/o/r/actions/runs/77)');
  }, 120_000);
});

describe('a report that cannot be written for one feedstock', () => {
  it('leaves it for the next run (exit 5) and delivers the others; the next run delivers it (exit 0)', async () => {
    const sb = await Sandbox.create(join(work, 'one-fails'));
    await sb.addFeedstock('aaa', ['aaa']);
    await sb.addFeedstock('zzz', ['zzz']);
    await sb.commitRegistry();
    await stageJunkClaims(sb, { feedstock: 'aaa', name: 'aaa', count: 3, longKeyIds: 0, keyIdLength: 0 });
    await stageJunkClaims(sb, { feedstock: 'zzz', name: 'zzz', count: 2, longKeyIds: 0, keyIdLength: 0 });
    // A file where aaa's report folder must be: its report cannot be written.
    writeFileSync(join(sb.reportsDir, 'aaa'), 'not a folder');
    const first = await run(sb);
    expect(first.code).toBe(5);
    expect(first.result.reports.sent).toBe(2);
    expect(first.result.reports.error).toMatch(/^1 of 2 reports not delivered \(aaa: /);
    const zzz = readFileSync(join(sb.reportsDir, 'zzz', 'unknown.md'), 'utf8');
    expect(zzz.match(/<!-- forgegate:failure /g)).toHaveLength(2);

    rmSync(join(sb.reportsDir, 'aaa'));
    const second = await run(sb);
    expect(second.code).toBe(0);
    expect(second.result.reports).toEqual({ sent: 3, error: null });
    expect(
      readFileSync(join(sb.reportsDir, 'aaa', 'unknown.md'), 'utf8').match(/<!-- forgegate:failure /g),
    ).toHaveLength(3);
    expect(readFileSync(join(sb.reportsDir, 'zzz', 'unknown.md'), 'utf8')).toBe(zzz);
  }, 120_000);
});
