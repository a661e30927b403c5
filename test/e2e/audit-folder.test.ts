// `forgegate audit` on a folder channel: a clean channel audits clean; each planted finding (a bypass upload straight
// into the channel folder, a replaced file, a relabel, a re-upload of identical bytes, a removed file) is reported
// exactly, each once; an admin's yank is no finding; a tampered manifest is caught; a hostile index is "not
// checked", never clean. The channel is never changed by the audit.
import {
  copyFileSync,
  mkdirSync,
  symlinkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e audit folder '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Finding {
  code: string;
  severity: string;
  subdir: string;
  filename: string;
}
interface Result {
  formatVersion: number;
  status: string;
  findings: Finding[];
  notChecked: { where: string; why: string }[];
  reported: { sent: number; alreadyReported: number };
}

async function audit(
  sb: Sandbox,
  ...extra: string[]
): Promise<{ code: number | null; result: Result; stderr: string }> {
  const r = await runCli(['audit', '--config', sb.configPath, '--json', ...extra]);
  return { code: r.code, result: JSON.parse(r.stdout || '{}') as Result, stderr: r.stderr };
}

async function reconcile(sb: Sandbox): Promise<void> {
  const r = await runCli(['reconcile', '--config', sb.configPath]);
  expect(r.code, r.stderr).toBe(0);
}

const alerts = (sb: Sandbox): string[] => {
  try {
    return readdirSync(join(sb.reportsDir, '_alerts')).filter((f) => f.includes('AUDIT_FINDING'));
  } catch {
    return [];
  }
};

let sb: Sandbox;
let baseline: string;
const built: Record<string, Built> = {};

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app', 'legacy']);
  await sb.commitRegistry();
  // What the channel held before the gate: published, then the ledger is gone, so only the baseline knows it.
  built['legacy'] = await sb.build({ name: 'legacy', version: '0.9', build: 'h0_0', subdir: 'noarch' });
  await sb.stage(built['legacy'], { feedstock: 'app' });
  await reconcile(sb);
  for (const s of ['', '-wal', '-shm']) rmSync(`${sb.ledgerPath}${s}`, { force: true });
  baseline = join(work, 'baseline');
  const b = await runCli(['audit', 'baseline', '--config', sb.configPath, '--out', baseline, '--json']);
  expect(b.code, b.stderr).toBe(0);
  for (const [key, version, label] of [
    ['a10', '1.0', 'main'],
    ['a11', '1.1', 'rc'],
    ['a12', '1.2', 'main'],
  ] as const) {
    built[key] = await sb.build({ name: 'app', version, build: 'h0_0', subdir: 'noarch' });
    await sb.stage(built[key], { feedstock: 'app', label });
  }
  await reconcile(sb);
}, 120_000);

describe('forgegate audit, folder channel', () => {
  it('the baseline is one sorted JSON Lines file per subdir with labels, digests, size and upload time', () => {
    const lines = readFileSync(join(baseline, 'noarch.jsonl'), 'utf8').trim().split('\n');
    const legacy = built['legacy']!;
    const mtime = statSync(join(sb.channelDir, 'noarch', legacy.filename)).mtimeMs;
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {
        file: legacy.filename,
        subdir: 'noarch',
        labels: ['main'],
        sha256: legacy.digests.sha256,
        md5: legacy.digests.md5,
        size: legacy.digests.size,
        uploadedAt: new Date(Math.floor(mtime)).toISOString(),
      },
    ]);
  });

  it('a clean channel audits clean (exit 0), with and without the baseline knowing the pre-gate file', async () => {
    const before = channelState(sb.channelDir);
    const clean = await audit(sb, '--baseline', baseline);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.result).toMatchObject({ formatVersion: 1, status: 'clean', findings: [], notChecked: [] });
    const text = await runCli(['audit', '--config', sb.configPath, '--baseline', baseline]);
    expect(text.stdout).toMatch(/audited 4 files in \d+ subdirs/);
    expect(text.stdout).toMatch(/\nclean: everything in the channel came through the gate/);
    // Without the baseline the pre-gate file is unknown: the audit never guesses.
    const without = await audit(sb, '--no-report');
    expect(without.code).toBe(12);
    expect(without.result.findings.map((f) => [f.code, f.filename])).toEqual([
      ['AUDIT_UNKNOWN_FILE', built['legacy']!.filename],
    ]);
    expect(channelState(sb.channelDir)).toEqual(before);
  });

  it('reports exactly the planted findings, each once; a second audit sends nothing new', async () => {
    const noarch = join(sb.channelDir, 'noarch');
    // 1. A bypass upload straight into the channel folder (the index untouched).
    writeFileSync(join(noarch, 'evil-6.6.6-h0_0.conda'), 'not what the gate let in');
    // 2. The pre-gate file replaced with other bytes.
    writeFileSync(
      join(noarch, built['legacy']!.filename),
      Buffer.concat([readFileSync(built['legacy']!.path), Buffer.from('x')]),
    );
    // 3. rc promoted to main: the file copied over with its mtime, and main's index told about it.
    const a11 = built['a11']!.filename;
    const rcFile = join(sb.channelDir, 'label', 'rc', 'noarch', a11);
    copyFileSync(rcFile, join(noarch, a11));
    const st = statSync(rcFile);
    utimesSync(join(noarch, a11), st.atime, st.mtime);
    const repodata = JSON.parse(readFileSync(join(noarch, 'repodata.json'), 'utf8')) as {
      'packages.conda': Record<string, unknown>;
    };
    const rcIndex = JSON.parse(readFileSync(join(sb.channelDir, 'label', 'rc', 'noarch', 'repodata.json'), 'utf8')) as {
      'packages.conda': Record<string, unknown>;
    };
    repodata['packages.conda'][a11] = rcIndex['packages.conda'][a11];
    writeFileSync(join(noarch, 'repodata.json'), JSON.stringify(repodata));
    rmSync(join(noarch, 'repodata.json.zst'), { force: true });
    // 4. Identical bytes uploaded again (a new mtime).
    const a12 = join(noarch, built['a12']!.filename);
    const bytes = readFileSync(a12);
    unlinkSync(a12);
    writeFileSync(a12, bytes);
    utimesSync(a12, new Date(), new Date(Date.now() + 5000));
    // 5. A published file removed.
    unlinkSync(join(noarch, built['a10']!.filename));

    const first = await audit(sb, '--baseline', baseline);
    expect(first.code, first.stderr).toBe(12);
    expect(first.result.status).toBe('findings');
    expect(first.result.findings.map((f) => [f.code, f.severity, f.filename]).sort()).toEqual(
      [
        ['AUDIT_GONE', 'warning', built['a10']!.filename],
        ['AUDIT_LABELS_CHANGED', 'high', a11],
        ['AUDIT_REPLACED', 'critical', built['legacy']!.filename],
        ['AUDIT_REUPLOADED', 'high', built['a12']!.filename],
        ['AUDIT_UNKNOWN_FILE', 'critical', 'evil-6.6.6-h0_0.conda'],
      ].sort(),
    );
    expect(first.result.reported).toMatchObject({ sent: 5, alreadyReported: 0 });
    expect(alerts(sb)).toHaveLength(5);

    const again = await audit(sb, '--baseline', baseline);
    expect(again.code).toBe(12);
    expect(again.result.findings).toHaveLength(5);
    expect(again.result.reported).toMatchObject({ sent: 0, alreadyReported: 5 });
    expect(alerts(sb)).toHaveLength(5);

    // The same findings from the manifest alone; a tampered manifest is caught.
    const manifest = join(work, 'publications.jsonl');
    const m = await runCli(['audit', 'manifest', '--config', sb.configPath, '--out', manifest]);
    expect(m.code, m.stderr).toBe(0);
    const fromManifest = await audit(sb, '--baseline', baseline, '--manifest', manifest, '--no-report');
    expect(fromManifest.code).toBe(12);
    expect(fromManifest.result.findings.map((f) => f.code).sort()).toEqual(
      first.result.findings.map((f) => f.code).sort(),
    );
    const lines = readFileSync(manifest, 'utf8').trim().split('\n');
    writeFileSync(manifest, `${[lines[1], lines[0], ...lines.slice(2)].join('\n')}\n`);
    const tampered = await runCli(['audit', '--config', sb.configPath, '--manifest', manifest]);
    expect(tampered.code).toBe(6);
    expect(tampered.stderr).toMatch(/error\[FG_AUDIT_TAMPERED\]/);
  });
});

describe('forgegate audit: admin moves, hostile indexes', () => {
  it("an admin's yank is no finding; a hostile index is not checked (exit 13), never clean", async () => {
    const s = await Sandbox.create(join(work, 'yank'));
    await s.addFeedstock('app', ['app']);
    await s.commitRegistry();
    const b = await s.build({ name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64' });
    await s.stage(b, { feedstock: 'app' });
    await reconcile(s);
    const y = await runCli(['yank', '--config', s.configPath, '--reason', 'bad', `linux-64/${b.filename}`]);
    expect(y.code, y.stderr).toBe(0);
    const clean = await audit(s);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.result.status).toBe('clean');

    writeFileSync(join(s.channelDir, 'linux-64', 'repodata.json'), '{"packages": {"a-1-0.tar.bz2": {"size": 1}');
    const hostile = await audit(s);
    expect(hostile.code).toBe(13);
    expect(hostile.result.status).toBe('incomplete');
    expect(hostile.result.notChecked).toEqual([
      {
        where: 'linux-64',
        why: expect.stringMatching(/index cannot be read.*subdir linux-64 was not audited/) as unknown,
      },
    ]);
    const text = await runCli(['audit', '--config', s.configPath]);
    expect(text.stdout).toMatch(/NOT CHECKED linux-64/);
    expect(text.stdout).toMatch(/\nINCOMPLETE: 1 part\(s\) not checked/);

    // A subdir replaced by a symbolic link (to files the gate never saw) is refused, not followed or skipped.
    rmSync(join(s.channelDir, 'linux-64'), { recursive: true, force: true });
    mkdirSync(join(work, 'elsewhere'));
    writeFileSync(join(work, 'elsewhere', 'evil-1-h0_0.conda'), 'x');
    symlinkSync(join(work, 'elsewhere'), join(s.channelDir, 'linux-64'));
    const linked = await audit(s);
    expect(linked.code).toBe(13);
    expect(linked.result.notChecked).toEqual([
      { where: 'linux-64', why: expect.stringContaining('not a folder (a symbolic link is not followed)') as unknown },
    ]);
  });
});
