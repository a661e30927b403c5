// What a package installs, independent of its container: the basis of the twin rule (spec step 9).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PackageMember } from '../../src/conda/package-check.js';
import { canonicalJson, contentDifference, packageContent } from '../../src/conda/package-content.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const file = (path: string, text: string, part: PackageMember['part'] = 'pkg'): PackageMember => ({
  path,
  type: 'file',
  size: text.length,
  linkTarget: null,
  mode: 0o644,
  sha256: sha(text),
  part,
});
const INDEX = { name: 'p', version: '1', build: '0', build_number: 0, depends: ['a', 'b'] };

describe('packageContent', () => {
  it('compares index.json as a JSON value: key order and spacing do not matter, values do', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: 'x' })).toBe('{"a":"x","b":[1,{"x":1,"y":2}]}');
    const a = packageContent(INDEX, [], new Map());
    const b = packageContent(
      { depends: ['a', 'b'], build_number: 0, build: '0', version: '1', name: 'p' },
      [],
      new Map(),
    );
    expect(a.digest).toBe(b.digest);
    const c = packageContent({ ...INDEX, depends: ['b', 'a'] }, [], new Map());
    expect(contentDifference(a, c)).toBe('info/index.json differs (key(s) depends)');
  });

  it('ignores directories, modes and the info/ files, wherever a container put them', () => {
    const conda = packageContent(
      INDEX,
      [file('info/index.json', '{}', 'info'), file('info/licenses/LICENSE', 'MIT', 'pkg'), file('lib/x', 'x')],
      new Map(),
    );
    const tarBz2 = packageContent(
      INDEX,
      [
        { path: 'lib', type: 'directory', size: 0, linkTarget: null, mode: 0o755, sha256: null, part: 'tar' },
        { ...file('lib/x', 'x', 'tar'), mode: 0o755 },
        file('info/licenses/LICENSE', 'MIT', 'tar'),
      ],
      new Map(),
    );
    expect(contentDifference(conda, tarBz2)).toBeNull();
  });

  it('a hard link installs its target: it equals a plain copy of the file', () => {
    const linked = packageContent(
      INDEX,
      [
        file('lib/a', 'data'),
        { path: 'lib/b', type: 'hardlink', size: 0, linkTarget: 'lib/a', mode: 0o644, sha256: null, part: 'pkg' },
      ],
      new Map(),
    );
    const copied = packageContent(INDEX, [file('lib/a', 'data'), file('lib/b', 'data')], new Map());
    expect(contentDifference(linked, copied)).toBeNull();
  });

  it('tells symlink targets, sizes, hashes and prefix placeholders apart, and names what differs', () => {
    const link = (target: string): PackageMember => ({
      path: 'lib/l',
      type: 'symlink',
      size: 0,
      linkTarget: target,
      mode: 0o777,
      sha256: null,
      part: 'pkg',
    });
    const base = packageContent(INDEX, [file('bin/x', 'x'), link('x')], new Map());
    expect(contentDifference(base, packageContent(INDEX, [file('bin/x', 'x'), link('y')], new Map()))).toBe(
      '1 file(s) differ: lib/l',
    );
    expect(contentDifference(base, packageContent(INDEX, [file('bin/x', 'X'), link('x')], new Map()))).toBe(
      '1 file(s) differ: bin/x',
    );
    expect(contentDifference(base, packageContent(INDEX, [link('x')], new Map()))).toBe(
      '1 file(s) only in this one: bin/x',
    );
    const hasPrefix = new Map([['info/has_prefix', Buffer.from('/opt/anaconda1anaconda2anaconda3 text bin/x\n')]]);
    const pathsJson = new Map([
      [
        'info/paths.json',
        Buffer.from(
          JSON.stringify({
            paths: [{ _path: 'bin/x', prefix_placeholder: '/opt/anaconda1anaconda2anaconda3', file_mode: 'text' }],
          }),
        ),
      ],
    ]);
    const viaHasPrefix = packageContent(INDEX, [file('bin/x', 'x'), link('x')], hasPrefix);
    const viaPathsJson = packageContent(INDEX, [file('bin/x', 'x'), link('x')], pathsJson);
    expect(contentDifference(viaHasPrefix, viaPathsJson)).toBeNull();
    expect(contentDifference(base, viaHasPrefix)).toBe('1 file(s) differ: bin/x');
  });
});
