// The report-flood attack: a keyless uploader stages junk artifacts whose statements claim a keyed feedstock, signed
// with a key of its own, some naming a huge key id. Every one is rejected SIGNATURE_INVALID and reported to the
// feedstock it claims (under `unknown`: an unverified statement never chooses the commit).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { generateKeyPair } from '../../src/statement/keys.js';
import { digestFile } from '../../src/util/digest.js';

export async function stageJunkClaims(
  sb: Sandbox,
  opts: { feedstock: string; name: string; count: number; longKeyIds: number; keyIdLength: number },
): Promise<void> {
  const own = generateKeyPair();
  const dir = join(sb.buildDir, 'junk');
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < opts.count; i++) {
    const filename = `${opts.name}-1.0-junk${String(i).padStart(4, '0')}_0.conda`;
    const path = join(dir, filename);
    await writeFile(path, randomBytes(64));
    const keyid = i < opts.longKeyIds ? 'k'.repeat(opts.keyIdLength) : own.keyid;
    await sb.stage(
      { path, filename, subdir: 'noarch', digests: await digestFile(path) },
      { feedstock: opts.feedstock, keys: [{ ...own, keyid }] },
    );
  }
}
