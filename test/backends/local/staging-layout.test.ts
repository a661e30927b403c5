// The staging layout rules on their own (ownership by other users cannot be set up without root privileges).
import { describe, expect, it } from 'vitest';
import { judgeStagingLayout, type FolderFacts } from '../../../src/backends/local/staging-layout.js';

const ME = { uid: 1000, name: 'forgegate' };
const root = (extra: Partial<FolderFacts> = {}): FolderFacts => ({
  path: '/srv/staging',
  kind: 'folder',
  uid: 1000,
  mode: 0o40755,
  ...extra,
});
const subdir = (name: string, extra: Partial<FolderFacts> = {}): FolderFacts => ({
  path: `/srv/staging/${name}`,
  kind: 'folder',
  uid: 1000,
  mode: 0o41777,
  ...extra,
});

describe('judgeStagingLayout', () => {
  it('accepts the documented layout: root owned by forgegate (or root), 0755; sticky subdirs owned by forgegate', () => {
    expect(judgeStagingLayout(root(), [subdir('linux-64'), subdir('noarch', { mode: 0o41770 })], ME)).toEqual([]);
    expect(judgeStagingLayout(root({ uid: 0 }), [subdir('noarch', { mode: 0o40755 })], ME)).toEqual([]);
  });

  it('refuses a root others may write to, or that someone else owns, with the exact command', () => {
    expect(judgeStagingLayout(root({ mode: 0o41777 }), [], ME)).toEqual([
      { problem: expect.stringContaining('lets group or others rename'), fix: "chmod go-w '/srv/staging'" },
    ]);
    expect(judgeStagingLayout(root({ uid: 2000, mode: 0o40775 }), [], ME)).toEqual([
      { problem: '/srv/staging is owned by uid 2000, not by forgegate', fix: "chown forgegate '/srv/staging'" },
      { problem: expect.stringContaining('(mode 0775)'), fix: "chmod go-w '/srv/staging'" },
    ]);
  });

  it('refuses a symlinked root or subdir, an uploader-owned subdir and a shared subdir without the sticky bit', () => {
    expect(judgeStagingLayout(root({ kind: 'symlink' }), [], ME)).toEqual([
      { problem: '/srv/staging is a symlink', fix: "point staging.store.path at $(realpath '/srv/staging')" },
    ]);
    expect(
      judgeStagingLayout(
        root(),
        [subdir('zz', { kind: 'symlink' }), subdir('osx-64', { uid: 2000 }), subdir('win-64', { mode: 0o40777 })],
        ME,
      ).map((p) => p.fix),
    ).toEqual([
      "rm '/srv/staging/zz' && mkdir -m 1777 '/srv/staging/zz'",
      "chown forgegate '/srv/staging/osx-64'",
      "chmod +t '/srv/staging/win-64'",
    ]);
  });
});
