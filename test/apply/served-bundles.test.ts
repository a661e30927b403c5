// Which bytes a keyless publication serves: only the deciding bundle's, found by the sha256 verification recorded;
// a sibling bundle or a .sig paired with the same file is never served, and bytes that are not the verified ones
// publish nothing.
import { describe, expect, it } from 'vitest';
import { servedBundles } from '../../src/apply/served-bundles.js';
import type { PassedEvidence } from '../../src/model.js';
import { indexStaging } from '../../src/plan/staged-index.js';
import type { StagedSignature } from '../../src/ports/staging.js';
import { sha256Hex } from '../../src/util/digest.js';

const F = 'pkg-1.0-h0_0.conda';
const sig = (handle: string, filename: string, content: string, kind?: 'sigstore.json'): StagedSignature => ({
  filename,
  ...(kind ? { kind } : {}),
  size: content.length,
  content: Buffer.from(content),
  handle,
});
const passedBundle = (content: string, file = `${F}.sigstore.json`): PassedEvidence => ({
  evidence: 'sigstore.json',
  file,
  publisher: 'gha-main',
  signingTime: '2026-12-04T00:00:00Z',
  logs: [],
  bundleSha256: sha256Hex(content),
  trustedRootSha256: '0'.repeat(64),
});

describe('servedBundles', () => {
  const deciding = sig('a', `${F}.sigstore.json`, '{"deciding":1}', 'sigstore.json');
  const sibling = sig('b', `${F}.sigstore.json`, '{"sibling":1}', 'sigstore.json');
  const keyed = sig('c', `${F}.sig`, '{"sig":1}');
  const staged = indexStaging({ artifacts: [], signatures: [sibling, deciding, keyed], others: [] });

  it('serves the deciding bundle, not a sibling bundle or a .sig paired with the same file', () => {
    const passed: PassedEvidence[] = [
      passedBundle('{"deciding":1}'),
      { evidence: 'sig', file: `${F}.sig`, sha256: sha256Hex('{"sig":1}'), keyid: 'k' },
    ];
    const served = servedBundles({ passed, signatures: ['b', 'a', 'c'] }, staged);
    expect(served).toEqual([{ bytes: Buffer.from('{"deciding":1}'), sha256: sha256Hex('{"deciding":1}') }]);
  });

  it('serves nothing for a .sig publication', () => {
    const passed: PassedEvidence[] = [{ evidence: 'sig', file: `${F}.sig`, sha256: sha256Hex('x'), keyid: 'k' }];
    expect(servedBundles({ passed, signatures: ['c'] }, staged)).toEqual([]);
  });

  it('fails when no listed bundle of this item is the verified bytes', () => {
    expect(servedBundles({ passed: [passedBundle('{"other":1}')], signatures: ['a', 'b'] }, staged)).toEqual({
      error: expect.stringMatching(/is not among the evidence listed with this file; nothing was published/) as unknown,
    });
    // The verified bytes belong to another item's evidence: never borrowed.
    expect(servedBundles({ passed: [passedBundle('{"deciding":1}')], signatures: ['b'] }, staged)).toMatchObject({
      error: expect.any(String) as unknown,
    });
  });
});
