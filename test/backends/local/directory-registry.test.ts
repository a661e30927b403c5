import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeOutput } from '../../../src/registry/authorize.js';
import { DirectoryRegistry } from '../../../src/backends/local/directory-registry.js';
import { lintRegistry } from '../../../src/backends/local/registry-lint.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatOutputFile,
  outputPath,
} from '../../../src/registry/layout.js';
import { confusableKey } from '../../../src/registry/authorize.js';
import { DATA_DIR } from '../../helpers/paths.js';
import YAML from 'yaml';

interface Data {
  outputs: Record<string, string[]>;
  config: Record<string, string[]>;
  registry_config: object;
}
const data = JSON.parse(readFileSync(join(DATA_DIR, 'feedstock-outputs.json'), 'utf8')) as Data;
const work = mkdtempSync(join(tmpdir(), 'fg-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}
const git = (root: string, ...args: string[]): string =>
  execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args])
    .toString()
    .trim();

describe('directory registry laid out from the real conda-forge snapshot', () => {
  const root = join(work, 'real');
  beforeAll(() => {
    write(root, CONFIG_FILE, JSON.stringify(data.registry_config));
    write(root, ALLOWLIST_FILE, YAML.stringify(data.config));
    for (const [name, feedstocks] of Object.entries(data.outputs))
      write(root, outputPath(name, DEFAULT_REGISTRY_CONFIG), formatOutputFile(feedstocks));
  }, 60_000);

  it('answers ownership of real names exactly as the registry lists them', async () => {
    const registry = new DirectoryRegistry(root);
    const snap = await registry.snapshot({
      names: ['libgfortran', 'async-timeout', 'async_timeout', 'numpy', 'libllvm99-new', 'no-such-package-xyz'],
      feedstocks: [],
    });
    expect(snap.commit).toBeNull();
    expect(snap.outputs.get('libgfortran')).toEqual([
      'libgfortran',
      'gfortran_impl_osx-64',
      'm2w64-gcc-libs',
      'ctng-compilers',
    ]);
    for (const f of ['libgfortran', 'gfortran_impl_osx-64', 'm2w64-gcc-libs', 'ctng-compilers']) {
      expect(authorizeOutput(snap, f, 'libgfortran')).toMatchObject({ ok: true, register: false });
    }
    expect(authorizeOutput(snap, 'numpy', 'libgfortran')).toMatchObject({ ok: false, reason: 'OUTPUT_NOT_ALLOWED' });
    expect(snap.outputs.get('async-timeout')).toEqual(data.outputs['async-timeout']);
    expect(snap.outputs.get('async_timeout')).toEqual(data.outputs['async_timeout']);
    expect(authorizeOutput(snap, 'llvmdev', 'libllvm99-new')).toMatchObject({
      ok: true,
      register: true,
      via: 'allowlist',
    });
    expect(authorizeOutput(snap, 'numpy', 'no-such-package-xyz')).toMatchObject({
      ok: false,
      reason: 'OUTPUT_NOT_REGISTERED',
    });
  });

  it('keeps every one of the 18 groups of look-alike names with different owners apart', async () => {
    const groups = new Map<string, string[]>();
    for (const name of Object.keys(data.outputs))
      groups.set(confusableKey(name), [...(groups.get(confusableKey(name)) ?? []), name]);
    const differing = [...groups.values()].filter(
      (g) => g.length > 1 && new Set(g.map((n) => JSON.stringify([...data.outputs[n]!].sort()))).size > 1,
    );
    expect(differing.length).toBe(18);
    const snap = await new DirectoryRegistry(root).snapshot({ names: differing.flat(), feedstocks: [] });
    for (const group of differing) {
      for (const name of group) {
        for (const owner of data.outputs[name]!) expect(authorizeOutput(snap, owner, name).ok).toBe(true);
        const outsiders = group.flatMap((n) => data.outputs[n]!).filter((f) => !data.outputs[name]!.includes(f));
        for (const f of outsiders)
          expect(authorizeOutput(snap, f, name)).toMatchObject({ ok: false, reason: 'OUTPUT_NOT_ALLOWED' });
      }
    }
  });

  // `forgegate registry lint` runs this through the CLI on a sample (test/cli/registry-lint.test.ts).
  it('lints clean: all 32,676 outputs of the real registry, no problems', async () => {
    expect(await lintRegistry(root)).toEqual({ problems: [], outputs: 32676, keyFiles: 0 });
  });
});

describe('directory registry in a git checkout', () => {
  const root = join(work, 'git');
  beforeAll(() => {
    mkdirSync(root, { recursive: true });
    git(root, 'init', '-q', '-b', 'main');
    write(root, CONFIG_FILE, JSON.stringify({ ...DEFAULT_REGISTRY_CONFIG, auto_register_all: true }));
    write(root, outputPath('async-timeout', DEFAULT_REGISTRY_CONFIG), formatOutputFile(['async-timeout']));
    write(root, outputPath('numpy', DEFAULT_REGISTRY_CONFIG), formatOutputFile(['numpy']));
    write(root, ALLOWLIST_FILE, YAML.stringify({ llvmdev: ['libllvm*'] }));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'init');
  });

  it('reads the committed state at HEAD, never uncommitted edits', async () => {
    const head = git(root, 'rev-parse', 'HEAD');
    write(root, outputPath('numpy', DEFAULT_REGISTRY_CONFIG), formatOutputFile(['attacker']));
    const snap = await new DirectoryRegistry(root).snapshot({ names: ['numpy'], feedstocks: [] });
    expect(snap.commit).toBe(head);
    expect(snap.outputs.get('numpy')).toEqual(['numpy']);
    git(root, 'checkout', '--', '.');
  });

  it('with auto_register_all, refuses a name confusable with one owned by another feedstock', async () => {
    const snap = await new DirectoryRegistry(root).snapshot({ names: ['async_timeout', 'brand-new'], feedstocks: [] });
    expect(authorizeOutput(snap, 'evil', 'async_timeout')).toMatchObject({
      ok: false,
      reason: 'OUTPUT_NOT_REGISTERED',
    });
    expect(authorizeOutput(snap, 'async-timeout', 'async_timeout')).toMatchObject({ ok: true, register: true });
    expect(authorizeOutput(snap, 'someone', 'brand-new')).toMatchObject({
      ok: true,
      register: true,
      via: 'auto_register_all',
    });
  });

  it('registers a new name as a git commit, and sees a concurrent registration to another feedstock as a conflict', async () => {
    const registry = new DirectoryRegistry(root);
    const snap = await registry.snapshot({ names: ['libllvm42'], feedstocks: [] });
    const first = await registry.register('libllvm42', 'llvmdev', snap.commit);
    expect(first.kind).toBe('registered');
    expect(git(root, 'log', '-1', '--format=%s')).toBe('Register output libllvm42 for feedstock llvmdev');
    expect(git(root, 'show', `HEAD:${outputPath('libllvm42', DEFAULT_REGISTRY_CONFIG)}`)).toBe(
      '{"feedstocks":["llvmdev"]}',
    );
    expect(await registry.register('libllvm42', 'llvmdev', snap.commit)).toMatchObject({ kind: 'already' });
    // An administrator commits the next name to someone else after our snapshot was taken.
    write(root, outputPath('libllvm43', DEFAULT_REGISTRY_CONFIG), formatOutputFile(['other']));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'admin');
    expect(await registry.register('libllvm43', 'llvmdev', snap.commit)).toMatchObject({
      kind: 'conflict',
      owners: ['other'],
    });
  });
});
