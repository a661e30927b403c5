// What ships runs on what ships: src/ imports only Node's built-ins and the package's runtime dependencies, so an
// install without dev dependencies (`npm install forgegate`) has every module `forgegate` loads. Test-only helpers
// (bzip2 compression, the test sandbox) live in test/. One dev dependency is optional at run time: the demo's test
// Sigstore loads @sigstore/mock (a test CA) with a dynamic import and says why its keyless part is missing without it.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
const packageOf = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** Dev dependencies src/ may load only through `await import()`, each with why (and a clear error when absent). */
const OPTIONAL_AT_RUN_TIME: Record<string, string> = {
  '@sigstore/mock': 'src/demo/test-sigstore.ts: the demo keyless feedstock',
};

/** Every package a file imports or requires at run time (`import type` is erased, so it does not count). */
function packagesOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^import\s+(?!type\s)[^'"]*?['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^export\s+(?!type\s)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm),
    ...[...text.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)].filter(
      (m) => !(packageOf(m[1]!) in OPTIONAL_AT_RUN_TIME && m[0].startsWith('import')),
    ),
  ].map((m) => m[1]!);
  return specs.filter((s) => !s.startsWith('.')).map(packageOf);
}

describe('runtime dependencies', () => {
  it('src/ imports only node: built-ins and the dependencies package.json lists for run time', () => {
    const builtin = new Set(builtinModules);
    const runtime = new Set(Object.keys(pkg.dependencies));
    const offenders = sources(SRC).flatMap((file) =>
      packagesOf(file)
        .filter((p) => !p.startsWith('node:') && !builtin.has(p) && !runtime.has(p))
        .map((p) => `${relative(REPO_ROOT, file)} → ${p}${p in pkg.devDependencies ? ' (a dev dependency)' : ''}`),
    );
    expect(offenders).toEqual([]);
  });

  it('lists no runtime dependency src/ does not import', () => {
    const used = new Set(sources(SRC).flatMap(packagesOf));
    expect(Object.keys(pkg.dependencies).filter((d) => !used.has(d))).toEqual([]);
  });
});
