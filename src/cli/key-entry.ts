// A seed and its public key entry: read a seed (sign, key show) from a file or from an environment variable (a CI
// secret, never written to disk), and say how an admin registers the entry.
import { readFile } from 'node:fs/promises';
import { ForgegateError } from '../errors.js';
import type { RegistryKey } from '../ports/registry.js';
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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The seed held in environment variable `name`. Errors name the variable, never its value: CI logs are public.
 */
export function readSeedEnv(name: string, env: NodeJS.ProcessEnv): KeyPair {
  if (!ENV_NAME.test(name))
    // Never echo it: what was passed here may be the seed itself (`--key-env "$SEED"`).
    throw new ForgegateError('FG_USAGE', '--key-env takes the NAME of an environment variable (letters, digits, _)', {
      fix: 'Pass the NAME of the variable that holds the seed (e.g. --key-env FORGEGATE_SEED), not its value.',
    });
  const text = env[name];
  if (text === undefined || text.trim() === '')
    throw new ForgegateError('FG_INPUT_MISSING', `environment variable ${name} is not set or is empty`, {
      fix:
        `Export the seed into ${name}; in GitHub Actions: \`env: { ${name}: \${{ secrets.${name} }} }\` on the step ` +
        '(a secret is empty in workflows run from forks).',
    });
  const seed = parseSeed(text);
  if (seed === null)
    throw new ForgegateError('FG_INPUT_INVALID', `environment variable ${name} does not hold a base64 32-byte seed`, {
      fix: 'Store the whole content of the FEEDSTOCK.seed file `forgegate keygen` wrote (44 base64 characters).',
    });
  return keyPairFromSeed(seed);
}

/** The seed from exactly one of --key-file and --key-env. */
export async function readSeedFrom(
  values: { keyFile: string | undefined; keyEnv: string | undefined },
  env: NodeJS.ProcessEnv,
  usage: string,
): Promise<KeyPair> {
  const file = values.keyFile || undefined;
  const name = values.keyEnv || undefined;
  if ((file === undefined) === (name === undefined))
    throw new ForgegateError(
      'FG_USAGE',
      file === undefined ? 'missing --key-file or --key-env' : 'pass --key-file or --key-env, not both',
      { fix: `Usage: ${usage.split('\n')[0]}` },
    );
  return file !== undefined ? readSeedFile(file) : readSeedEnv(name!, env);
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
