// registry-v1 file layout: where each file lives and how each file must look. Pure; no I/O.
import YAML from 'yaml';
import { ForgegateError } from '../errors.js';
import type { RegistryConfig, RegistryKey } from '../ports/registry.js';
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

export function parseRegistryConfig(text: string | null, path = CONFIG_FILE): RegistryConfig {
  if (text === null) return { ...DEFAULT_REGISTRY_CONFIG };
  const raw = parseJsonObject(text, path);
  const config = { ...DEFAULT_REGISTRY_CONFIG, ...raw } as Record<string, unknown>;
  const { outputs_path: op, shard_level: level, shard_fill: fill, auto_register_all: auto } = config;
  if (typeof op !== 'string' || !/^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/.test(op) || op.split('/').includes('..')) {
    throw invalid(path, 'outputs_path must be a relative folder path');
  }
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 8)
    throw invalid(path, 'shard_level must be an integer 0..8');
  if (typeof fill !== 'string' || !/^[a-z0-9]$/.test(fill))
    throw invalid(path, 'shard_fill must be one character a-z or 0-9');
  if (typeof auto !== 'boolean') throw invalid(path, 'auto_register_all must be true or false');
  return { outputs_path: op, shard_level: level, shard_fill: fill, auto_register_all: auto };
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

function optionalTime(entry: Record<string, unknown>, field: string, path: string, i: number): string | null {
  const v = entry[field];
  if (v === undefined || v === null) return null;
  if (parseUtcTime(v) === null) throw invalid(path, `keys[${i}].${field} must be an RFC 3339 UTC time ending in Z`);
  return v as string;
}

/** Parse and check a key file: every keyid must equal sha256(publicKey), every key 32 bytes. */
export function parseKeyFile(text: string, path: string): RegistryKey[] {
  const raw = parseJsonObject(text, path);
  const keys = raw['keys'];
  if (!Array.isArray(keys)) throw invalid(path, '"keys" must be a list');
  return keys.map((entry: unknown, i): RegistryKey => {
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
    const addedAt = optionalTime(e, 'addedAt', path, i);
    if (addedAt !== null) key.addedAt = addedAt;
    key.notAfter = optionalTime(e, 'notAfter', path, i);
    key.revokedAt = optionalTime(e, 'revokedAt', path, i);
    if (typeof e['comment'] === 'string') key.comment = e['comment'];
    return key;
  });
}

export function formatKeyFile(keys: RegistryKey[]): string {
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}
