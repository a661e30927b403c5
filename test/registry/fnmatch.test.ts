import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fnmatchcase } from '../../src/registry/fnmatch.js';
import { DATA_DIR } from '../helpers/paths.js';

const data = JSON.parse(readFileSync(join(DATA_DIR, 'feedstock-outputs.json'), 'utf8')) as {
  outputs: Record<string, string[]>;
  config: Record<string, string[]>;
};

describe('fnmatch with Python fnmatchcase semantics', () => {
  it.each([
    ['libllvm15', 'libllvm*', true],
    ['libllvmspirv', 'libllvm*', true],
    ['libdav1d7', 'libdav1d[0123456789]', true],
    ['libdav1dx', 'libdav1d[0123456789]', false],
    ['libxml2-2.13', 'libxml2-[0-9]*', true],
    ['libxml2-dev', 'libxml2-[0-9]*', false],
    ['abc', 'a?c', true],
    ['ac', 'a?c', false],
    ['a-c', 'a[!b]c', true],
    ['abc', 'a[!b]c', false],
    ['a]c', 'a[]]c', true],
    ['a[c', 'a[c', true],
    ['Numpy', 'numpy', false],
    ['a.b', 'a?b', true],
    ['a\nb', 'a*b', true],
    ['x^y', 'x[\\^]y', true],
    ['b', '[z-ab]', true],
    ['z', '[z-ab]', false],
    ['-', '[a-c-e]', true],
    ['d', '[a-c-e]', false],
    ['x', '[!z-a]', true],
    ['x', '[z-a]', false],
    ['-', '[!-]', false],
    ['!', '[!]', false],
    ['\\', '[\\]', true],
  ])('%s vs %s → %s', (name, pattern, expected) => {
    expect(fnmatchcase(name, pattern)).toBe(expected);
  });

  it("agrees with python3's fnmatch.fnmatchcase on every real allowlist pattern against every real output name", () => {
    const patterns = [...new Set(Object.values(data.config).flat())];
    const names = Object.keys(data.outputs);
    const script =
      'import fnmatch,json,sys\nd=json.load(sys.stdin)\nprint(json.dumps([[n for n in d["names"] if fnmatch.fnmatchcase(n,p)] for p in d["patterns"]]))';
    const python = JSON.parse(
      execFileSync('python3', ['-c', script], {
        input: JSON.stringify({ names, patterns }),
        maxBuffer: 64 * 1024 * 1024,
      }).toString(),
    ) as string[][];
    const ours = patterns.map((p) => names.filter((n) => fnmatchcase(n, p)));
    expect(Object.values(data.config).flat().length).toBe(114);
    expect(ours).toEqual(python);
    // The data README says 12 patterns match no registered output.
    expect(ours.filter((m) => m.length === 0).length).toBe(12);
  });

  it('answers a pathological pattern (many `*`) against a long name without backtracking, as Python does', () => {
    const cases: [string, string][] = [
      ['a'.repeat(10_000), `${'*a'.repeat(40)}*b`],
      [`${'a'.repeat(5_000)}b`, `${'*a'.repeat(40)}*b`],
      ['a'.repeat(250), `${'a*'.repeat(25)}[!a]`],
      [`${'ab'.repeat(3_000)}c`, `*${'?*'.repeat(30)}c`],
    ];
    const ours = cases.map(([name, pattern]) => fnmatchcase(name, pattern));
    expect(ours).toEqual([false, true, false, true]);
    expect(ours).toEqual(pythonMatches(cases));
  });

  it('agrees with python3 on thousands of generated patterns full of classes, ranges and negations', () => {
    // A seeded generator over the characters that matter to the syntax: the same cases on every run.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'z', '-', '!', '^', ']', '[', '*', '?', '\\', '.'];
    const word = (max: number): string =>
      Array.from({ length: rand(max) }, () => alphabet[rand(alphabet.length)]).join('');
    const cases: [string, string][] = Array.from({ length: 4_000 }, () => [word(5), word(8)]);
    expect(cases.map(([name, pattern]) => fnmatchcase(name, pattern))).toEqual(pythonMatches(cases));
  });
});

function pythonMatches(cases: [string, string][]): boolean[] {
  const script =
    'import fnmatch,json,sys\nprint(json.dumps([fnmatch.fnmatchcase(n,p) for n,p in json.load(sys.stdin)]))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases) }).toString()) as boolean[];
}
