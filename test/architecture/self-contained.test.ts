// A clone of the repository is all the tests and docs need: the test data lives in test/data (copied from the
// upstream `shared/` folder, checked here against both its manifest and, where it sits beside the checkout, that
// folder), nothing reads outside the checkout, and every relative link in the docs lands on a file in it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, REPO_ROOT } from '../helpers/paths.js';

/** Where each copy came from, relative to the upstream folder (test/data/README.md, "Keeping the copies honest"). */
const COPIES: readonly { here: string; upstream: string }[] = [
  { here: 'vectors', upstream: 'spec/vectors' },
  { here: 'real-packages', upstream: 'data/real-packages' },
  { here: 'feedstock-outputs.json', upstream: 'data/feedstock-outputs.json' },
  { here: 'artifacts-sample.jsonl', upstream: 'data/artifacts-sample.jsonl' },
];
/** Files in test/data that are the repository's own, not copies. */
const OWN = new Set(['README.md', 'SHA256SUMS', 'vectors/README.md']);
/** The upstream folder, when it sits beside the checkout (as where these files were first copied from). */
const UPSTREAM = resolve(REPO_ROOT, '..', 'shared');

/** Every file under `path` (or `path` itself), relative to `base`, with `/` separators, sorted. */
function filesUnder(base: string, path: string): string[] {
  const full = join(base, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .flatMap((e) => filesUnder(base, `${path}/${e}`))
    .sort();
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const manifest = new Map(
  readFileSync(join(DATA_DIR, 'SHA256SUMS'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^([0-9a-f]{64}) {2}(\S.*)$/.exec(line);
      if (!m) throw new Error(`SHA256SUMS: not a "<sha256>  <path>" line: ${line}`);
      return [m[2]!, m[1]!] as const;
    }),
);

describe('test data copied into the repository', () => {
  it('test/data holds exactly the files SHA256SUMS lists, with those digests', () => {
    const here = COPIES.flatMap((c) => filesUnder(DATA_DIR, c.here)).filter((f) => !OWN.has(f));
    expect(here.length).toBeGreaterThan(100);
    expect([...here].sort()).toEqual([...manifest.keys()].sort());
    const differ = here.filter((f) => sha256(join(DATA_DIR, f)) !== manifest.get(f));
    expect(differ).toEqual([]);
    // Nothing else lies in test/data: a file dropped there without a manifest line is caught too.
    expect(filesUnder(DATA_DIR, '.').map((f) => f.slice(2))).toEqual(
      [...new Set([...here, ...OWN])].sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  const upstreamHere = existsSync(UPSTREAM);
  it(
    upstreamHere
      ? `matches the upstream folder ${UPSTREAM} file by file (names and sha256)`
      : `compares nothing with the upstream folder: ${UPSTREAM} does not exist (the manifest check above still runs)`,
    () => {
      if (!upstreamHere) {
        expect(existsSync(UPSTREAM)).toBe(false);
        return;
      }
      for (const { here, upstream } of COPIES) {
        const theirs = filesUnder(UPSTREAM, upstream).map((f) => here + f.slice(upstream.length));
        const ours = filesUnder(DATA_DIR, here).filter((f) => !OWN.has(f));
        expect(ours, `file list of test/data/${here} vs ${upstream}`).toEqual(theirs);
        const differ = theirs.filter(
          (f) => sha256(join(DATA_DIR, f)) !== sha256(join(UPSTREAM, upstream + f.slice(here.length))),
        );
        expect(differ, `files of test/data/${here} that differ from ${upstream}`).toEqual([]);
      }
    },
  );
});

/** The repository's own text files: sources, tests, scripts, docs and packaging (not node_modules, dist, data). */
function repoTextFiles(dir = REPO_ROOT): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', 'coverage', 'forgegate-demo', '.bench-tmp']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return skip.has(e.name) || full === DATA_DIR ? [] : repoTextFiles(full);
    return /\.(ts|js|mjs|json|md|ya?ml|service|timer|sh)$|^(run|crontab)$/.test(e.name) &&
      e.name !== 'package-lock.json'
      ? [full]
      : [];
  });
}

describe('nothing outside the checkout', () => {
  const files = repoTextFiles();
  const self = join(REPO_ROOT, 'test', 'architecture', 'self-contained.test.ts');

  it('reads the whole tree', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(files).toContain(join(REPO_ROOT, 'README.md'));
  });

  it('no source, test, script or doc names ../shared or FORGEGATE_SHARED_DIR', () => {
    const offenders = files
      .filter((f) => f !== self)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            /\.\.\/shared\b|FORGEGATE_SHARED_DIR|\bshared\/(spec|data|reference)\//.test(line)
              ? [`${relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`]
              : [],
          ),
      );
    expect(offenders).toEqual([]);
  });

  it('every relative link in the Markdown files lands on a file or folder of the repository', () => {
    const broken: string[] = [];
    const docs = [...files, ...filesUnder(DATA_DIR, '.').map((f) => join(DATA_DIR, f))].filter((f) =>
      f.endsWith('.md'),
    );
    for (const doc of docs) {
      const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)/gm)) {
        const target = (m[1] ?? m[2]!).split('#')[0]!;
        if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const at = resolve(dirname(doc), decodeURIComponent(target));
        const inside = at === REPO_ROOT || at.startsWith(REPO_ROOT + sep);
        if (!inside || !existsSync(at)) broken.push(`${relative(REPO_ROOT, doc)} → ${target}`);
      }
    }
    expect(docs.length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });
});
