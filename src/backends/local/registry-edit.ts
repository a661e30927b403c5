// Admin edits on a registry checkout (`registry add-output|add-key|revoke-key`): change files, then open a pull
// request.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ForgegateError } from '../../errors.js';
import type { RegistryKey } from '../../ports/registry.js';
import { decodeBase64Strict } from '../../util/base64.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { keyIdOf } from '../../statement/keys.js';
import {
  CONFIG_FILE,
  formatKeyFile,
  formatOutputFile,
  isRegistryName,
  keyPath,
  outputPath,
  parseKeyFile,
  parseOutputFile,
  parseRegistryConfig,
} from '../../registry/layout.js';

const readOrNull = (path: string): Promise<string | null> => readFile(path, 'utf8').catch(() => null);

function name(kind: string, value: string): string {
  if (!isRegistryName(value))
    throw new ForgegateError('FG_USAGE', `"${value}" is not a valid ${kind} name`, {
      fix: 'Names use letters, digits, `.`, `_` and `-`.',
    });
  return value;
}

async function config(root: string) {
  return parseRegistryConfig(await readOrNull(join(root, CONFIG_FILE)));
}

export async function addOutput(
  root: string,
  output: string,
  feedstock: string,
): Promise<{ path: string; changed: boolean }> {
  const path = outputPath(name('output', output), await config(root));
  const text = await readOrNull(join(root, path));
  const feedstocks = text === null ? [] : parseOutputFile(text, path);
  if (feedstocks.includes(name('feedstock', feedstock))) return { path, changed: false };
  await writeFileAtomic(join(root, path), formatOutputFile([...feedstocks, feedstock]));
  return { path, changed: true };
}

export async function addKey(
  root: string,
  feedstock: string,
  publicKey: string,
  opts: { notAfter?: string; comment?: string; now: string },
): Promise<{ path: string; keyid: string; changed: boolean }> {
  const raw = decodeBase64Strict(publicKey);
  if (raw === null || raw.length !== 32)
    throw new ForgegateError('FG_USAGE', '--public-key is not standard base64 of 32 bytes', {
      fix: 'Paste publicKey from `forgegate keygen` output.',
    });
  const keyid = keyIdOf(raw);
  const path = keyPath(name('feedstock', feedstock), await config(root));
  const text = await readOrNull(join(root, path));
  const keys = text === null ? [] : parseKeyFile(text, path);
  if (keys.some((k) => k.keyid === keyid)) return { path, keyid, changed: false };
  const entry: RegistryKey = {
    keyid,
    publicKey,
    addedAt: opts.now,
    notAfter: opts.notAfter ?? null,
    revokedAt: null,
    ...(opts.comment ? { comment: opts.comment } : {}),
  };
  await writeFileAtomic(join(root, path), formatKeyFile([...keys, entry]));
  // Round-trip through the strict parser: never leave a file the gate would refuse.
  parseKeyFile(formatKeyFile([...keys, entry]), path);
  return { path, keyid, changed: true };
}

export async function revokeKey(
  root: string,
  feedstock: string,
  keyid: string,
  at: string,
): Promise<{ path: string; changed: boolean }> {
  const path = keyPath(name('feedstock', feedstock), await config(root));
  const text = await readOrNull(join(root, path));
  const keys = text === null ? [] : parseKeyFile(text, path);
  // The full id, or the 16-hex prefix older `sign` output showed, as long as it names exactly one key.
  const wanted = keyid.toLowerCase();
  const matches = wanted.length >= 16 ? keys.filter((k) => k.keyid.startsWith(wanted)) : [];
  const key = matches.length === 1 ? matches[0] : undefined;
  if (!key)
    throw new ForgegateError(
      'FG_USAGE',
      matches.length > 1
        ? `key id ${keyid} matches ${matches.length} keys of feedstock ${feedstock}`
        : `feedstock ${feedstock} has no key ${keyid}`,
      { fix: `Pass the full key id (or at least its first 16 hex digits); ${path} lists them.` },
    );
  if (key.revokedAt) return { path, changed: false };
  key.revokedAt = at;
  await writeFileAtomic(join(root, path), formatKeyFile(keys));
  return { path, changed: true };
}
