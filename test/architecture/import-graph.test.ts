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

  /** Every import of `file` that `bad` picks out, as `file → dep`. */
  const offending = (from: (file: string) => boolean, bad: (dep: string) => boolean): string[] =>
    [...graph].flatMap(([file, deps]) => (from(file) ? deps.filter(bad).map((d) => `${file} → ${d}`) : []));

  it('nothing below cli/ imports cli/ (the one arrow that ran back up is gone)', () => {
    expect(
      offending(
        (f) => !f.startsWith('cli/'),
        (d) => d.startsWith('cli/'),
      ),
    ).toEqual([]);
  });

  it('the applier never imports the ledger: it tells facts to a sink and returns outcomes', () => {
    expect(
      offending(
        (f) => f.startsWith('apply/'),
        (d) => d.startsWith('ledger/'),
      ),
    ).toEqual([]);
  });

  it('backends never import reconcile/', () => {
    expect(offending(isBackend, (d) => d.startsWith('reconcile/'))).toEqual([]);
  });

  it('the ledger imports neither the planner nor the reports', () => {
    expect(
      offending(
        (f) => f.startsWith('ledger/'),
        (d) => /^(plan|reports)\//.test(d),
      ),
    ).toEqual([]);
  });

  it('the planner is pure: it imports no store, no I/O layer and nothing of node but types', () => {
    expect(
      offending(
        (f) => f.startsWith('plan/'),
        (d) => /^(apply|reconcile|ledger|cli|backends)\//.test(d),
      ),
    ).toEqual([]);
    const nodeImports = [...graph.keys()]
      .filter((f) => f.startsWith('plan/'))
      .filter((f) => /^import (?!type )[^;]*from 'node:/m.test(readFileSync(join(SRC, f), 'utf8')));
    expect(nodeImports).toEqual([]);
  });

  it('the one writer: only reconcile/record.ts calls the ledger write methods (the yank goes through it)', () => {
    const writes = /\.(record[A-Z]\w*|markReported|markInterrupted|markAbandoned|startRun|finishRun|recordSightings)\(/;
    const writers = [...graph.keys()].filter(
      (f) => !f.startsWith('ledger/') && writes.test(readFileSync(join(SRC, f), 'utf8')),
    );
    expect(writers).toEqual(['reconcile/record.ts']);
  });

  it('the SQLite handle never leaves ledger/', () => {
    expect(
      offending(
        (f) => !f.startsWith('ledger/'),
        (d) => d === 'ledger/handle.ts',
      ),
    ).toEqual([]);
    const raw = [...graph.keys()].filter(
      (f) => !f.startsWith('ledger/') && /from 'better-sqlite3'/.test(readFileSync(join(SRC, f), 'utf8')),
    );
    expect(raw).toEqual([]);
  });

  it('every import resolves to a file that exists', () => {
    const missing = [...graph].flatMap(([file, deps]) =>
      deps.filter((d) => !d.startsWith('..') && !graph.has(d)).map((d) => `${file} → ${d}`),
    );
    expect(missing).toEqual([]);
  });
});
