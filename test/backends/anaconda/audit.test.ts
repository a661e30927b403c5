// `forgegate audit` on anaconda.org (emulated over real HTTP): repodata per label and subdir, `/package` lookups only
// for names whose files changed since the last audit, `--full` for every upload time. Planted findings (a bypass
// upload with the channel token, a replaced file, a relabel, a re-upload of identical bytes, a removed file) are
// reported exactly, each once; hostile answers leave a part "not checked" (exit 13), never clean.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Built, Sandbox } from '../../helpers/sandbox.js';
import { runCli } from '../../helpers/cli.js';
import { AnacondaEmulator } from './emulator/server.js';
import { anacondaNow } from './emulator/state.js';
import { anacondaSandbox, emulatorForFile, stageOnAnaconda, tokenEnv } from './emulator/sandbox.js';

const { emu, work } = emulatorForFile('fg-ana-audit-');

interface Result {
  status: string;
  findings: { code: string; filename: string }[];
  notChecked: { where: string; why: string }[];
  reported: { sent: number; alreadyReported: number };
}

async function audit(
  sb: Sandbox,
  ...extra: string[]
): Promise<{ code: number | null; result: Result; packages: number }> {
  const before = emu.byRoute.get('GET /package') ?? 0;
  const r = await runCli(['audit', '--config', sb.configPath, '--json', ...extra], { env: tokenEnv() });
  if (r.stdout === '') throw new Error(r.stderr);
  return {
    code: r.code,
    result: JSON.parse(r.stdout) as Result,
    packages: (emu.byRoute.get('GET /package') ?? 0) - before,
  };
}

const file = (owner: string, basename: string) => emu.state.filesOf(owner).find((f) => f.basename === basename)!;

describe('forgegate audit on anaconda.org', () => {
  let sb: Sandbox;
  let baseline: string;
  const built: Record<string, Built> = {};
  beforeAll(async () => {
    sb = await anacondaSandbox(join(work, 'main'), emu);
    await sb.addFeedstock('app', ['app', 'legacy', 'tool']);
    await sb.commitRegistry();
    built['legacy'] = await sb.build({ name: 'legacy', version: '0.9', build: 'h0_0', subdir: 'noarch' });
    // Before the gate: uploaded with the channel token, as conda-forge did.
    emu.state.addFile({
      owner: 'conda-forge',
      package: 'legacy',
      version: '0.9',
      basename: `noarch/${built['legacy'].filename}`,
      type: 'conda',
      labels: ['main'],
      attrs: { subdir: 'noarch' },
      bytes: readFileSync(built['legacy'].path),
    });
    baseline = join(work, 'baseline');
    const b = await runCli(['audit', 'baseline', '--config', sb.configPath, '--out', baseline], { env: tokenEnv() });
    expect(b.code, b.stderr).toBe(0);
    for (const [key, name, version, label] of [
      ['a10', 'app', '1.0', 'main'],
      ['a11', 'app', '1.1', 'rc'],
      ['a13', 'app', '1.3', 'main'],
      ['tool', 'tool', '1.0', 'main'],
    ] as const) {
      built[key] = await sb.build({ name, version, build: 'h0_0', subdir: 'noarch' });
      await stageOnAnaconda(sb, emu, built[key], { feedstock: 'app', label });
    }
    const r = await runCli(['reconcile', '--config', sb.configPath], { env: tokenEnv() });
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  it('a clean channel audits clean; an unchanged channel costs no /package lookup', async () => {
    const first = await audit(sb, '--baseline', baseline);
    expect(first.code).toBe(0);
    expect(first.result).toMatchObject({ status: 'clean', findings: [], notChecked: [] });
    expect(first.packages).toBe(3); // legacy, app, tool: the first audit knows no name yet
    const second = await audit(sb, '--baseline', baseline);
    expect(second.code).toBe(0);
    expect(second.packages).toBe(0);
    const full = await audit(sb, '--baseline', baseline, '--full');
    expect(full.code).toBe(0);
    expect(full.packages).toBe(3);
  });

  it('reports exactly the planted findings, once each; a re-upload of identical bytes needs --full', async () => {
    const nb = (b: Built): string => `noarch/${b.filename}`;
    emu.state.addFile({
      owner: 'conda-forge',
      package: 'evil',
      version: '6.6.6',
      basename: 'noarch/evil-6.6.6-h0_0.conda',
      type: 'conda',
      labels: ['main'],
      attrs: {},
      bytes: Buffer.from('went around the gate'),
    });
    const legacy = file('conda-forge', nb(built['legacy']!));
    emu.state.removeFile(legacy);
    emu.state.addFile({ ...legacy, bytes: Buffer.from('other bytes'), uploadTime: anacondaNow(Date.now() + 1000) });
    file('conda-forge', nb(built['a11']!)).labels.push('main');
    const tool = file('conda-forge', nb(built['tool']!));
    emu.state.removeFile(tool);
    emu.state.addFile({
      ...tool,
      bytes: readFileSync(built['tool']!.path),
      uploadTime: anacondaNow(Date.now() + 60_000),
    });
    emu.state.removeFile(file('conda-forge', nb(built['a13']!)));

    const plain = await audit(sb, '--baseline', baseline);
    expect(plain.code).toBe(12);
    expect(plain.result.findings.map((f) => [f.code, f.filename]).sort()).toEqual(
      [
        ['AUDIT_UNKNOWN_FILE', 'evil-6.6.6-h0_0.conda'],
        ['AUDIT_REPLACED', built['legacy']!.filename],
        ['AUDIT_LABELS_CHANGED', built['a11']!.filename],
        ['AUDIT_GONE', built['a13']!.filename],
      ].sort(),
    );
    expect(plain.result.reported).toMatchObject({ sent: 4, alreadyReported: 0 });
    // Only the names whose files changed were looked up: evil, legacy, app (not tool: its repodata is unchanged).
    expect(plain.packages).toBe(3);

    const full = await audit(sb, '--baseline', baseline, '--full');
    expect(full.code).toBe(12);
    expect(full.result.findings.map((f) => f.code).sort()).toEqual(
      ['AUDIT_GONE', 'AUDIT_LABELS_CHANGED', 'AUDIT_REPLACED', 'AUDIT_REUPLOADED', 'AUDIT_UNKNOWN_FILE'].sort(),
    );
    expect(full.result.findings.find((f) => f.code === 'AUDIT_REUPLOADED')!.filename).toBe(built['tool']!.filename);
    expect(full.result.reported).toMatchObject({ sent: 1, alreadyReported: 4 });

    // Names with findings are looked up again next time, so a finding never turns into a silent "clean".
    const again = await audit(sb, '--baseline', baseline);
    expect(again.result.findings).toHaveLength(5);
    expect(again.result.reported).toMatchObject({ sent: 0, alreadyReported: 5 });
  });
});

describe('forgegate audit on anaconda.org: hostile answers', () => {
  const emu = new AnacondaEmulator();
  beforeAll(async () => {
    await emu.start();
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('repodata that is not JSON, too large, or a redirect; a /package answer that lies: not checked, exit 13', async () => {
    const sb = await anacondaSandbox(join(work, 'hostile'), emu);
    await sb.addFeedstock('app', ['app']);
    await sb.commitRegistry();
    const b = await sb.build({ name: 'app', version: '3.0', build: 'h0_0', subdir: 'linux-64' });
    await stageOnAnaconda(sb, emu, b, { feedstock: 'app' });
    expect((await runCli(['reconcile', '--config', sb.configPath], { env: tokenEnv() })).code).toBe(0);
    const answers: Record<string, (res: ServerResponse) => void> = {
      'not JSON': (res) => res.writeHead(200).end('{"packages.conda": {"x-1-0.conda": {'),
      'too large': (res) => {
        res.writeHead(200, { 'content-length': String(3 * 1024 ** 3) });
        res.destroy();
      },
      redirect: (res) => res.writeHead(302, { location: '/conda-forge/label/main/linux-64/repodata.json' }).end(),
    };
    try {
      for (const [name, answer] of Object.entries(answers)) {
        emu.onRequest = (req, res) => {
          if (req.url !== '/conda-forge/label/main/linux-64/repodata.json') return false;
          answer(res);
          return true;
        };
        const r = await audit(sb);
        expect(r.code, name).toBe(13);
        expect(r.result.status, name).toBe('incomplete');
        expect(r.result.notChecked, name).toEqual([
          { where: 'conda-forge/label/main/linux-64', why: expect.stringContaining('was not audited') as unknown },
        ]);
      }
      emu.onRequest = (req, res) => {
        if (!req.url?.startsWith('/package/')) return false;
        res.writeHead(200).end('[1, 2, 3]');
        return true;
      };
      const lie = await audit(sb, '--full');
      expect(lie.code).toBe(13);
      expect(lie.result.notChecked[0]!.why).toMatch(/no list of files; upload times in linux-64 were not checked/);
      // Index keys that are no artifact file names are findings, never names to look up: one /package, for app.
      const asked: string[] = [];
      emu.onRequest = (req, res) => {
        if (req.url?.startsWith('/package/')) asked.push(req.url);
        if (req.url !== '/conda-forge/label/main/linux-64/repodata.json') return false;
        const doc = emu.state.repodata('conda-forge', 'main', 'linux-64') as Record<string, Record<string, unknown>>;
        for (const junk of ['not-an-artifact', '../../x-1-0', 'y.whl']) doc['packages.conda']![junk] = { size: 1 };
        res.writeHead(200).end(JSON.stringify(doc));
        return true;
      };
      const junk = await audit(sb, '--full', '--no-report');
      expect(asked).toEqual(['/package/conda-forge/app']);
      expect(junk.result.findings.map((f) => [f.code, f.filename])).toEqual([
        ['AUDIT_UNKNOWN_FILE', '../../x-1-0'],
        ['AUDIT_UNKNOWN_FILE', 'not-an-artifact'],
        ['AUDIT_UNKNOWN_FILE', 'y.whl'],
      ]);
    } finally {
      emu.onRequest = null;
    }
    expect((await audit(sb, '--full')).code).toBe(0);
  });
});
