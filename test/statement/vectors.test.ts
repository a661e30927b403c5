import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryKey } from '../../src/ports/registry.js';
import { verifySignatureFile } from '../../src/statement/verify.js';
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
    keys: Record<string, RegistryKey[]>;
  };
  envelope: unknown;
  expect: { valid: true; keyid: string } | { valid: false; reason: string };
}

const dir = VECTORS_DIR;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'keys.json')
  .sort();

describe('upload statement v1 test vectors', () => {
  it('finds the spec vectors', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });
  for (const file of files) {
    const vector = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector;
    it(`${file}: ${vector.description}`, () => {
      const ctx = vector.context;
      const result = verifySignatureFile(Buffer.from(JSON.stringify(vector.envelope)), {
        nowMs: parseUtcTime(ctx.now)!,
        maxSignatureAgeMs: parseDuration(ctx.maxSignatureAge)!,
        clockSkewMs: parseDuration(ctx.clockSkew)!,
        targetChannel: ctx.targetChannel,
        labels: ctx.labels,
        keysFor: (f) => ctx.keys[f] ?? null,
      });
      if (vector.expect.valid) {
        expect(result).toMatchObject({ ok: true, keyid: vector.expect.keyid });
      } else {
        expect(result).toMatchObject({ ok: false, reason: vector.expect.reason });
      }
    });
  }
});

describe('node:crypto and tweetnacl agree on every vector signature', () => {
  it('gives the same verdict for every (signature, key) pair in the vectors', async () => {
    const nacl = (await import('tweetnacl')).default;
    const { ed25519Verify } = await import('../../src/statement/ed25519.js');
    const { pae, parseEnvelope } = await import('../../src/statement/dsse.js');
    const keys = (
      JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')) as { keys: { publicKey: string }[] }
    ).keys.map((k) => Buffer.from(k.publicKey, 'base64'));
    let compared = 0;
    let valid = 0;
    for (const file of files) {
      const env = parseEnvelope(
        Buffer.from(JSON.stringify((JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector).envelope)),
      );
      if (!env.ok) continue;
      const message = pae(env.envelope.payloadType, env.envelope.payload);
      for (const s of env.envelope.signatures) {
        for (const k of keys) {
          const ours = ed25519Verify(message, s.sig, k);
          expect(ours).toBe(nacl.sign.detached.verify(message, s.sig, k));
          compared++;
          if (ours) valid++;
        }
      }
    }
    expect(compared).toBeGreaterThan(40);
    expect(valid).toBeGreaterThan(10);
  });
});
