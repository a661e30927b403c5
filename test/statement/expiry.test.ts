import { describe, expect, it } from 'vitest';
import type { RegistryKey } from '../../src/ports/registry.js';
import { keyPairFromSeed, parseSeed } from '../../src/statement/keys.js';
import { buildStatement, signEnvelope } from '../../src/statement/sign.js';
import { verifySignatureFile, type VerifyContext } from '../../src/statement/verify.js';

const HOUR = 3_600_000;
const ISSUED = Date.parse('2026-11-24T12:00:00Z');
const key = keyPairFromSeed(parseSeed('AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=')!);
const registryKey: RegistryKey = { keyid: key.keyid, publicKey: Buffer.from(key.publicKey).toString('base64') };

function signedWith(expiresAtMs: number | undefined): Buffer {
  const payload = buildStatement({
    filename: 'demo-pkg-1.0.0-h0_0.conda',
    digests: { size: 4, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) },
    feedstock: 'demo-pkg',
    targetChannel: 'https://conda.example.org/forge',
    label: 'main',
    subdir: 'noarch',
    issuedAtMs: ISSUED,
    ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
  });
  return Buffer.from(signEnvelope(payload, [key]));
}

function at(nowMs: number): VerifyContext {
  return {
    nowMs,
    maxSignatureAgeMs: 24 * HOUR,
    clockSkewMs: 300_000,
    targetChannel: 'https://conda.example.org/forge',
    labels: ['main'],
    keysFor: () => [registryKey],
  };
}

describe('statement expiry: the earlier of expiresAt and issuedAt + maxSignatureAge', () => {
  it('caps a far-future expiresAt (9999-12-31) at issuedAt + maxSignatureAge', () => {
    const sig = signedWith(Date.parse('9999-12-31T00:00:00Z'));
    expect(verifySignatureFile(sig, at(ISSUED + 23 * HOUR)).ok).toBe(true);
    expect(verifySignatureFile(sig, at(ISSUED + 25 * HOUR))).toMatchObject({ ok: false, reason: 'SIGNATURE_EXPIRED' });
  });

  it('honours an expiresAt earlier than the maximum age', () => {
    const sig = signedWith(ISSUED + 2 * HOUR);
    expect(verifySignatureFile(sig, at(ISSUED + HOUR)).ok).toBe(true);
    expect(verifySignatureFile(sig, at(ISSUED + 3 * HOUR))).toMatchObject({ ok: false, reason: 'SIGNATURE_EXPIRED' });
  });

  it('without expiresAt, expires at issuedAt + maxSignatureAge', () => {
    const sig = signedWith(undefined);
    expect(verifySignatureFile(sig, at(ISSUED + 23 * HOUR)).ok).toBe(true);
    expect(verifySignatureFile(sig, at(ISSUED + 24 * HOUR))).toMatchObject({ ok: false, reason: 'SIGNATURE_EXPIRED' });
  });
});
