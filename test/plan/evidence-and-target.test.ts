// Planner rules added with issues 16 and 17: who decides an artifact among several statements, twins compared by
// content, tombstones the channel itself keeps, and cleanup of a published copy after its statement went stale.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PackageMember } from '../../src/conda/package-check.js';
import { packageContent, type PackageContent } from '../../src/conda/package-content.js';
import { uploadIdentity } from '../../src/plan/identity.js';
import { assemblePlan } from '../../src/plan/planner.js';
import { twinContentKey } from '../../src/plan/target-check.js';
import { DIGESTS, FakeWorld, OTHER_KEY, registryKey } from './builders.js';

const FILE = 'demo-pkg-1.0-h0_0.conda';
const TWIN = 'demo-pkg-1.0-h0_0.tar.bz2';
const TWIN_SHA = '0'.repeat(64);
const HOUR = 3_600_000;

function planOne(w: FakeWorld) {
  const plan = assemblePlan(w.observation(), w.settings());
  expect(plan.items).toHaveLength(1);
  return plan.items[0]!;
}

/** A package's content from file texts (path → content), as verification would work it out. */
function contentOf(
  files: Record<string, string>,
  index: Record<string, unknown> = { name: 'demo-pkg' },
): PackageContent {
  const members: PackageMember[] = Object.entries(files).map(([path, text]) => ({
    path,
    type: 'file',
    size: text.length,
    linkTarget: null,
    mode: 0o644,
    sha256: createHash('sha256').update(text).digest('hex'),
    part: 'pkg',
  }));
  return packageContent(index, members, new Map());
}

/** A world where the twin is published and a plan read both packages. */
function twinWorld(staged: PackageContent, published: PackageContent | { error: string }): FakeWorld {
  const w = new FakeWorld();
  const a = w.stage(FILE);
  w.sign(a);
  w.target.set(`noarch/${TWIN}`, [{ label: 'main', ...DIGESTS, sha256: TWIN_SHA }]);
  w.inspections = new Map([
    [uploadIdentity(a, DIGESTS.sha256), { kind: 'verified', digests: DIGESTS, content: staged }],
  ]);
  w.twinContents = new Map([[twinContentKey('noarch', TWIN, TWIN_SHA), published]]);
  return w;
}

describe('twins: the two formats of one build', () => {
  it('a plan that read both packages publishes a twin that holds the same package', () => {
    const w = twinWorld(contentOf({ 'lib/a': 'x' }), contentOf({ 'lib/a': 'x' }));
    expect(planOne(w)).toMatchObject({
      decision: 'publish',
      twin: { filename: TWIN, sha256: TWIN_SHA },
      detail: `beside its twin ${TWIN}, which holds the same package`,
    });
  });

  it('a twin with other file content is TARGET_CONFLICT, naming the files that differ', () => {
    const w = twinWorld(contentOf({ 'lib/a': 'x', 'lib/b': 'y' }), contentOf({ 'lib/a': 'z', 'lib/b': 'y' }));
    expect(planOne(w)).toMatchObject({
      decision: 'reject',
      reason: 'TARGET_CONFLICT',
      detail: `noarch/${TWIN} holds this name-version-build with other content: 1 file(s) differ: lib/a`,
    });
  });

  it('a twin with another info/index.json is TARGET_CONFLICT, naming the keys', () => {
    const w = twinWorld(
      contentOf({ 'lib/a': 'x' }, { name: 'demo-pkg', depends: ['python'] }),
      contentOf({ 'lib/a': 'x' }, { name: 'demo-pkg', depends: [] }),
    );
    expect(planOne(w).detail).toBe(
      `noarch/${TWIN} holds this name-version-build with other content: info/index.json differs (key(s) depends)`,
    );
  });

  it('a published twin forgegate cannot read as a package cannot be compared: TARGET_CONFLICT', () => {
    const w = twinWorld(contentOf({ 'lib/a': 'x' }), { error: 'tar.links: symlink has an empty target' });
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'TARGET_CONFLICT' });
    expect(planOne(w).detail).toContain('cannot be compared: tar.links');
  });

  it('a target holding two different files under the twin name is TARGET_CONFLICT', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set(`noarch/${TWIN}`, [
      { label: 'main', ...DIGESTS, sha256: TWIN_SHA },
      { label: 'rc', ...DIGESTS, sha256: '1'.repeat(64) },
    ]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'TARGET_CONFLICT' });
  });
});

describe('tombstones the channel keeps (conda-index `removed`): they outlive the ledger', () => {
  it('a name the channel lists as removed is REPLAYED with an empty ledger', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.removed.add(`noarch/${FILE}`);
    expect(planOne(w)).toMatchObject({
      decision: 'reject',
      reason: 'REPLAYED',
      detail: 'the channel lists it as removed (taken off by an administrator)',
    });
  });

  it('the twin of a build moved to broken (anaconda.org keeps no removed list) is REPLAYED', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set(`noarch/${TWIN}`, [{ label: 'broken', ...DIGESTS, sha256: TWIN_SHA }]);
    expect(planOne(w)).toMatchObject({
      decision: 'reject',
      reason: 'REPLAYED',
      detail: `noarch/${TWIN} held this build and is now only under label(s) broken`,
    });
  });

  it('the twin of a removed build is REPLAYED too, whatever its content', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.removed.add(`noarch/${TWIN}`);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'REPLAYED' });
    expect(planOne(w).detail).toContain(`noarch/${TWIN} held this build`);
  });
});

describe('who decides: only statements by a feedstock that owns the name', () => {
  function vetoWorld(): FakeWorld {
    const w = new FakeWorld();
    // M is registered, has its own key, and does not own demo-pkg.
    w.keys.set('mallory', [registryKey(OTHER_KEY)]);
    w.outputs.set('mallory', ['mallory']);
    return w;
  }

  it("another feedstock's newer statement over the owner's bytes cannot veto the owner's upload", () => {
    const w = vetoWorld();
    const a = w.stage(FILE);
    w.sign(a, (i) => i, undefined, 2 * HOUR);
    w.sign(a, (i) => ({ ...i, feedstock: 'mallory' }), [OTHER_KEY], 60_000);
    const item = planOne(w);
    expect(item).toMatchObject({ decision: 'publish', feedstock: 'demo-pkg' });
    expect(item.warnings).toEqual(['ignored a statement by "mallory", which does not own this name (verifies)']);
  });

  it("another feedstock's statement cannot replace the owner's failure either: the owner's verdict stands", () => {
    const w = vetoWorld();
    const a = w.stage(FILE);
    w.sign(a, (i) => ({ ...i, issuedAtMs: i.issuedAtMs - 48 * HOUR }));
    w.sign(a, (i) => ({ ...i, feedstock: 'mallory' }), [OTHER_KEY], 10);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'SIGNATURE_EXPIRED', feedstock: 'demo-pkg' });
  });

  it('without any statement by an owner, the newest statement decides as before', () => {
    const w = vetoWorld();
    w.sign(w.stage(FILE), (i) => ({ ...i, feedstock: 'mallory' }), [OTHER_KEY]);
    const item = planOne(w);
    expect(item).toMatchObject({ decision: 'reject', reason: 'OUTPUT_NOT_ALLOWED', feedstock: 'mallory' });
    expect(item.warnings).toEqual([]);
  });

  it("a failing statement next to the owner's good one is a warning, not the verdict", () => {
    const w = vetoWorld();
    const a = w.stage(FILE);
    w.sign(a, (i) => i, undefined, 2 * HOUR);
    w.sign(a, (i) => ({ ...i, label: 'nightly' }), undefined, 60_000);
    const item = planOne(w);
    expect(item.decision).toBe('publish');
    expect(item.warnings).toHaveLength(1);
    expect(item.warnings[0]).toMatch(/^a statement by "demo-pkg" paired with this file fails \(TARGET_MISMATCH: /);
  });
});

describe('a staged copy of a published file is cleaned up once its statement is stale (spec step 9)', () => {
  it('expired statement, same bytes under its label in the target: cleanup', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE), (i) => ({ ...i, issuedAtMs: i.issuedAtMs - 48 * HOUR }));
    w.target.set(`noarch/${FILE}`, [{ label: 'main', ...DIGESTS }]);
    expect(planOne(w)).toMatchObject({ decision: 'cleanup', reason: null, feedstock: 'demo-pkg' });
  });

  it('expired statement, nothing published: still SIGNATURE_EXPIRED', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE), (i) => ({ ...i, issuedAtMs: i.issuedAtMs - 48 * HOUR }));
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'SIGNATURE_EXPIRED' });
  });

  it('expired statement for another label than the published one: still SIGNATURE_EXPIRED', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE), (i) => ({ ...i, label: 'rc', issuedAtMs: i.issuedAtMs - 48 * HOUR }));
    w.target.set(`noarch/${FILE}`, [{ label: 'main', ...DIGESTS }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'SIGNATURE_EXPIRED' });
  });

  it('a statement under a revoked key never cleans up, fresh or not', () => {
    const w = new FakeWorld();
    w.keys.set('demo-pkg', [{ ...registryKey(OTHER_KEY), revokedAt: '2026-01-01T00:00:00Z' }]);
    w.sign(w.stage(FILE), (i) => ({ ...i, issuedAtMs: i.issuedAtMs - 48 * HOUR }), [OTHER_KEY]);
    w.target.set(`noarch/${FILE}`, [{ label: 'main', ...DIGESTS }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'KEY_REVOKED' });
  });
});
