// The built CLI laid out as an install is (package.json, dist/src, node_modules with the runtime dependencies only),
// copied out of the checkout: for tests that run it as another user, or install it from its npm tarball, without
// touching the checkout's own permissions.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from './paths.js';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const manifestOf = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Where Node finds package `name` required from `fromDir`: its own node_modules, then each parent's, up to the root. */
function resolvePackage(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === REPO_ROOT || dirname(dir) === dir) return null;
  }
}

/**
 * The checkout's runtime dependency folders (package.json `dependencies`, transitively), relative to the repository
 * root: what `npm install --omit=dev` would lay out. A missing optional dependency is skipped; a missing required one
 * is an error naming it (run `npm ci`).
 */
export function runtimePackages(): string[] {
  const found = new Set<string>();
  const queue: string[] = [REPO_ROOT];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const m = manifestOf(dir);
    for (const [deps, optional] of [
      [m.dependencies, false],
      [m.optionalDependencies, true],
    ] as const) {
      for (const name of Object.keys(deps ?? {})) {
        const at = resolvePackage(name, dir);
        if (at === null) {
          if (optional) continue;
          throw new Error(
            `runtime dependency ${name} (of ${relative(REPO_ROOT, dir) || 'forgegate'}) is not installed`,
          );
        }
        if (!found.has(at)) {
          found.add(at);
          queue.push(at);
        }
      }
    }
  }
  return [...found].map((d) => relative(REPO_ROOT, d)).sort();
}

/**
 * Copy the built CLI into `dest` as an install lays it out and return the path of its entry point. Build first
 * (`npx tsc -p tsconfig.json`): the copy is of dist/src as it is.
 */
export function copyBuiltCli(dest: string): string {
  const main = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -p tsconfig.json)`);
  cpSync(join(REPO_ROOT, 'package.json'), join(dest, 'package.json'));
  cpSync(join(REPO_ROOT, 'dist', 'src'), join(dest, 'dist', 'src'), { recursive: true });
  copyRuntimeModules(dest);
  return join(dest, 'dist', 'src', 'cli', 'main.js');
}

/**
 * Copy the runtime dependencies into `dest/node_modules` (a nested node_modules rides along with its package), with
 * their `.bin` links: npm takes a package whose bin link is missing for one to install again.
 */
export function copyRuntimeModules(dest: string): void {
  const packages = runtimePackages();
  const outermost = packages.filter((p) => !packages.some((q) => q !== p && p.startsWith(q + sep)));
  for (const p of outermost) cpSync(join(REPO_ROOT, p), join(dest, p), { recursive: true });
  const bin = join(REPO_ROOT, 'node_modules', '.bin');
  if (!existsSync(bin)) return;
  mkdirSync(join(dest, 'node_modules', '.bin'), { recursive: true });
  for (const name of readdirSync(bin)) {
    const link = readlinkSync(join(bin, name));
    const target = relative(REPO_ROOT, resolve(bin, link));
    if (outermost.some((p) => target.startsWith(p + sep))) symlinkSync(link, join(dest, 'node_modules', '.bin', name));
  }
}

/**
 * npm (or npx) without the settings an enclosing `npm test` exports (npm_config_*), with its own cache folder, and
 * offline: a test never reaches the registry.
 */
export function npmOffline(
  args: string[],
  opts: { cwd: string; cache: string; command?: 'npm' | 'npx' },
): SpawnSyncReturns<string> {
  return spawnSync(opts.command ?? 'npm', args, { cwd: opts.cwd, encoding: 'utf8', env: npmEnv(opts.cache) });
}

/** The environment npmOffline() runs npm in. */
export function npmEnv(cache: string): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => !/^npm_/i.test(e[0]) && e[1] !== undefined),
  );
  return { ...env, npm_config_cache: cache, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
}

/** `npm pack` of the checkout (as built: `--ignore-scripts` skips `prepare`) into `dest`: the tarball and its files. */
export function packCheckout(dest: string, cache: string): { tarball: string; files: string[] } {
  const pack = npmOffline(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: REPO_ROOT,
    cache,
  });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const out = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dest, out[0]!.filename), files: out[0]!.files.map((f) => f.path) };
}
