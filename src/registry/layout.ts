// registry-v1 file layout: where each file lives and how each file must look. Pure; no I/O.
import YAML from 'yaml';
import { ForgegateError } from '../errors.js';
import type {
  AcceptEvidence,
  FeedstockFile,
  RegistryConfig,
  RegistryKey,
  RegistryPublisher,
  SigstoreRegistryConfig,
} from '../ports/registry.js';
import { decodeBase64Strict } from '../util/base64.js';
import { sha256Hex } from '../util/digest.js';
import { parseUtcTime } from '../util/time.js';

export const CONFIG_FILE = 'config.json';
export const ALLOWLIST_FILE = 'feedstock_outputs_autoreg_allowlist.yml';
export const KEYS_DIR = 'keys';
export const DEFAULT_REGISTRY_CONFIG: RegistryConfig = {
  outputs_path: 'outputs',
  shard_level: 3,
  shard_fill: 'z',
  auto_register_all: false,
};

/** Names as the real registry spells them: a leading letter, digit or `_`, then `[A-Za-z0-9._-]`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function isRegistryName(name: string): boolean {
  return NAME.test(name) && name.length <= 200;
}

/** The shard folders of a name: lowercase, keep a-z0-9, first `level` characters, padded with `fill`. */
export function shardOf(name: string, config: RegistryConfig): string[] {
  const alnum = name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, config.shard_level)
    .padEnd(config.shard_level, config.shard_fill);
  return Array.from(alnum);
}

export function outputPath(name: string, config: RegistryConfig): string {
  return [config.outputs_path, ...shardOf(name, config), `${name}.json`].join('/');
}

export function outputShardDir(name: string, config: RegistryConfig): string {
  return [config.outputs_path, ...shardOf(name, config)].join('/');
}

export function keyPath(feedstock: string, config: RegistryConfig): string {
  return [KEYS_DIR, ...shardOf(feedstock, config), `${feedstock}.json`].join('/');
}

function invalid(path: string, what: string): ForgegateError {
  return new ForgegateError('FG_REGISTRY_INVALID', `registry file ${path}: ${what}`, {
    fix: 'Fix the file in the registry repository (`forgegate registry lint` shows every problem).',
  });
}

function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be a JSON object');
  return value as Record<string, unknown>;
}

/** GitHub's OIDC issuer for Actions: the default `sigstore.issuer`, compared exactly. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const DECIMAL_ID = /^(0|[1-9][0-9]{0,19})$/;
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function isGitHubRepository(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const [owner, name, extra] = text.split('/');
  return extra === undefined && GITHUB_OWNER.test(owner ?? '') && GITHUB_NAME.test(name ?? '');
}

/** Prefix and suffix of a repoPattern around its one `{feedstock}` (`conda-forge/` and `-feedstock`). */
export function splitRepoPattern(pattern: string): { prefix: string; suffix: string } | null {
  const at = pattern.indexOf('{feedstock}');
  if (at < 0 || pattern.indexOf('{feedstock}', at + 1) >= 0) return null;
  const prefix = pattern.slice(0, at);
  const suffix = pattern.slice(at + '{feedstock}'.length);
  const [owner, namePrefix, extra] = prefix.split('/');
  if (extra !== undefined || namePrefix === undefined || !GITHUB_OWNER.test(owner!)) return null;
  if (!/^[A-Za-z0-9._-]*$/.test(namePrefix) || !/^[A-Za-z0-9._-]*$/.test(suffix)) return null;
  return { prefix, suffix };
}

function parseSigstoreConfig(v: unknown, path: string): SigstoreRegistryConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw invalid(path, 'sigstore must be an object { issuer, ownerId, repoPattern }');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!['issuer', 'ownerId', 'repoPattern'].includes(k))
      throw invalid(path, `sigstore.${k} is not a field forgegate knows (allowed: issuer, ownerId, repoPattern)`);
  const issuer = o['issuer'] ?? GITHUB_ACTIONS_ISSUER;
  if (typeof issuer !== 'string' || !/^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(issuer))
    throw invalid(path, 'sigstore.issuer must be an https URL');
  const ownerId = o['ownerId'] ?? null;
  if (ownerId !== null && (typeof ownerId !== 'string' || !DECIMAL_ID.test(ownerId)))
    throw invalid(path, 'sigstore.ownerId must be a decimal string (GitHub owner id) or null');
  const repoPattern = o['repoPattern'];
  if (typeof repoPattern !== 'string' || splitRepoPattern(repoPattern) === null)
    throw invalid(path, 'sigstore.repoPattern must be owner/name with exactly one {feedstock} in the name part');
  return { issuer, ownerId, repoPattern };
}

export function parseRegistryConfig(text: string | null, path = CONFIG_FILE): RegistryConfig {
  if (text === null) return { ...DEFAULT_REGISTRY_CONFIG };
  const raw = parseJsonObject(text, path);
  const config = { ...DEFAULT_REGISTRY_CONFIG, ...raw } as Record<string, unknown>;
  const sigstore = raw['sigstore'] === undefined ? undefined : parseSigstoreConfig(raw['sigstore'], path);
  const { outputs_path: op, shard_level: level, shard_fill: fill, auto_register_all: auto } = config;
  if (typeof op !== 'string' || !/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/.test(op) || op.split('/').includes('..')) {
    throw invalid(path, 'outputs_path must be a relative folder path');
  }
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 8)
    throw invalid(path, 'shard_level must be an integer 0..8');
  if (typeof fill !== 'string' || !/^[a-z0-9]$/.test(fill))
    throw invalid(path, 'shard_fill must be one character a-z or 0-9');
  if (typeof auto !== 'boolean') throw invalid(path, 'auto_register_all must be true or false');
  return {
    outputs_path: op,
    shard_level: level,
    shard_fill: fill,
    auto_register_all: auto,
    ...(sigstore ? { sigstore } : {}),
  };
}

export function parseOutputFile(text: string, path: string): string[] {
  const raw = parseJsonObject(text, path);
  const list = raw['feedstocks'];
  if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string' && isRegistryName(f))) {
    throw invalid(path, '"feedstocks" must be a non-empty list of feedstock names');
  }
  return list as string[];
}

export function formatOutputFile(feedstocks: string[]): string {
  return `${JSON.stringify({ feedstocks })}\n`;
}

export function parseAllowlist(text: string | null, path = ALLOWLIST_FILE): Record<string, string[]> {
  if (text === null) return {};
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (e) {
    throw invalid(path, `not valid YAML (${(e as Error).message})`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid(path, 'must map feedstock names to lists of glob patterns');
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [feedstock, patterns] of Object.entries(value as Record<string, unknown>)) {
    if (!isRegistryName(feedstock)) throw invalid(path, `"${feedstock}" is not a feedstock name`);
    if (!Array.isArray(patterns) || !patterns.every((p) => typeof p === 'string' && p.length > 0)) {
      throw invalid(path, `${feedstock}: must be a list of non-empty glob patterns`);
    }
    out[feedstock] = patterns as string[];
  }
  return out;
}

function optionalTime(entry: Record<string, unknown>, field: string, path: string, where: string): string | null {
  const v = entry[field];
  if (v === undefined || v === null) return null;
  if (parseUtcTime(v) === null) throw invalid(path, `${where}.${field} must be an RFC 3339 UTC time ending in Z`);
  return v as string;
}

/** Parse and check a key file: every keyid must equal sha256(publicKey), every key 32 bytes. */
export function parseKeyFile(text: string, path: string): RegistryKey[] {
  return parseFeedstockFile(text, path).keys;
}

/**
 * A keys file as a run reads it (keyless-v1): an invalid one gives its feedstock no keys and no publishers
 * (KEY_UNKNOWN, PUBLISHER_UNKNOWN) and is named once by the run, instead of stopping every feedstock's run.
 */
export function readFeedstockFile(
  text: string,
  path: string,
  sigstore?: SigstoreRegistryConfig,
): { file: FeedstockFile } | { invalid: string } {
  try {
    return { file: parseFeedstockFile(text, path, sigstore) };
  } catch (e) {
    if (e instanceof ForgegateError && e.code === 'FG_REGISTRY_INVALID') return { invalid: e.message };
    throw e;
  }
}

const FILE_FIELDS = ['keys', 'publishers', 'accept'];
const PUBLISHER_FIELDS = [
  'id',
  'kind',
  'repository',
  'repositoryId',
  'ownerId',
  'workflow',
  'signerWorkflows',
  'refs',
  'events',
  'environment',
  'runner',
  'addedAt',
  'notAfter',
  'revokedAt',
  'comment',
];
const PUBLISHER_ID = /^[a-z0-9][a-z0-9-]{0,99}$/;
const WORKFLOW = /^\.github\/workflows\/[^/@\s]+\.ya?ml$/;
const SIGNER_WORKFLOW = /^https:\/\/github\.com\/[A-Za-z0-9-]+\/[A-Za-z0-9._-]+\/[^@\s]+@[^@\s]+$/;
const EVENT = /^[a-z_]{1,64}$/;

/**
 * Parse and check a keys file (registry-v1 keys, keyless-v1 publishers and accept). Any field forgegate does not
 * know makes the file invalid: a restriction it does not understand must never be dropped silently. `sigstore` is
 * the registry's block: a publisher with another ownerId than its `ownerId` makes the file invalid.
 */
export function parseFeedstockFile(text: string, path: string, sigstore?: SigstoreRegistryConfig): FeedstockFile {
  const raw = parseJsonObject(text, path);
  for (const k of Object.keys(raw))
    if (!FILE_FIELDS.includes(k))
      throw invalid(path, `"${k}" is not a field of a keys file (allowed: ${FILE_FIELDS.join(', ')})`);
  const keys = raw['keys'] ?? [];
  if (!Array.isArray(keys)) throw invalid(path, '"keys" must be a list');
  const publishers = raw['publishers'] ?? [];
  if (!Array.isArray(publishers)) throw invalid(path, '"publishers" must be a list');
  const accept = raw['accept'] ?? 'any';
  if (accept !== 'any' && accept !== 'sigstore') throw invalid(path, '"accept" must be "any" or "sigstore"');
  const parsed = publishers.map((p: unknown, i) => parsePublisher(p, path, `publishers[${i}]`, sigstore));
  const ids = new Set<string>();
  for (const p of parsed) {
    if (ids.has(p.id)) throw invalid(path, `publisher id "${p.id}" is listed twice`);
    ids.add(p.id);
  }
  return { keys: keys.map((entry: unknown, i) => parseKey(entry, path, i)), publishers: parsed, accept };
}

function parsePublisher(
  entry: unknown,
  path: string,
  where: string,
  sigstore: SigstoreRegistryConfig | undefined,
): RegistryPublisher {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw invalid(path, `${where} must be an object`);
  const e = entry as Record<string, unknown>;
  for (const k of Object.keys(e))
    if (!PUBLISHER_FIELDS.includes(k))
      throw invalid(
        path,
        `${where}.${k} is not a publisher field forgegate knows: a restriction it does not ` +
          'understand must never be dropped silently',
      );
  const fail = (field: string, what: string): never => {
    throw invalid(path, `${where}.${field} ${what}`);
  };
  const str = (field: string, re: RegExp, what: string): string => {
    const v = e[field];
    if (typeof v !== 'string' || !re.test(v)) return fail(field, what);
    return v;
  };
  const id = str('id', PUBLISHER_ID, 'must match [a-z0-9][a-z0-9-]*');
  if (e['kind'] !== 'github') fail('kind', 'must be "github"');
  const repository = e['repository'];
  if (!isGitHubRepository(repository)) fail('repository', 'must be owner/name as GitHub spells it');
  const repositoryId = str('repositoryId', DECIMAL_ID, "must be GitHub's numeric repository id as a decimal string");
  const ownerId = str('ownerId', DECIMAL_ID, "must be the owner's numeric id as a decimal string");
  if (sigstore?.ownerId != null && ownerId !== sigstore.ownerId)
    fail('ownerId', `is ${ownerId}, but config.json's sigstore.ownerId is ${sigstore.ownerId}`);
  const workflow = str('workflow', WORKFLOW, 'must be the caller workflow path, .github/workflows/<file>.yml');
  const list = (field: string, fallback: string[] | null, re: RegExp, what: string): string[] => {
    const v = e[field] ?? fallback;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && re.test(x))) return fail(field, what);
    return v as string[];
  };
  const signerWorkflows = list(
    'signerWorkflows',
    [],
    SIGNER_WORKFLOW,
    'must list full reusable-workflow references, https://github.com/<owner>/<repo>/<path>@<ref>',
  );
  const refs = list('refs', null, /^refs\/[^\s]+$/, 'must be a non-empty list of full ref names (refs/heads/main)');
  if (refs.length === 0) fail('refs', 'must be a non-empty list of full ref names (refs/heads/main)');
  const events = list('events', ['push'], EVENT, 'must be a list of GitHub event names');
  const pr = events.find((ev) => ev.startsWith('pull_request'));
  if (pr !== undefined)
    fail('events', `lists "${pr}": pull_request runs may run fork code and no registry entry can allow them`);
  const environment = e['environment'] ?? null;
  if (environment !== null && (typeof environment !== 'string' || environment === ''))
    fail('environment', 'must be a non-empty string or null');
  const runner = e['runner'] ?? null;
  if (runner !== null && runner !== 'github-hosted' && runner !== 'self-hosted')
    fail('runner', 'must be "github-hosted", "self-hosted" or null');
  if (e['comment'] !== undefined && typeof e['comment'] !== 'string') fail('comment', 'must be a string');
  const addedAt = optionalTime(e, 'addedAt', path, where);
  return {
    id,
    kind: 'github',
    repository: repository as string,
    repositoryId,
    ownerId,
    workflow,
    signerWorkflows,
    refs,
    events,
    environment: environment as string | null,
    runner: runner as RegistryPublisher['runner'],
    ...(addedAt !== null ? { addedAt } : {}),
    notAfter: optionalTime(e, 'notAfter', path, where),
    revokedAt: optionalTime(e, 'revokedAt', path, where),
    ...(typeof e['comment'] === 'string' ? { comment: e['comment'] } : {}),
  };
}

function parseKey(entry: unknown, path: string, i: number): RegistryKey {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw invalid(path, `keys[${i}] must be an object`);
  const e = entry as Record<string, unknown>;
  const publicKey = decodeBase64Strict(e['publicKey']);
  if (publicKey === null || publicKey.length !== 32)
    throw invalid(path, `keys[${i}].publicKey must be standard base64 of 32 bytes`);
  if (typeof e['keyid'] !== 'string' || e['keyid'] !== sha256Hex(publicKey)) {
    throw invalid(
      path,
      `keys[${i}].keyid must be the lowercase hex sha256 of the public key (${sha256Hex(publicKey)})`,
    );
  }
  const key: RegistryKey = { keyid: e['keyid'], publicKey: e['publicKey'] as string };
  const addedAt = optionalTime(e, 'addedAt', path, `keys[${i}]`);
  if (addedAt !== null) key.addedAt = addedAt;
  key.notAfter = optionalTime(e, 'notAfter', path, `keys[${i}]`);
  key.revokedAt = optionalTime(e, 'revokedAt', path, `keys[${i}]`);
  if (typeof e['comment'] === 'string') key.comment = e['comment'];
  return key;
}

export function formatKeyFile(keys: RegistryKey[]): string {
  return formatFeedstockFile({ keys, publishers: [], accept: 'any' });
}

/** A keys file as an admin reads it: `publishers` and `accept` only where they say something. */
export function formatFeedstockFile(file: {
  keys: RegistryKey[];
  publishers: RegistryPublisher[];
  accept: AcceptEvidence;
}): string {
  const doc: Record<string, unknown> = { keys: file.keys };
  if (file.publishers.length > 0) doc['publishers'] = file.publishers;
  if (file.accept !== 'any') doc['accept'] = file.accept;
  return `${JSON.stringify(doc, null, 2)}\n`;
}
