// The config file, described once: every key, what it holds, its default, and which stores go together. From this
// come the `Config` type (types.ts), the checks and their messages (load.ts), and schema/forgegate.schema.json for
// editors (test/config/schema.test.ts keeps the committed file equal to `configJsonSchema()`).
import { dirname, resolve } from 'node:path';
import { DEFAULT_UNPACK_LIMITS } from '../conda/limits.js';
import { DEFAULT_CHANNEL_INDEX, type ChannelIndexConfig } from './channel-index.js';
import { isSubdir, SUBDIR } from '../conda/filename.js';
import { KNOWN_SUBDIRS, RESERVED_SUBDIRS } from '../conda/subdirs.js';
import { parseSize, SIZE } from '../util/size.js';
import { DURATION, parseDuration } from '../util/time.js';
import {
  boolean,
  byType,
  integer,
  isMapping,
  leaf,
  list,
  literal,
  object,
  optional,
  required,
  text,
  withDefault,
  type At,
  type JsonSchema,
  type Reader,
  type Rule,
} from './shape.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_URL = /^https?:\/\/[^\s/]+(?:\/[^\s]*)?$/;
const GH_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const NAME = /^[A-Za-z0-9_.-]+$/;
const FEEDSTOCK_TEMPLATE = /^(?=.*\{feedstock\})[A-Za-z0-9_.{}-]+\/[A-Za-z0-9_.{}-]+$/;

/** A path in the file, resolved against the config file's folder. */
const path = (expected: string): Reader<string> =>
  text(expected).map((p, at) => resolve(dirname(at.ctx.configPath), p));

const httpUrl = text('an http(s) URL', HTTP_URL).map((u) => u.replace(/\/+$/, ''));

const envName = (what: string): Reader<string> =>
  text(`the NAME of an environment variable holding ${what} (the token itself never goes in the config)`, ENV_NAME);

const duration = leaf<number>(
  'a duration such as 90s, 5m, 24h or 7d',
  { type: 'string', pattern: DURATION.source },
  (v) => (typeof v === 'string' ? (parseDuration(v) ?? undefined) : undefined),
);

const size = leaf<number>('a size such as 32GiB or 512MiB', { type: 'string', pattern: SIZE.source }, (v) =>
  typeof v === 'string' ? (parseSize(v) ?? undefined) : undefined,
);

const channelUrl = leaf<string>(
  'the channel URL statements must name, without trailing slash',
  { type: 'string', pattern: HTTP_URL.source, not: { pattern: '/$' } },
  (v, at) => {
    if (typeof v !== 'string' || !HTTP_URL.test(v)) return undefined;
    return v.endsWith('/') ? at.expected('no trailing slash', v) : v;
  },
);

const subdir = leaf<string>(
  `a conda subdir name such as linux-64 or noarch (never ${RESERVED_SUBDIRS.map((d) => `"${d}"`).join(', ')})`,
  { type: 'string', pattern: SUBDIR.source, maxLength: 64, not: { enum: RESERVED_SUBDIRS } },
  (v) => (typeof v === 'string' && isSubdir(v) && !RESERVED_SUBDIRS.includes(v) ? v : undefined),
);

const directoryStore = object('{ type: directory, path }', {
  type: required(literal('directory'), 'A folder on this machine.'),
  path: required(path('a folder path'), 'The folder; relative to the config file.'),
});

const anacondaStore = object('{ type: anaconda, owner, url, tokenEnv }', {
  type: required(literal('anaconda'), 'An anaconda.org owner (a user or an organisation).'),
  owner: required(text('an anaconda.org owner name', NAME), 'The owner, e.g. conda-forge, cf-staging.'),
  url: withDefault(httpUrl, 'https://api.anaconda.org', 'The anaconda.org API server.'),
  tokenEnv: required(envName('the token'), "The environment variable that holds this owner's token."),
});

const store = byType('{ type: directory, path } or { type: anaconda, owner, url, tokenEnv }', {
  directory: directoryStore,
  anaconda: anacondaStore,
});

/** A channel needs at least one index a client can read: repodata.json or the CEP 16 shards. */
const someIndex: Rule = {
  check(index: Record<string, unknown>, at: At): boolean {
    if (index['monolithic'] !== false || index['shards'] !== false) return true;
    at.expected('monolithic or shards (a channel needs an index)', index);
    return false;
  },
  schema: [
    {
      not: {
        properties: { monolithic: { const: false }, shards: { const: false } },
        required: ['monolithic', 'shards'],
      },
    },
  ],
};

const channelIndex = object(
  '{ monolithic, currentRepodata, shards, shardRetention }',
  {
    monolithic: withDefault(boolean(), DEFAULT_CHANNEL_INDEX.monolithic, 'Write <subdir>/repodata.json (and .zst).'),
    currentRepodata: withDefault(
      boolean(),
      DEFAULT_CHANNEL_INDEX.currentRepodata,
      "Write <subdir>/current_repodata.json, conda's first try: the newest version of each name.",
    ),
    shards: withDefault(
      boolean(),
      DEFAULT_CHANNEL_INDEX.shards,
      'Write CEP 16 sharded repodata (repodata_shards.msgpack.zst and shards/).',
    ),
    shardRetention: withDefault(
      duration,
      '7d',
      'How long a replaced shard file stays for clients holding an older shard index.',
    ),
  },
  [someIndex],
).map((i): ChannelIndexConfig => ({
  monolithic: i.monolithic,
  currentRepodata: i.currentRepodata,
  shards: i.shards,
  shardRetentionMs: i.shardRetention,
}));

/** The target may say which index forms its channel folder gets; staging and quarantine are not channels. */
const targetStore = byType('{ type: directory, path, index } or { type: anaconda, owner, url, tokenEnv }', {
  directory: object('{ type: directory, path, index }', {
    type: required(literal('directory'), 'A conda channel folder on this machine.'),
    path: required(path('a folder path'), 'The folder; relative to the config file.'),
    index: optional(channelIndex, 'Which index forms the channel gets; without it, all of them.'),
  }),
  anaconda: anacondaStore,
});

const githubUrl = 'https://api.github.com/graphql';

const registry = byType('{ type: directory, path } or { type: github, repository, ref, tokenEnv, url }', {
  directory: object('{ type: directory, path }', {
    type: required(literal('directory'), 'A folder, or a git checkout (read at its last commit).'),
    path: required(path('a folder path'), 'The registry folder; relative to the config file.'),
  }),
  github: object('{ type: github, repository, ref, tokenEnv, url }', {
    type: required(literal('github'), "A GitHub repository, read through GitHub's GraphQL API."),
    repository: required(text('owner/name', GH_REPO), 'The registry repository, e.g. conda-forge/feedstock-outputs.'),
    ref: withDefault(text('a branch, tag or commit'), 'main', 'What a run reads; it pins one commit per run.'),
    tokenEnv: withDefault(envName('a GitHub token'), 'GITHUB_TOKEN', 'The variable that holds the token.'),
    url: withDefault(text('an http(s) URL', HTTP_URL), githubUrl, 'The GraphQL endpoint.'),
  }),
});

const reports = byType('{ type: directory, path } or { type: github, repositoryTemplate, adminRepository, tokenEnv }', {
  directory: object('{ type: directory, path }', {
    type: required(literal('directory'), 'One Markdown file per feedstock and source commit.'),
    path: required(path('a folder path'), 'The reports folder; relative to the config file.'),
  }),
  github: object('{ type: github, repositoryTemplate, adminRepository, tokenEnv, url }', {
    type: required(literal('github'), "An issue on the feedstock's repository per source commit."),
    repositoryTemplate: required(
      text('owner/name with {feedstock} in it, such as conda-forge/{feedstock}-feedstock', FEEDSTOCK_TEMPLATE),
      "The feedstock's repository; {feedstock} is the registry's feedstock name.",
    ),
    adminRepository: required(
      text("owner/name of the admins' repository for security alerts", GH_REPO),
      'Where security alerts and failures no feedstock can be told of go.',
    ),
    tokenEnv: withDefault(envName('a GitHub token'), 'GITHUB_TOKEN', 'The variable that holds the token.'),
    url: withDefault(text('an http(s) URL', HTTP_URL), githubUrl, 'The GraphQL endpoint.'),
  }),
});

const GIB = 1024 ** 3;

const policy = object('a mapping', {
  maxSignatureAge: withDefault(
    duration,
    '24h',
    'Every statement expires this long after issuedAt at the latest (expiresAt can only shorten it).',
  ),
  clockSkew: withDefault(duration, '5m', 'How far in the future issuedAt may be.'),
  stagingGrace: withDefault(
    duration,
    '2h',
    'How long an artifact may wait for its .sig, from when forgegate first saw it.',
  ),
  rejectRetention: withDefault(
    duration,
    '7d',
    'How long rejected and stray files stay in staging, from when forgegate first saw them.',
  ),
  maxClockJump: withDefault(
    duration,
    '1d',
    'How far past the last run the clock may be before a run refuses to trust it (exit 9).',
  ),
  concurrency: withDefault(integer('an integer from 1 to 256', 1, 256), 8, 'Items applied in parallel.'),
  maxUnpackedSize: withDefault(
    size,
    `${DEFAULT_UNPACK_LIMITS.maxUnpackedBytes / GIB}GiB`,
    'What one artifact may unpack to in all (binary units: 512MiB, 32GiB).',
  ),
  maxUnpackRatio: withDefault(
    integer('a whole number of unpacked bytes per compressed byte, such as 1000', 1),
    DEFAULT_UNPACK_LIMITS.maxUnpackRatio,
    'Unpacked bytes per byte of the artifact, above a 64 MiB floor (zip, zstd and bzip2 bombs).',
  ),
}).map((p) => ({
  maxSignatureAgeMs: p.maxSignatureAge,
  clockSkewMs: p.clockSkew,
  stagingGraceMs: p.stagingGrace,
  rejectRetentionMs: p.rejectRetention,
  maxClockJumpMs: p.maxClockJump,
  concurrency: p.concurrency,
  maxUnpackedBytes: p.maxUnpackedSize,
  maxUnpackRatio: p.maxUnpackRatio,
}));

/**
 * Which stores go together, decided by the target's kind: forgegate moves files between stores of one kind, and
 * `reconcile/wiring.ts` builds exactly these. A folder target's quarantine defaults to a folder beside the ledger; an
 * anaconda.org target needs an owner of its own for it.
 */
const STORE_KINDS = {
  directory: {
    staging: 'a directory for a directory target',
    quarantine: 'a directory for a directory target',
    quarantineRequired: false,
  },
  anaconda: {
    staging: 'an anaconda owner for an anaconda.org target',
    quarantine: 'an anaconda owner only forgegate can write (a target on anaconda.org is fed by copies between owners)',
    quarantineRequired: true,
  },
} as const;
const TOGETHER = 'staging, quarantine and target are all folders or all anaconda.org owners';

const storeOf = (section: unknown): Record<string, unknown> | undefined =>
  isMapping(section) && isMapping(section['store']) ? section['store'] : undefined;
const kindOf = (section: unknown): keyof typeof STORE_KINDS | undefined => {
  const type = storeOf(section)?.['type'];
  return typeof type === 'string' && Object.hasOwn(STORE_KINDS, type) ? (type as keyof typeof STORE_KINDS) : undefined;
};

const storesTogether: Rule = {
  check(file: Record<string, unknown>, at: At): boolean {
    const kind = kindOf(file['target']);
    if (kind === undefined) return true; // the target's own reader says what is wrong with it
    let ok = true;
    for (const member of ['staging', 'quarantine'] as const) {
      const expected = `${STORE_KINDS[kind][member]}; ${TOGETHER}`;
      if (member === 'quarantine' && file['quarantine'] === undefined) {
        if (STORE_KINDS[kind].quarantineRequired) {
          at.child('quarantine').child('store').expected(expected, undefined);
          ok = false;
        }
        continue;
      }
      const other = kindOf(file[member]);
      if (other !== undefined && other !== kind) {
        at.child(member).child('store').expected(expected, storeOf(file[member]));
        ok = false;
      }
    }
    return ok;
  },
  schema: Object.entries(STORE_KINDS).map(([kind, { quarantineRequired }]): JsonSchema => {
    // `{ store: { type: kind } }`, as a condition (the keys present) or a demand (whatever else is wrong).
    const storeOfKind = (present: boolean): JsonSchema => {
      const need = (key: string): JsonSchema => (present ? { required: [key] } : {});
      const store = { type: 'object', properties: { type: { const: kind } }, ...need('type') };
      return { type: 'object', properties: { store }, ...need('store') };
    };
    return {
      if: { properties: { target: storeOfKind(true) }, required: ['target'] },
      then: {
        properties: { staging: storeOfKind(false), quarantine: storeOfKind(false) },
        ...(quarantineRequired ? { required: ['quarantine'] } : {}),
      },
    };
  }),
};

/** The file as written, checked and converted (paths resolved, durations in ms), before the stores are paired. */
const FILE = object(
  'a YAML mapping',
  {
    $schema: optional(
      text('the path or URL of forgegate.schema.json'),
      'For editors: the JSON Schema of this file. forgegate ignores it.',
    ),
    target: required(
      object('{ channel, labels, store }', {
        channel: required(channelUrl, 'The channel URL every statement must name in targetChannel.'),
        labels: withDefault(
          list('a non-empty list of label names', text('a label name (letters, digits, _ . -)', NAME)),
          ['main'],
          'The labels a statement may name.',
        ),
        store: required(
          targetStore,
          'A conda channel folder (<path>/<subdir>/ for main, <path>/label/<L>/<subdir>/ otherwise), or an ' +
            'anaconda.org owner.',
        ),
      }),
      'The channel forgegate publishes to.',
    ),
    staging: required(
      object('{ store, subdirs }', {
        store: required(store, 'Where uploaders put artifacts and their .sig: <path>/<subdir>/<file>, or an owner.'),
        subdirs: withDefault(
          list('a non-empty list of conda subdir names', subdir),
          KNOWN_SUBDIRS,
          'The subdirs artifacts may be staged in; anything else is a stray.',
        ),
      }),
      'The shared upload area.',
    ),
    quarantine: optional(
      object('{ store }', {
        store: required(store, 'A place of its own, of the same kind as the target; a folder is kept mode 0700.'),
      }),
      'Reconciler-private custody between staging and target. Default for a folder target: a folder "quarantine" ' +
        'beside the ledger.',
    ),
    registry: required(registry, 'Who may publish what, and their keys.'),
    ledger: withDefault(path('a file path'), 'forgegate.db', 'The SQLite ledger (history, tombstones, reports).'),
    reports: withDefault(
      reports,
      { type: 'directory', path: 'reports' },
      'Where failures are reported to feedstocks (and security alerts to admins).',
    ),
    policy: withDefault(policy, {}, 'Time limits, parallelism and unpack limits.'),
    sigstore: optional(
      object('{ trustedRoot }', {
        trustedRoot: optional(
          path('a file path'),
          'A Sigstore trusted_root.json to verify .sigstore.json bundles against (tests, the demo, a private ' +
            'Sigstore). Absent: the public-good root, refreshed through TUF once per run into a folder ' +
            '"sigstore-tuf" beside the ledger.',
        ),
      }),
      'Keyless evidence (keyless-v1): which Sigstore trusted root bundles are verified against.',
    ),
  },
  [storesTogether],
);

type FileValue = typeof FILE extends Reader<infer T> ? T : never;
export type StoreConfig = FileValue['target']['store'];
export type StoreType = StoreConfig['type'];
export type RegistrySourceConfig = FileValue['registry'];
export type ReportsConfig = FileValue['reports'];
export type Policy = FileValue['policy'];

/** The config every command works from: one kind of store throughout (`storeType` says which). */
export type Config = {
  [K in StoreType]: {
    storeType: K;
    /** Absolute path of the config file; relative paths in it were resolved against its folder. */
    configPath: string;
    target: Omit<FileValue['target'], 'store'> & { store: Extract<StoreConfig, { type: K }> };
    staging: Omit<FileValue['staging'], 'store'> & { store: Extract<StoreConfig, { type: K }> };
    quarantine: { store: Extract<StoreConfig, { type: K }> };
    registry: RegistrySourceConfig;
    /** Absolute path of the SQLite ledger. */
    ledger: string;
    reports: ReportsConfig;
    policy: Policy;
    sigstore: FileValue['sigstore'];
  };
}[StoreType];

/** Pair the stores as `storesTogether` allows (it has refused every other combination by now). */
function paired(file: FileValue, at: At): Config {
  const { target, staging } = file;
  const quarantine = file.quarantine?.store;
  const rest = {
    configPath: at.ctx.configPath,
    registry: file.registry,
    ledger: file.ledger,
    reports: file.reports,
    policy: file.policy,
    sigstore: file.sigstore,
  };
  if (
    target.store.type === 'directory' &&
    staging.store.type === 'directory' &&
    (quarantine === undefined || quarantine.type === 'directory')
  ) {
    const q = quarantine ?? { type: 'directory' as const, path: resolve(dirname(file.ledger), 'quarantine') };
    return {
      storeType: 'directory',
      ...rest,
      target: { ...target, store: target.store },
      staging: { ...staging, store: staging.store },
      quarantine: { store: q },
    };
  }
  if (target.store.type === 'anaconda' && staging.store.type === 'anaconda' && quarantine?.type === 'anaconda') {
    return {
      storeType: 'anaconda',
      ...rest,
      target: { ...target, store: target.store },
      staging: { ...staging, store: staging.store },
      quarantine: { store: quarantine },
    };
  }
  throw new Error(`stores ${target.store.type}/${staging.store.type} passed the store rule unpaired`);
}

/** The whole config file. */
export const CONFIG: Reader<Config> = FILE.map(paired);

/** The policy a config without `policy:` gets. */
export const POLICY: Reader<Policy> = policy;

/** The JSON Schema committed as schema/forgegate.schema.json. */
export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'forgegate config',
    description:
      'The config of forgegate, the gate between a conda staging area and a channel ' +
      '(docs/reference.md, "Config reference"). ' +
      "Relative paths are resolved against the config file's folder.",
    ...CONFIG.schema(),
  };
}
