import { describe, expect, it } from 'vitest';
import { assemblePlan } from '../../src/plan/planner.js';
import { sighting, uploadIdentity } from '../../src/plan/identity.js';
import { DIGESTS, FakeWorld, KEY, NOW, OTHER_KEY, registryKey } from './builders.js';

const FILE = 'demo-pkg-1.0-h0_0.conda';

function planOne(w: FakeWorld) {
  const plan = assemblePlan(w.observation(), w.settings());
  expect(plan.items).toHaveLength(1);
  return plan.items[0]!;
}

describe('assemblePlan', () => {
  it('publishes a correctly signed artifact of a registered output', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    expect(planOne(w)).toMatchObject({
      decision: 'publish',
      reason: null,
      feedstock: 'demo-pkg',
      label: 'main',
      register: false,
      keyid: KEY.keyid,
      sha256: DIGESTS.sha256,
    });
  });

  it('waits for a missing signature inside the grace time, then rejects SIGNATURE_MISSING', () => {
    const w = new FakeWorld();
    w.stage(FILE, { ageMs: 60_000 });
    expect(planOne(w)).toMatchObject({ decision: 'wait' });
    const late = new FakeWorld();
    late.stage(FILE, { ageMs: 3 * 3_600_000 });
    expect(planOne(late)).toMatchObject({ decision: 'reject', reason: 'SIGNATURE_MISSING', deleteStaged: false });
  });

  it('counts an age from when an earlier run first saw the upload: never seen is new, whatever else it claims', () => {
    const unseen = new FakeWorld();
    unseen.stage(FILE, { ageMs: null });
    expect(planOne(unseen)).toMatchObject({ decision: 'wait' });
    const seen = new FakeWorld();
    seen.stage(FILE, { ageMs: 8 * 86_400_000 });
    expect(planOne(seen)).toMatchObject({ reason: 'SIGNATURE_MISSING', deleteStaged: true });
    // A later run at the same time, having lost its ledger: the deletion waits, it is never brought forward.
    seen.ledger.firstSeen.clear();
    expect(planOne(seen)).toMatchObject({ decision: 'wait', deleteStaged: false });
  });

  it("uses the store server's own upload time where there is one (anaconda.org)", () => {
    const w = new FakeWorld();
    w.stage(FILE, { ageMs: null, serverAgeMs: 8 * 86_400_000 });
    expect(planOne(w)).toMatchObject({ reason: 'SIGNATURE_MISSING', deleteStaged: true });
  });

  it('a new upload under the same name (other size) is a new sighting: its age starts again', () => {
    const w = new FakeWorld();
    const a = w.stage(FILE, { ageMs: 8 * 86_400_000 });
    w.artifacts = [{ ...a, size: a.size + 1 }];
    expect(planOne(w)).toMatchObject({ decision: 'wait' });
  });

  it('deletes a stray signature after rejectRetention counted from its first sighting', () => {
    const w = new FakeWorld();
    const sig = w.sign(w.stage(FILE));
    w.artifacts = [];
    Reflect.deleteProperty(sig, 'uploadedAt'); // a folder store: no server time
    expect(assemblePlan(w.observation(), w.settings()).strays.map((s) => s.delete)).toEqual([false]);
    w.ledger.firstSeen.set(sighting.signature(sig), NOW - 8 * 86_400_000);
    expect(assemblePlan(w.observation(), w.settings()).strays.map((s) => s.delete)).toEqual([true]);
  });

  it('deletes rejected artifacts only after rejectRetention', () => {
    const w = new FakeWorld();
    w.stage(FILE, { ageMs: 8 * 86_400_000 });
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'SIGNATURE_MISSING', deleteStaged: true });
  });

  it.each([
    [
      'SIGNATURE_MALFORMED',
      (w: FakeWorld) => {
        const a = w.stage(FILE);
        w.sign(a).content = Buffer.from('{"payloadType":1}');
      },
    ],
    [
      'KEY_UNKNOWN',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE), (i) => ({ ...i, feedstock: 'nobody' }));
      },
    ],
    [
      'SIGNATURE_INVALID',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE), (i) => i, [OTHER_KEY]);
      },
    ],
    [
      'KEY_REVOKED',
      (w: FakeWorld) => {
        w.keys.set('demo-pkg', [registryKey(KEY, { revokedAt: '2026-11-01T00:00:00Z' })]);
        w.sign(w.stage(FILE));
      },
    ],
    [
      'KEY_EXPIRED',
      (w: FakeWorld) => {
        w.keys.set('demo-pkg', [registryKey(KEY, { notAfter: '2026-11-01T00:00:00Z' })]);
        w.sign(w.stage(FILE));
      },
    ],
    [
      'SIGNATURE_EXPIRED',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE), (i) => ({ ...i, issuedAtMs: NOW - 30 * 3_600_000 }));
      },
    ],
    [
      'SUBJECT_MISMATCH',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE), (i) => ({ ...i, filename: 'demo-pkg-1.1-h0_0.conda' }));
      },
    ],
    [
      'DIGEST_MISMATCH',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE, { size: 999 }));
      },
    ],
    [
      'TARGET_MISMATCH',
      (w: FakeWorld) => {
        w.sign(w.stage(FILE), (i) => ({ ...i, label: 'nightly' }));
      },
    ],
    [
      'OUTPUT_NOT_ALLOWED',
      (w: FakeWorld) => {
        w.sign(w.stage('numpy-2.0-py312h0_0.conda'));
      },
    ],
    [
      'OUTPUT_NOT_REGISTERED',
      (w: FakeWorld) => {
        w.sign(w.stage('brand-new-1.0-h0_0.conda'));
      },
    ],
  ])('rejects with %s', (reason, setup) => {
    const w = new FakeWorld();
    setup(w);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason, fix: expect.any(String) });
  });

  it('checks the byte bindings before the channel and label (spec order)', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE, { size: 1 }), (i) => ({ ...i, label: 'nightly' }));
    expect(planOne(w)).toMatchObject({ reason: 'DIGEST_MISMATCH' });
  });

  it('requires a staged file to carry exactly the label its statement names, where the store has labels', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE, { labels: ['main', 'rc'] }));
    expect(planOne(w)).toMatchObject({ reason: 'TARGET_MISMATCH' });
  });

  it('rejects on a store-reported digest that disagrees with the statement', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE, { sha256: 'e'.repeat(64) }));
    expect(planOne(w)).toMatchObject({ reason: 'DIGEST_MISMATCH' });
  });

  it('uses the newest signature that verifies when several are paired', () => {
    const w = new FakeWorld();
    const a = w.stage(FILE);
    w.sign(a, (i) => i, [OTHER_KEY], 10_000);
    w.sign(a, (i) => i, [KEY], 20_000);
    expect(planOne(w)).toMatchObject({ decision: 'publish', signatures: [`noarch/${FILE}.sig`, `noarch/${FILE}.sig`] });
  });

  it('registers a new name matched by the feedstock allowlist', () => {
    const w = new FakeWorld();
    w.allowlist = { 'demo-pkg': ['demo-plugin-*'] };
    w.sign(w.stage('demo-plugin-x-1.0-h0_0.conda'));
    expect(planOne(w)).toMatchObject({ decision: 'publish', register: true });
  });

  it('rejects a name the registry cannot hold (OUTPUT_NAME_INVALID) even when an allowlist glob matches it', () => {
    const w = new FakeWorld();
    w.allowlist = { 'demo-pkg': ['demo-plugin*'] };
    w.sign(w.stage('demo-plugin+x-1.0-h0_0.conda'));
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'OUTPUT_NAME_INVALID', register: false });
  });

  it('cleans up when the target already holds the same bytes under the label', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set(`noarch/${FILE}`, [{ label: 'main', ...DIGESTS }]);
    expect(planOne(w)).toMatchObject({ decision: 'cleanup' });
  });

  it('rejects TARGET_CONFLICT when the target holds other bytes under the name', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set(`noarch/${FILE}`, [{ label: 'main', ...DIGESTS, sha256: '0'.repeat(64) }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'TARGET_CONFLICT' });
  });

  it('rejects REPLAYED when the same bytes now live only under another label (e.g. broken)', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set(`noarch/${FILE}`, [{ label: 'broken', ...DIGESTS }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'REPLAYED' });
  });

  it('rejects REPLAYED when the ledger says it was published and the target no longer has it', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.ledger.publications.set(`noarch/${FILE}`, [{ label: 'main', sha256: DIGESTS.sha256 }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'REPLAYED' });
  });

  it('publishes beside the other format of the same build, on condition that both hold the same package', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.target.set('noarch/demo-pkg-1.0-h0_0.tar.bz2', [{ label: 'main', ...DIGESTS, sha256: '0'.repeat(64) }]);
    expect(planOne(w)).toMatchObject({
      decision: 'publish',
      twin: { filename: 'demo-pkg-1.0-h0_0.tar.bz2', label: 'main', size: DIGESTS.size, sha256: '0'.repeat(64) },
      detail: 'beside its twin demo-pkg-1.0-h0_0.tar.bz2 if both hold the same package',
    });
  });

  it('rejects REPLAYED when the ledger says the other format was published and the target no longer has it', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.ledger.publications.set('noarch/demo-pkg-1.0-h0_0.tar.bz2', [{ label: 'main', sha256: '0'.repeat(64) }]);
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'REPLAYED' });
  });

  it('publishes the .conda first when both formats of one build are staged; the .tar.bz2 waits for the next run', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.sign(w.stage('demo-pkg-1.0-h0_0.tar.bz2'));
    const plan = assemblePlan(w.observation(), w.settings());
    expect(plan.items.map((i) => [i.filename, i.decision, i.reason, i.detail])).toEqual([
      [FILE, 'publish', null, null],
      [
        'demo-pkg-1.0-h0_0.tar.bz2',
        'wait',
        null,
        'its twin demo-pkg-1.0-h0_0.conda is published first by this run; the next run compares this one with it',
      ],
    ]);
    expect(plan.summary).toMatchObject({ publish: 1, wait: 1 });
  });

  it('reuses an earlier verification failure of the very same upload instead of re-reading it', () => {
    const w = new FakeWorld();
    const a = w.stage(FILE);
    w.sign(a);
    w.ledger.verifyFailures.set(uploadIdentity(a, DIGESTS.sha256), { reason: 'ARTIFACT_UNSAFE', detail: 'path ../x' });
    expect(planOne(w)).toMatchObject({ decision: 'reject', reason: 'ARTIFACT_UNSAFE' });
  });

  it('lists stray signatures and deletes them only after rejectRetention', () => {
    const w = new FakeWorld();
    const a = w.stage(FILE);
    w.sign(a, (i) => i, [KEY], 60_000);
    w.sign(a, (i) => i, [KEY], 9 * 86_400_000);
    w.artifacts = [];
    const plan = assemblePlan(w.observation(), w.settings());
    expect(plan.items).toEqual([]);
    expect(plan.strays.map((s) => s.delete)).toEqual([false, true]);
  });

  it('is a pure function: the same observation gives the same plan', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE));
    w.sign(w.stage('numpy-2.0-py312h0_0.conda', { subdir: 'linux-64' }));
    w.stage('demo-pkg-0.1-h0_0.tar.bz2');
    expect(assemblePlan(w.observation(), w.settings())).toEqual(assemblePlan(w.observation(), w.settings()));
    expect(assemblePlan(w.observation(), w.settings()).summary).toEqual({ publish: 1, cleanup: 0, reject: 1, wait: 1 });
  });
});

describe('strays: what staging holds besides artifacts in known subdirs', () => {
  it('an artifact outside the known subdirs (zz/, label/) is never planned: it and its signature are strays', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE, { subdir: 'zz' }));
    w.sign(w.stage(FILE, { subdir: 'label' }));
    const plan = assemblePlan(w.observation(), w.settings());
    expect(plan.items).toEqual([]);
    expect(plan.strays.map((s) => [s.kind, s.subdir, s.delete])).toEqual([
      ['signature', 'zz', false],
      ['signature', 'label', false],
      ['unknown-subdir', 'zz', false],
      ['unknown-subdir', 'label', false],
    ]);
  });

  it('deletes an artifact outside the known subdirs only after rejectRetention from its first sighting', () => {
    const w = new FakeWorld();
    w.stage(FILE, { subdir: 'zz', ageMs: 8 * 86_400_000 });
    expect(assemblePlan(w.observation(), w.settings()).strays).toEqual([
      expect.objectContaining({ kind: 'unknown-subdir', filename: FILE, delete: true }),
    ]);
  });

  it('takes the known subdirs from the settings (staging.subdirs) instead of conda’s list', () => {
    const w = new FakeWorld();
    w.sign(w.stage(FILE, { subdir: 'linux-64' }));
    const plan = assemblePlan(w.observation(), { ...w.settings(), subdirs: ['noarch'] });
    expect(plan.items).toEqual([]);
    expect(plan.strays.map((s) => s.kind)).toEqual(['signature', 'unknown-subdir']);
  });

  it('lists files that are neither artifacts nor signatures, deleted after rejectRetention from their first sighting', () => {
    const w = new FakeWorld();
    const junk = { subdir: 'noarch', filename: 'README.txt', size: 5, handle: 'noarch/README.txt' };
    w.others.push(junk);
    expect(assemblePlan(w.observation(), w.settings()).strays).toEqual([
      { kind: 'other', subdir: 'noarch', filename: 'README.txt', handle: 'noarch/README.txt', delete: false },
    ]);
    w.ledger.firstSeen.set(sighting.file(junk), NOW - 8 * 86_400_000);
    expect(assemblePlan(w.observation(), w.settings()).strays.map((s) => s.delete)).toEqual([true]);
  });
});

describe('stray signatures left by a crash', () => {
  it('deletes at once a stray signature whose exact subject was already published', () => {
    const w = new FakeWorld();
    const a = w.stage(FILE);
    w.sign(a);
    w.artifacts = [];
    w.ledger.publications.set(`noarch/${FILE}`, [{ label: 'main', sha256: DIGESTS.sha256 }]);
    expect(assemblePlan(w.observation(), w.settings()).strays.map((s) => s.delete)).toEqual([true]);
    w.ledger.publications.set(`noarch/${FILE}`, [{ label: 'main', sha256: '0'.repeat(64) }]);
    expect(assemblePlan(w.observation(), w.settings()).strays.map((s) => s.delete)).toEqual([false]);
  });
});
