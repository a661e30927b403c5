// sign and check over many files, as a feedstock's CI runs them: each file is decided on its own, the sound ones are
// signed, and every other one is named with the rule it breaks (or the input error) and a fix true for that rule.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_RULES } from '../../src/conda/package-check.js';
import { packageBytes } from '../helpers/packages.js';
import { Sandbox } from '../helpers/sandbox.js';
import { ExitCode } from '../../src/errors.js';
import { REASONS } from '../../src/reasons.js';
import { runCli } from '../helpers/cli.js';
import { DATA_DIR } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'fg batch '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const REAL = join(DATA_DIR, 'real-packages');
const art = join(work, 'build_artifacts');
let seed = '';
let sb: Sandbox;
const target = ['--channel', 'https://conda.example.org/forge', '--label', 'main'];

/** Put a package made by the project's writer into build_artifacts/<subdir>/. */
function place(spec: Parameters<typeof packageBytes>[0]): string {
  const { filename, bytes } = packageBytes(spec);
  mkdirSync(join(art, spec.subdir), { recursive: true });
  const path = join(art, spec.subdir, filename);
  writeFileSync(path, bytes);
  return path;
}

let good = '';
let bad = '';
let rattler = '';
let cph = '';
beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  const [key] = await sb.addFeedstock('app', ['app', 'bzip2', 'dummy-a', 'broken']);
  await sb.commitRegistry();
  // Sign with the key the registry holds, so check (which verifies a .sig beside an artifact) agrees with sign.
  mkdirSync(join(work, 'keys'));
  seed = join(work, 'keys', 'app.seed');
  writeFileSync(seed, `${Buffer.from(key!.seed).toString('base64')}\n`, { mode: 0o600 });
  good = place({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64', format: 'tar.bz2' });
  // conda-package-handling >= 2.5 would never write this: a metadata file installers read, in the payload.
  const brokenConda = packageBytes({
    name: 'broken',
    version: '1.0',
    build: 'h0_0',
    subdir: 'linux-64',
    format: 'conda',
    infoInPayload: { 'info/link.json': '{}' },
  });
  bad = join(art, 'linux-64', brokenConda.filename);
  writeFileSync(bad, brokenConda.bytes);
  // Two real packages the gate refused before issue 16: rattler-build's and conda-package-handling < 2.5's.
  rattler = join(art, 'linux-64', 'dummy-a-0.1.0-hb0f4dca_0.conda');
  copyFileSync(join(REAL, 'linux-64', 'dummy-a-0.1.0-hb0f4dca_0.conda'), rattler);
  cph = join(art, 'linux-64', 'bzip2-1.0.8-hd590300_5.conda');
  copyFileSync(join(REAL, 'linux-64', 'bzip2-1.0.8-hd590300_5.conda'), cph);
}, 60_000);

describe('sign over many files', () => {
  it('signs the real rattler-build and conda-package-handling < 2.5 packages a new user tried', async () => {
    const r = await runCli(['sign', '--feedstock', 'app', '--key-file', seed, ...target, rattler, cph]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('signed linux-64/dummy-a-0.1.0-hb0f4dca_0.conda');
    expect(r.stdout).toContain('signed linux-64/bzip2-1.0.8-hd590300_5.conda');
    expect(existsSync(`${rattler}.sig`) && existsSync(`${cph}.sig`)).toBe(true);
  });

  it('signs the good ones, names each other one with its rule and fix, says what happened, and exits 1', async () => {
    const unmatched = join(art, '*', '*.tar.xz');
    const r = await runCli(['sign', '--feedstock', 'app', '--key-file', seed, ...target, bad, unmatched, good]);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(`${good}.sig`)).toBe(true);
    expect(existsSync(`${bad}.sig`)).toBe(false);
    expect(r.stdout).toContain('signed linux-64/app-1.0-h0_0.tar.bz2');
    expect(r.stdout).toContain(
      `not signed ${bad}: ARTIFACT_INVALID: pkg.parts: the payload archive holds file info/link.json, inside info/ ` +
        '(only files under info/licenses/ and info/prelink_messages/ may travel there) — fix: ' +
        PACKAGE_RULES['pkg.parts']!.fix,
    );
    expect(r.stdout).toContain(`not signed ${unmatched}: FG_INPUT_MISSING: ${unmatched} matched no file — fix: `);
    expect(r.stdout).toContain('shopt -s nullglob');
    expect(r.stdout).toContain('signed 1 of 3 artifacts; not signed: 1 ARTIFACT_INVALID, 1 FG_INPUT_MISSING');
    // The generic fix is no longer "rebuild with rattler-build", which is wrong for rattler-build's own packages.
    expect(r.stdout).not.toContain('Rebuild it with current conda-build or rattler-build');
  });

  it('says the same in JSON: what was signed, and each file not signed with its code, rule and fix', async () => {
    const r = await runCli(['sign', '--feedstock', 'app', '--key-file', seed, ...target, '--json', good, bad]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      formatVersion: 1,
      ok: false,
      signed: [{ artifact: 'linux-64/app-1.0-h0_0.tar.bz2' }],
      notSigned: [{ path: bad, code: 'ARTIFACT_INVALID', rule: 'pkg.parts', fix: PACKAGE_RULES['pkg.parts']!.fix }],
    });
  });

  it('a glob that matched nothing and nothing else: the usage exit, FG_INPUT_MISSING with the nullglob fix', async () => {
    const r = await runCli(['sign', '--feedstock', 'app', '--key-file', seed, ...target, join(art, '*', '*.conda.x')]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/error\[FG_INPUT_MISSING\]: .*\*\.conda\.x matched no file/);
    expect(r.stderr).toContain('fix: The shell found no match and passed the pattern on as it was');
  });
});

describe('check over many files', () => {
  it('answers each file on its own: allowed, refused with its rule and fix, and a glob that matched nothing', async () => {
    const unmatched = join(art, '*', '*.conda.none');
    const r = await runCli([
      'check',
      '--config',
      sb.configPath,
      '--feedstock',
      'app',
      '--json',
      good,
      bad,
      unmatched,
      rattler,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { artifacts: Record<string, unknown>[] };
    expect(out.artifacts).toMatchObject([
      { artifact: 'linux-64/app-1.0-h0_0.tar.bz2', ok: true, reason: null, error: null },
      {
        artifact: 'linux-64/broken-1.0-h0_0.conda',
        ok: false,
        reason: 'ARTIFACT_INVALID',
        rule: 'pkg.parts',
        fix: PACKAGE_RULES['pkg.parts']!.fix,
      },
      { artifact: unmatched, ok: false, reason: null, error: 'FG_INPUT_MISSING' },
      { artifact: 'linux-64/dummy-a-0.1.0-hb0f4dca_0.conda', ok: true },
    ]);
    expect(out.artifacts[1]!['fix']).not.toBe(REASONS.ARTIFACT_INVALID);
    expect(String(out.artifacts[2]!['fix'])).toContain('shopt -s nullglob');
  });

  it('prints each refusal with its fix once, in text', async () => {
    const r = await runCli(['check', '--config', sb.configPath, '--feedstock', 'app', bad, good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`— fix: ${PACKAGE_RULES['pkg.parts']!.fix}`);
    expect(r.stdout.split(PACKAGE_RULES['pkg.parts']!.fix).length - 1).toBe(1);
  });
});
