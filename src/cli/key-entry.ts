// A seed file and its public key entry: read a seed (sign, key show), and say how an admin registers the entry.
import { readFile } from 'node:fs/promises';
import { ForgegateError } from '../errors.js';
import type { RegistryKey } from '../model.js';
import { DEFAULT_REGISTRY_CONFIG, keyPath } from '../registry/layout.js';
import { encodeKey, keyPairFromSeed, parseSeed, type KeyPair } from '../statement/keys.js';

/** Where keygen keeps the public entry: beside the seed, so it is never lost with a closed terminal. */
export function publicEntryPath(seedPath: string): string {
  return seedPath.replace(/\.seed$/, '') + '.public.json';
}

export async function readSeedFile(path: string): Promise<KeyPair> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ForgegateError(
      code === 'ENOENT' ? 'FG_INPUT_MISSING' : 'FG_INPUT_INVALID',
      `cannot read key file ${path} (${code})`,
      { fix: 'Pass the seed file written by `forgegate keygen` (DIR/FEEDSTOCK.seed).' },
    );
  }
  const seed = parseSeed(text);
  if (seed === null)
    throw new ForgegateError('FG_INPUT_INVALID', `${path} is not a base64 32-byte Ed25519 seed`, {
      fix: 'Pass the seed file written by `forgegate keygen`.',
    });
  return keyPairFromSeed(seed);
}

export function keyEntry(kp: KeyPair, feedstock: string, addedAt: string): RegistryKey {
  return {
    keyid: kp.keyid,
    publicKey: encodeKey(kp.publicKey),
    addedAt,
    notAfter: null,
    revokedAt: null,
    comment: `${feedstock} CI key`,
  };
}

export function addKeyCommand(feedstock: string, publicKey: string): string {
  return `forgegate registry add-key REGISTRY --feedstock ${feedstock} --public-key ${publicKey}`;
}

export function registryKeyPath(feedstock: string): string {
  return keyPath(feedstock, DEFAULT_REGISTRY_CONFIG);
}
