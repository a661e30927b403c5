// The layout shows the architecture: a core, three backends, one composition root. Checked from the import graph.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

const SRC = join(REPO_ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative module a file imports (static, re-export or dynamic), as a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const graph = new Map(sources(SRC).map((f) => [relative(SRC, f), importsOf(f)]));
const isBackend = (p: string): boolean => p.startsWith('backends/');
/** The only places outside backends/ that may import a backend. */
const ALLOWED = (p: string): boolean =>
  isBackend(p) || p === 'reconcile/wiring.ts' || p.startsWith('cli/') || p.startsWith('demo/');

describe('import graph', () => {
  it('reads the whole source tree', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.keys()].filter(isBackend).length).toBeGreaterThan(10);
  });

  it('nothing outside backends/, the composition root, cli/ and demo/ imports a backend', () => {
    const offenders = [...graph].flatMap(([file, deps]) =>
      ALLOWED(file) ? [] : deps.filter(isBackend).map((d) => `${file} → ${d}`),
    );
    expect(offenders).toEqual([]);
  });

  it('backends build on the core only: never on cli/, reconcile/, apply/, demo/ or another backend', () => {
    const offenders = [...graph].flatMap(([file, deps]) => {
      if (!isBackend(file)) return [];
      const own = file.split('/').slice(0, 2).join('/');
      return deps
        .filter((d) => /^(cli|reconcile|apply|demo)\//.test(d) || (isBackend(d) && !d.startsWith(`${own}/`)))
        .map((d) => `${file} → ${d}`);
    });
    expect(offenders).toEqual([]);
  });

  it('every import resolves to a file that exists', () => {
    const missing = [...graph].flatMap(([file, deps]) =>
      deps.filter((d) => !d.startsWith('..') && !graph.has(d)).map((d) => `${file} → ${d}`),
    );
    expect(missing).toEqual([]);
  });
});
