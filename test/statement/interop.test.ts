import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAYLOAD_TYPE, pae } from '../../src/statement/dsse.js';
import { keyPairFromSeed, parseSeed } from '../../src/statement/keys.js';
import { buildStatement, signEnvelope } from '../../src/statement/sign.js';
import { verifySignatureFile, type VerifyContext } from '../../src/statement/verify.js';
import type { RegistryKey } from '../../src/ports/registry.js';

const NOW = Date.parse('2026-11-24T18:00:00Z');
const seed = parseSeed('AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=')!;
const key = keyPairFromSeed(seed);
const registryKey: RegistryKey = { keyid: key.keyid, publicKey: Buffer.from(key.publicKey).toString('base64') };
const ctx: VerifyContext = {
  nowMs: NOW,
  maxSignatureAgeMs: 86_400_000,
  clockSkewMs: 300_000,
  targetChannel: 'https://conda.example.org/forge',
  labels: ['main'],
  keysFor: (f) => (f === 'demo-pkg' ? [registryKey] : null),
};
const payload = buildStatement({
  filename: 'demo-pkg-1.0.0-h0_0.conda',
  digests: { size: 4, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) },
  feedstock: 'demo-pkg',
  targetChannel: 'https://conda.example.org/forge',
  label: 'main',
  subdir: 'noarch',
  issuedAtMs: NOW - 3_600_000,
});
const work = mkdtempSync(join(tmpdir(), 'fg-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): the spec's way to hand the seed to openssl or node:crypto.
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]);

function envelopeWith(sig: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: PAYLOAD_TYPE,
      payload: Buffer.from(payload).toString('base64'),
      signatures: [{ keyid: key.keyid, sig: sig.toString('base64') }],
    }),
  );
}

describe('signatures made by other Ed25519 implementations', () => {
  it('verifies a signature made by `openssl pkeyutl -rawin` over the PAE', () => {
    const keyFile = join(work, 'key.pem');
    writeFileSync(
      keyFile,
      createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }),
    );
    writeFileSync(join(work, 'pae.bin'), pae(PAYLOAD_TYPE, payload));
    execFileSync('openssl', [
      'pkeyutl',
      '-sign',
      '-rawin',
      '-inkey',
      keyFile,
      '-in',
      join(work, 'pae.bin'),
      '-out',
      join(work, 'sig.bin'),
    ]);
    const sig = readFileSync(join(work, 'sig.bin'));
    expect(sig.length).toBe(64);
    expect(verifySignatureFile(envelopeWith(sig), ctx)).toMatchObject({ ok: true, keyid: key.keyid });
  });

  it('rejects an openssl signature over the raw payload instead of the PAE', () => {
    const keyFile = join(work, 'key.pem');
    writeFileSync(join(work, 'raw.bin'), payload);
    execFileSync('openssl', [
      'pkeyutl',
      '-sign',
      '-rawin',
      '-inkey',
      keyFile,
      '-in',
      join(work, 'raw.bin'),
      '-out',
      join(work, 'raw.sig'),
    ]);
    expect(verifySignatureFile(envelopeWith(readFileSync(join(work, 'raw.sig'))), ctx)).toMatchObject({
      ok: false,
      reason: 'SIGNATURE_INVALID',
    });
  });

  it('produces signatures that node:crypto Ed25519 verifies', () => {
    const env = JSON.parse(signEnvelope(payload, [key])) as { signatures: { sig: string }[] };
    const publicKey = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    expect(
      cryptoVerify(null, pae(PAYLOAD_TYPE, payload), publicKey, Buffer.from(env.signatures[0]!.sig, 'base64')),
    ).toBe(true);
  });

  it('round-trips forgegate sign → verify, and names the key that verified', () => {
    const result = verifySignatureFile(Buffer.from(signEnvelope(payload, [key])), ctx);
    expect(result).toMatchObject({
      ok: true,
      keyid: key.keyid,
      statement: { feedstock: 'demo-pkg', subdir: 'noarch', size: 4 },
    });
  });

  it('refuses a signature file over 64 KiB as malformed', () => {
    expect(verifySignatureFile(Buffer.alloc(65 * 1024, 0x20), ctx)).toMatchObject({
      ok: false,
      reason: 'SIGNATURE_MALFORMED',
    });
    expect(verifySignatureFile(null, ctx)).toMatchObject({ ok: false, reason: 'SIGNATURE_MALFORMED' });
  });
});
