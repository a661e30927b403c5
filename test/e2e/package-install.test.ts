// The feedstock side as a product: the `npm pack` tarball installs into an empty project and runs through `npx`,
// with nothing else. Without the network: the runtime dependencies (native ones already built) are copied from this
// checkout into the project first, with an empty npm cache and `--offline`, so npm can only add the tarball itself;
// anything it would still need to fetch fails the install. `--ignore-scripts` keeps `prepare` (a rebuild with the
// dev tools) out of `npm pack` and leaves the copied native builds as they are.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRuntimeModules, npmOffline, packCheckout } from '../helpers/install.js';
import { REPO_ROOT } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'fg-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let tarball: string;
let files: string[];
const project = join(work, 'feedstock-ci');
const cache = join(work, 'empty-cache');
const npm = (args: string[], cwd: string, command: 'npm' | 'npx' = 'npm') => npmOffline(args, { cwd, cache, command });

beforeAll(() => {
  ({ tarball, files } = packCheckout(work, cache));
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'feedstock-ci', private: true }));
  copyRuntimeModules(project);
}, 120_000);

describe('the npm package', () => {
  it('holds the built CLI, the README and the format docs, and no sources, tests or test data', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/src/cli/main.js');
    expect(files).toContain('docs/formats/upload-statement.md');
    expect(files.filter((f) => /^(src|test|bench|dist\/test|dist\/bench|node_modules)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('installs from the tarball offline, with an empty cache, adding only itself', () => {
    const install = npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stdout).toMatch(/added 1 package/);
    expect(existsSync(join(project, 'node_modules', '.bin', 'forgegate'))).toBe(true);
  }, 120_000);

  it('runs through npx: the version, and the demo end to end (keys, registry, signing, a reconcile)', () => {
    const v = npm(['--no', 'forgegate', 'version'], project, 'npx');
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(`forgegate ${version}`);
    const demo = npm(['--no', 'forgegate', 'demo', '--dir', join(work, 'demo')], project, 'npx');
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('Every artifact got the decision it should.');
  }, 120_000);
});
