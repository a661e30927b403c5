import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryKey } from '../../src/model.js';
import { verifySignatureFile } from '../../src/statement/verify.js';
import { parseDuration, parseUtcTime } from '../../src/util/time.js';
import { SPEC_DIR } from '../helpers/paths.js';

interface Vector {
  description: string;
  context: { now: string; maxSignatureAge: string; clockSkew: string; targetChannel: string; labels: string[]; keys: Record<string, RegistryKey[]> };
  envelope: unknown;
  expect: { valid: true; keyid: string } | { valid: false; reason: string };
}

const dir = join(SPEC_DIR, 'vectors');
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'keys.json').sort();

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
