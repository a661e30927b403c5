// The keyless-v1 vectors (test/data/vectors/keyless, copied from the spec), each through the path a real run takes:
// the artifact and its evidence files laid out in a folder staging, listed by the folder store, observed with the
// vector's registry folder and its trusted root file, and planned by the planner. Nothing is called directly that a
// run would not call.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryRegistry } from '../../src/backends/local/directory-registry.js';
import { DirectoryStaging } from '../../src/backends/local/directory-staging.js';
import { DEFAULT_POLICY } from '../../src/config/types.js';
import { assemblePlan } from '../../src/plan/planner.js';
import type { PlanItem } from '../../src/plan/types.js';
import type { Quarantine } from '../../src/ports/quarantine.js';
import type { Stores } from '../../src/ports/stores.js';
import type { TargetStore } from '../../src/ports/target.js';
import { observe } from '../../src/reconcile/observe.js';
import { loadTrust, trustSourceOf } from '../../src/reconcile/trust-root.js';
import { trustFromRootBytes } from '../../src/statement/keyless/sigstore.js';
import { parseDuration, parseUtcTime } from '../../src/util/time.js';
import { VECTORS_DIR } from '../helpers/paths.js';

interface Vector {
  description: string;
  context: {
    now: string;
    maxSignatureAge: string;
    clockSkew: string;
    targetChannel: string;
    labels: string[];
    trustedRoot: string;
    registry: string;
  };
  artifact: { path: string; bytes_base64: string };
  evidence: { 'sigstore.json'?: unknown; sig?: unknown };
  expect: {
    valid: boolean;
    reason?: string;
    waiting?: boolean;
    evidence?: string[];
    feedstock?: string;
    label?: string;
    publisher?: string;
    keyid?: string;
    signingTime?: string;
    warnings: { code: string; evidence: string }[];
    cryptoLayer?: 'pass' | 'fail';
  };
}

const dir = join(VECTORS_DIR, 'keyless');
const files = readdirSync(dir)
  .filter((f) => /^(valid|invalid|evidence)-.*\.json$/.test(f))
  .sort();
const work = mkdtempSync(join(tmpdir(), 'fg keyless vectors '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const load = (file: string): Vector => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector;

/** One vector staged in a folder and planned as a run would plan it. */
async function planVector(file: string, v: Vector): Promise<PlanItem> {
  const staging = join(work, file);
  const [subdir, filename] = v.artifact.path.split('/') as [string, string];
  mkdirSync(join(staging, subdir), { recursive: true });
  writeFileSync(join(staging, subdir, filename), Buffer.from(v.artifact.bytes_base64, 'base64'));
  if (v.evidence['sigstore.json'] !== undefined)
    writeFileSync(join(staging, subdir, `${filename}.sigstore.json`), JSON.stringify(v.evidence['sigstore.json']));
  if (v.evidence.sig !== undefined)
    writeFileSync(join(staging, subdir, `${filename}.sig`), JSON.stringify(v.evidence.sig));
  const target = { list: async () => ({ files: new Map(), removed: new Set<string>() }) } as unknown as TargetStore;
  const stores: Stores = {
    staging: new DirectoryStaging(staging),
    target,
    quarantine: {} as Quarantine,
    close: async () => undefined,
  };
  const nowMs = parseUtcTime(v.context.now)!;
  const trustedRoot = join(dir, v.context.trustedRoot);
  const { observation } = await observe(
    stores,
    new DirectoryRegistry(join(dir, v.context.registry)),
    null,
    nowMs,
    undefined,
    () => loadTrust(trustSourceOf({ ledger: join(work, 'ledger.db'), sigstore: { trustedRoot } })),
  );
  const plan = assemblePlan(observation, {
    targetChannel: v.context.targetChannel,
    labels: v.context.labels,
    subdirs: [subdir],
    policy: {
      ...DEFAULT_POLICY,
      maxSignatureAgeMs: parseDuration(v.context.maxSignatureAge)!,
      clockSkewMs: parseDuration(v.context.clockSkew)!,
    },
  });
  expect(plan.items).toHaveLength(1);
  return plan.items[0]!;
}

const byCode = (a: { code: string; evidence: string }, b: { code: string; evidence: string }): number =>
  `${a.code}|${a.evidence}`.localeCompare(`${b.code}|${b.evidence}`);

describe('keyless-v1 test vectors, staged in a folder and planned', () => {
  it('finds all 44 vectors', () => {
    expect(files).toHaveLength(44);
  });
  for (const file of files) {
    const v = load(file);
    it(`${file}: ${v.description}`, async () => {
      const item = await planVector(file, v);
      const e = v.expect;
      if (e.valid) {
        expect(item).toMatchObject({ decision: 'publish', feedstock: e.feedstock, label: e.label });
        expect(item.passed.map((p) => p.evidence).sort()).toEqual([...e.evidence!].sort());
        const keyless = item.passed.find((p) => p.evidence === 'sigstore.json');
        expect(keyless && 'publisher' in keyless ? keyless.publisher : undefined).toBe(e.publisher);
        expect(keyless && 'signingTime' in keyless ? keyless.signingTime : undefined).toBe(e.signingTime);
        expect(item.keyid ?? undefined).toBe(e.keyid);
      } else if (e.waiting) {
        expect(item.decision).toBe('wait');
        expect(item.detail).toMatch(e.reason === 'SIGNATURE_MISSING' ? /sigstore\.json/ : new RegExp(e.reason!));
      } else {
        expect(item).toMatchObject({ decision: 'reject', reason: e.reason });
      }
      const warnings = item.evidenceWarnings.map(({ code, evidence }) => ({ code, evidence }));
      expect(warnings.sort(byCode)).toEqual([...e.warnings].sort(byCode));
    });
  }
});

describe('the cryptographic layer alone (the Sigstore adapter) says what each vector says', () => {
  const trust = trustFromRootBytes(readFileSync(join(dir, 'trusted_root.json')));
  for (const file of files) {
    const v = load(file);
    if (v.expect.cryptoLayer === undefined || v.evidence['sigstore.json'] === undefined) continue;
    it(`${file}: ${v.expect.cryptoLayer}`, () => {
      expect(trust.verify(v.evidence['sigstore.json']).ok).toBe(v.expect.cryptoLayer === 'pass');
    });
  }
});
