// Admin edits on a registry checkout (`registry add-output|add-key|revoke-key|add-publisher|revoke-publisher`): change
// files, then open a pull request. A keys file is always read and written whole (keys, publishers, accept): an edit
// of one part never drops another.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ForgegateError } from '../../errors.js';
import type { AcceptEvidence, FeedstockFile, RegistryKey, RegistryPublisher } from '../../ports/registry.js';
import { decodeBase64Strict } from '../../util/base64.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { keyIdOf } from '../../statement/keys.js';
import {
  CONFIG_FILE,
  formatFeedstockFile,
  formatOutputFile,
  isRegistryName,
  keyPath,
  outputPath,
  parseFeedstockFile,
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
  const file = await feedstockFile(root, path);
  const keys = file.keys;
  if (keys.some((k) => k.keyid === keyid)) return { path, keyid, changed: false };
  const entry: RegistryKey = {
    keyid,
    publicKey,
    addedAt: opts.now,
    notAfter: opts.notAfter ?? null,
    revokedAt: null,
    ...(opts.comment ? { comment: opts.comment } : {}),
  };
  await writeFeedstockFile(root, path, { ...file, keys: [...keys, entry] });
  return { path, keyid, changed: true };
}

export async function revokeKey(
  root: string,
  feedstock: string,
  keyid: string,
  at: string,
): Promise<{ path: string; changed: boolean }> {
  const path = keyPath(name('feedstock', feedstock), await config(root));
  const file = await feedstockFile(root, path);
  const keys = file.keys;
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
  await writeFeedstockFile(root, path, file);
  return { path, changed: true };
}

/** A feedstock's keys file as it is (an empty one when there is none). */
async function feedstockFile(root: string, path: string): Promise<FeedstockFile> {
  const text = await readOrNull(join(root, path));
  return text === null
    ? { keys: [], publishers: [], accept: 'any' }
    : parseFeedstockFile(text, path, (await config(root)).sigstore);
}

/** Write a keys file, checked first by the gate's own strict parser: never leave a file the gate would refuse. */
async function writeFeedstockFile(root: string, path: string, file: FeedstockFile): Promise<void> {
  const text = formatFeedstockFile(file);
  parseFeedstockFile(text, path, (await config(root)).sigstore);
  await writeFileAtomic(join(root, path), text);
}

/** A trusted publisher to add (keyless-v1): every field of the spec's table that the admin gives. */
export type PublisherInput = Omit<RegistryPublisher, 'kind' | 'notAfter' | 'revokedAt'> & { notAfter?: string };

export async function addPublisher(
  root: string,
  feedstock: string,
  input: PublisherInput,
  opts: { accept?: AcceptEvidence },
): Promise<{ path: string; changed: boolean }> {
  const path = keyPath(name('feedstock', feedstock), await config(root));
  const file = await feedstockFile(root, path);
  const same = file.publishers.find((p) => p.id === input.id);
  const entry: RegistryPublisher = {
    ...input,
    kind: 'github',
    notAfter: input.notAfter ?? null,
    revokedAt: null,
  };
  // The same publisher again is no change (a retried command); another one under its id is a mistake.
  const fields = (p: RegistryPublisher): string =>
    JSON.stringify(Object.entries({ ...p, addedAt: null }).sort(([a], [b]) => a.localeCompare(b)));
  const again = same !== undefined && fields(same) === fields(entry);
  if (same !== undefined && !again)
    throw new ForgegateError('FG_USAGE', `feedstock ${feedstock} already has a publisher "${input.id}"`, {
      fix: 'Choose another --id (publishers are rotated by adding a new one, then revoking the old one).',
    });
  const accept = opts.accept ?? file.accept;
  if (again && accept === file.accept) return { path, changed: false };
  await writeFeedstockFile(root, path, {
    ...file,
    publishers: again ? file.publishers : [...file.publishers, entry],
    accept,
  });
  return { path, changed: true };
}

export async function revokePublisher(
  root: string,
  feedstock: string,
  id: string,
  at: string,
): Promise<{ path: string; changed: boolean }> {
  const path = keyPath(name('feedstock', feedstock), await config(root));
  const file = await feedstockFile(root, path);
  const publisher = file.publishers.find((p) => p.id === id);
  if (publisher === undefined)
    throw new ForgegateError('FG_USAGE', `feedstock ${feedstock} has no publisher "${id}"`, {
      fix: `Pass one of: ${file.publishers.map((p) => p.id).join(', ') || '(none registered)'}; ${path} lists them.`,
    });
  if (publisher.revokedAt !== null) return { path, changed: false };
  publisher.revokedAt = at;
  await writeFeedstockFile(root, path, file);
  return { path, changed: true };
}
