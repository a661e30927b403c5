// read → parse → normalise → validate. Every problem is collected with its key path, then reported at once.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { isSubdir } from '../conda/filename.js';
import { KNOWN_SUBDIRS, RESERVED_SUBDIRS } from '../conda/subdirs.js';
import { ForgegateError } from '../errors.js';
import { parseSize } from '../util/size.js';
import { parseDuration } from '../util/time.js';
import { folderPlaces, placeOverlaps } from './places.js';
import {
  DEFAULT_CHANNEL_INDEX,
  DEFAULT_POLICY,
  type ChannelIndexConfig,
  type Config,
  type Policy,
  type ReportsConfig,
  type RegistrySourceConfig,
  type StoreConfig,
} from './types.js';

type Obj = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];
  add(path: string, expected: string, got?: unknown): void {
    const shown = got === undefined ? 'missing' : `got ${JSON.stringify(got)}`;
    this.list.push(`${path}: expected ${expected} (${shown})`);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(
  o: Obj,
  key: string,
  path: string,
  p: Problems,
  opts: { pattern?: RegExp; expected?: string; fallback?: string } = {},
): string {
  const v = o[key] ?? opts.fallback;
  if (typeof v !== 'string' || v.length === 0 || (opts.pattern && !opts.pattern.test(v))) {
    p.add(`${path}.${key}`, opts.expected ?? 'a non-empty string', o[key]);
    return '';
  }
  return v;
}

function unknownKeys(o: Obj, allowed: string[], path: string, p: Problems): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) p.add(`${path}.${k}`, `no such key (allowed: ${allowed.join(', ')})`, o[k]);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_URL = /^https?:\/\/[^\s/]+(?:\/[^\s]*)?$/;
const GH_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** target.store.index: { monolithic, currentRepodata, shards, shardRetention }, each optional. */
function channelIndex(v: unknown, p: Problems): ChannelIndexConfig {
  const path = 'target.store.index';
  if (!isObj(v)) {
    p.add(path, '{ monolithic, currentRepodata, shards, shardRetention }', v);
    return DEFAULT_CHANNEL_INDEX;
  }
  unknownKeys(v, ['monolithic', 'currentRepodata', 'shards', 'shardRetention'], path, p);
  const flag = (key: 'monolithic' | 'currentRepodata' | 'shards'): boolean => {
    if (v[key] === undefined) return DEFAULT_CHANNEL_INDEX[key];
    if (typeof v[key] !== 'boolean') p.add(`${path}.${key}`, 'true or false', v[key]);
    return v[key] === true;
  };
  const index = {
    ...DEFAULT_CHANNEL_INDEX,
    monolithic: flag('monolithic'),
    currentRepodata: flag('currentRepodata'),
    shards: flag('shards'),
  };
  if (v['shardRetention'] !== undefined) {
    const ms = typeof v['shardRetention'] === 'string' ? parseDuration(v['shardRetention']) : null;
    if (ms === null) p.add(`${path}.shardRetention`, 'a duration such as 1h or 7d', v['shardRetention']);
    index.shardRetentionMs = ms ?? DEFAULT_CHANNEL_INDEX.shardRetentionMs;
  }
  if (!index.monolithic && !index.shards) p.add(path, 'monolithic or shards (a channel needs an index)', v);
  return index;
}

function store(v: unknown, path: string, base: string, p: Problems): StoreConfig {
  if (!isObj(v)) {
    p.add(path, '{ type: directory, path } or { type: anaconda, owner, url, tokenEnv }', v);
    return { type: 'directory', path: '' };
  }
  if (v['type'] === 'directory') {
    // Only the target is a channel with an index to write.
    unknownKeys(v, path === 'target.store' ? ['type', 'path', 'index'] : ['type', 'path'], path, p);
    const dir = resolve(base, str(v, 'path', path, p, { expected: 'a folder path' }));
    // Without `index`, the channel writes the default forms (LocalChannel applies DEFAULT_CHANNEL_INDEX).
    if (path !== 'target.store' || v['index'] === undefined) return { type: 'directory', path: dir };
    return { type: 'directory', path: dir, index: channelIndex(v['index'], p) };
  }
  if (v['type'] === 'anaconda') {
    unknownKeys(v, ['type', 'owner', 'url', 'tokenEnv'], path, p);
    return {
      type: 'anaconda',
      owner: str(v, 'owner', path, p, { pattern: /^[A-Za-z0-9_.-]+$/, expected: 'an anaconda.org owner name' }),
      url: str(v, 'url', path, p, {
        pattern: HTTP_URL,
        expected: 'an http(s) URL',
        fallback: 'https://api.anaconda.org',
      }).replace(/\/+$/, ''),
      tokenEnv: str(v, 'tokenEnv', path, p, {
        pattern: ENV_NAME,
        expected: 'the NAME of an environment variable holding the token',
      }),
    };
  }
  p.add(`${path}.type`, '"directory" or "anaconda"', v['type']);
  return { type: 'directory', path: '' };
}

function registry(v: unknown, base: string, p: Problems): RegistrySourceConfig {
  const path = 'registry';
  if (isObj(v) && v['type'] === 'directory') {
    unknownKeys(v, ['type', 'path'], path, p);
    return { type: 'directory', path: resolve(base, str(v, 'path', path, p)) };
  }
  if (isObj(v) && v['type'] === 'github') {
    unknownKeys(v, ['type', 'repository', 'ref', 'tokenEnv', 'url'], path, p);
    return {
      type: 'github',
      repository: str(v, 'repository', path, p, { pattern: GH_REPO, expected: 'owner/name' }),
      ref: str(v, 'ref', path, p, { fallback: 'main' }),
      tokenEnv: str(v, 'tokenEnv', path, p, {
        pattern: ENV_NAME,
        expected: 'an environment variable name',
        fallback: 'GITHUB_TOKEN',
      }),
      url: str(v, 'url', path, p, {
        pattern: HTTP_URL,
        expected: 'an http(s) URL',
        fallback: 'https://api.github.com/graphql',
      }),
    };
  }
  p.add(path, '{ type: directory, path } or { type: github, repository, ref, tokenEnv, url }', v);
  return { type: 'directory', path: '' };
}

function reports(v: unknown, base: string, p: Problems): ReportsConfig {
  const path = 'reports';
  if (v === undefined) return { type: 'directory', path: resolve(base, 'reports') };
  if (isObj(v) && v['type'] === 'directory') {
    unknownKeys(v, ['type', 'path'], path, p);
    return { type: 'directory', path: resolve(base, str(v, 'path', path, p)) };
  }
  if (isObj(v) && v['type'] === 'github') {
    unknownKeys(v, ['type', 'repositoryTemplate', 'adminRepository', 'tokenEnv', 'url'], path, p);
    const template = str(v, 'repositoryTemplate', path, p, {
      pattern: /^[A-Za-z0-9_.{}-]+\/[A-Za-z0-9_.{}-]+$/,
      expected: 'owner/name with {feedstock}',
    });
    if (template && !template.includes('{feedstock}'))
      p.add(`${path}.repositoryTemplate`, 'a template containing {feedstock}', template);
    return {
      type: 'github',
      repositoryTemplate: template,
      adminRepository: str(v, 'adminRepository', path, p, {
        pattern: GH_REPO,
        expected: "owner/name of the admins' repository for security alerts",
      }),
      tokenEnv: str(v, 'tokenEnv', path, p, {
        pattern: ENV_NAME,
        expected: 'an environment variable name',
        fallback: 'GITHUB_TOKEN',
      }),
      url: str(v, 'url', path, p, {
        pattern: HTTP_URL,
        expected: 'an http(s) URL',
        fallback: 'https://api.github.com/graphql',
      }),
    };
  }
  p.add(path, '{ type: directory, path } or { type: github, repositoryTemplate, adminRepository, tokenEnv }', v);
  return { type: 'directory', path: '' };
}

function policy(v: unknown, p: Problems): Policy {
  if (v === undefined) return { ...DEFAULT_POLICY };
  if (!isObj(v)) {
    p.add('policy', 'a mapping', v);
    return { ...DEFAULT_POLICY };
  }
  unknownKeys(
    v,
    [
      'maxSignatureAge',
      'clockSkew',
      'stagingGrace',
      'rejectRetention',
      'maxClockJump',
      'concurrency',
      'maxUnpackedSize',
      'maxUnpackRatio',
    ],
    'policy',
    p,
  );
  const duration = (key: string, fallback: number): number => {
    if (v[key] === undefined) return fallback;
    const ms = typeof v[key] === 'string' ? parseDuration(v[key]) : null;
    if (ms === null) p.add(`policy.${key}`, 'a duration such as 90s, 5m, 24h or 7d', v[key]);
    return ms ?? fallback;
  };
  const concurrency = v['concurrency'] ?? DEFAULT_POLICY.concurrency;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    p.add('policy.concurrency', 'an integer from 1 to 256', v['concurrency']);
  }
  const maxUnpacked = v['maxUnpackedSize'] === undefined ? DEFAULT_POLICY.maxUnpackedBytes : null;
  const unpacked = maxUnpacked ?? (typeof v['maxUnpackedSize'] === 'string' ? parseSize(v['maxUnpackedSize']) : null);
  if (unpacked === null) p.add('policy.maxUnpackedSize', 'a size such as 32GiB or 512MiB', v['maxUnpackedSize']);
  const ratio = v['maxUnpackRatio'] ?? DEFAULT_POLICY.maxUnpackRatio;
  if (typeof ratio !== 'number' || !Number.isInteger(ratio) || ratio < 1) {
    p.add('policy.maxUnpackRatio', 'a whole number of unpacked bytes per compressed byte, such as 1000', ratio);
  }
  return {
    maxSignatureAgeMs: duration('maxSignatureAge', DEFAULT_POLICY.maxSignatureAgeMs),
    clockSkewMs: duration('clockSkew', DEFAULT_POLICY.clockSkewMs),
    stagingGraceMs: duration('stagingGrace', DEFAULT_POLICY.stagingGraceMs),
    rejectRetentionMs: duration('rejectRetention', DEFAULT_POLICY.rejectRetentionMs),
    maxClockJumpMs: duration('maxClockJump', DEFAULT_POLICY.maxClockJumpMs),
    concurrency: typeof concurrency === 'number' ? concurrency : DEFAULT_POLICY.concurrency,
    maxUnpackedBytes: unpacked ?? DEFAULT_POLICY.maxUnpackedBytes,
    maxUnpackRatio: typeof ratio === 'number' ? ratio : DEFAULT_POLICY.maxUnpackRatio,
  };
}

type AnacondaStore = Extract<StoreConfig, { type: 'anaconda' }>;

/** One owner on one server: owner names are case-insensitive there, and a URL's scheme or path does not matter. */
function sameOwner(a: AnacondaStore, b: AnacondaStore): boolean {
  const host = (url: string): string => {
    try {
      return new URL(url).host;
    } catch {
      return url.toLowerCase();
    }
  };
  return a.owner.toLowerCase() === b.owner.toLowerCase() && host(a.url) === host(b.url);
}

/**
 * Stores on anaconda.org are owners. Staging is listed across every label of its owner, so no label keeps a channel
 * in the same owner apart from it; the quarantine is swept of everything its owner holds. So all three differ.
 * (Folders are compared through the file system by `places.ts`, when the config is loaded.)
 */
function ownerOverlaps(stores: [string, StoreConfig][], p: Problems): void {
  const why: Record<string, string> = {
    'staging.store target.store':
      "staging is listed across every label of its owner, so the channel's own files would be taken for uploads " +
      'and deleted when refused (no label setting keeps them apart): stage to an owner of its own (conda-forge: ' +
      'cf-staging)',
    'quarantine.store staging.store':
      'the quarantine is swept of every file its owner holds, and uploaders write to staging: give the quarantine ' +
      'an owner only forgegate can write (conda-forge: cf-post-staging)',
    'quarantine.store target.store':
      'the quarantine is swept of every file its owner holds, which would delete the channel: give the quarantine ' +
      'an owner only forgegate can write (conda-forge: cf-post-staging)',
  };
  for (const [i, [ka, a]] of stores.entries()) {
    for (const [kb, b] of stores.slice(i + 1)) {
      if (a.type !== 'anaconda' || b.type !== 'anaconda' || !a.owner || !b.owner || !sameOwner(a, b)) continue;
      p.list.push(
        `${ka}.owner and ${kb}.owner are the same anaconda.org owner (${a.owner} at ${a.url}, ${b.owner} at ` +
          `${b.url}): ${why[[ka, kb].sort().join(' ')]}`,
      );
    }
  }
}

/** Validate a parsed config document. Pure: `configPath` only anchors relative paths. */
export function validateConfig(doc: unknown, configPath: string): { config: Config; errors: string[] } {
  const p = new Problems();
  const base = dirname(configPath);
  const root: Obj = isObj(doc) ? doc : {};
  if (!isObj(doc)) p.add('(top level)', 'a YAML mapping', doc);
  unknownKeys(root, ['target', 'staging', 'quarantine', 'registry', 'ledger', 'reports', 'policy'], '(top level)', p);

  const t: Obj = isObj(root['target']) ? root['target'] : {};
  if (!isObj(root['target'])) p.add('target', '{ channel, labels, store }', root['target']);
  const channel = str(t, 'channel', 'target', p, {
    pattern: HTTP_URL,
    expected: 'the channel URL statements must name, without trailing slash',
  });
  if (channel.endsWith('/')) p.add('target.channel', 'no trailing slash', channel);
  const labels = t['labels'] ?? ['main'];
  if (
    !Array.isArray(labels) ||
    labels.length === 0 ||
    !labels.every((l) => typeof l === 'string' && /^[A-Za-z0-9_.-]+$/.test(l))
  ) {
    p.add('target.labels', 'a non-empty list of label names', t['labels']);
  }
  const s: Obj = isObj(root['staging']) ? root['staging'] : {};
  if (!isObj(root['staging'])) p.add('staging', '{ store, subdirs }', root['staging']);
  else unknownKeys(s, ['store', 'subdirs'], 'staging', p);
  const subdirs = s['subdirs'] ?? KNOWN_SUBDIRS;
  if (
    !Array.isArray(subdirs) ||
    subdirs.length === 0 ||
    !subdirs.every((d) => typeof d === 'string' && isSubdir(d) && !RESERVED_SUBDIRS.includes(d))
  ) {
    p.add('staging.subdirs', 'a non-empty list of conda subdir names (never "label")', s['subdirs']);
  }

  const ledger = resolve(base, typeof root['ledger'] === 'string' ? root['ledger'] : 'forgegate.db');
  if (root['ledger'] !== undefined && typeof root['ledger'] !== 'string')
    p.add('ledger', 'a file path', root['ledger']);

  const targetStore = store(t['store'], 'target.store', base, p);
  const q: Obj | undefined = isObj(root['quarantine']) ? root['quarantine'] : undefined;
  const quarantineStore: StoreConfig = q
    ? store(q['store'], 'quarantine.store', base, p)
    : { type: 'directory', path: resolve(dirname(ledger), 'quarantine') };
  const stagingStore = store(s['store'], 'staging.store', base, p);
  if (targetStore.type === 'anaconda' && quarantineStore.type !== 'anaconda') {
    p.add(
      'quarantine.store',
      'an anaconda owner only forgegate can write (a target on anaconda.org is fed by copies between owners)',
      root['quarantine'],
    );
  }
  if (targetStore.type === 'directory' && quarantineStore.type !== 'directory')
    p.add('quarantine.store', 'a directory for a directory target', root['quarantine']);
  if (quarantineStore.type === 'anaconda' && stagingStore.type !== 'anaconda')
    p.add('staging.store', 'an anaconda owner when the quarantine is on anaconda.org', root['staging']);
  ownerOverlaps(
    [
      ['staging.store', stagingStore],
      ['quarantine.store', quarantineStore],
      ['target.store', targetStore],
    ],
    p,
  );

  const config: Config = {
    configPath,
    target: {
      channel: channel.replace(/\/+$/, ''),
      labels: Array.isArray(labels) ? (labels as string[]) : ['main'],
      store: targetStore,
    },
    staging: { store: stagingStore, subdirs: Array.isArray(subdirs) ? (subdirs as string[]) : KNOWN_SUBDIRS },
    quarantine: { store: quarantineStore },
    registry: registry(root['registry'], base, p),
    ledger,
    reports: reports(root['reports'], base, p),
    policy: policy(root['policy'], p),
  };
  return { config, errors: p.list };
}

export async function loadConfig(path: string): Promise<Config> {
  const configPath = resolve(path);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    throw new ForgegateError(
      'FG_CONFIG_INVALID',
      `cannot read config ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        fix: 'Pass --config with the path of a forgegate YAML config (see README, "Config reference").',
      },
    );
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ForgegateError('FG_CONFIG_INVALID', `config ${configPath} is not valid YAML: ${(e as Error).message}`, {
      fix: 'Fix the YAML syntax.',
    });
  }
  const { config, errors } = validateConfig(doc, configPath);
  if (errors.length > 0) {
    throw new ForgegateError('FG_CONFIG_INVALID', `config ${configPath} is invalid:\n  - ${errors.join('\n  - ')}`, {
      fix: 'Correct the keys listed above (see README, "Config reference").',
    });
  }
  // Before anything reads or writes a store: a config whose staging is the channel would delete the channel.
  const q = isObj(doc) ? doc['quarantine'] : undefined;
  const overlaps = await placeOverlaps(folderPlaces(config, q === undefined));
  if (overlaps.length > 0) {
    throw new ForgegateError(
      'FG_CONFIG_INVALID',
      `config ${configPath} names folders that overlap:\n  - ${overlaps.join('\n  - ')}`,
      {
        fix:
          'Give staging, quarantine, target, reports, registry and the ledger folders of their own, none the same ' +
          'as another or inside another, as seen through symlinks (see docs/security.md, "Folders that may not ' +
          'overlap"). Nothing was read or changed.',
      },
    );
  }
  return config;
}
