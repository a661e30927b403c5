// A complete forgegate setup in one folder for tests: registry (a git checkout), staging, channel, ledger, reports,
// config. The end-to-end tests build their scenarios with it (`forgegate demo` has its own, src/demo/folder.ts).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { writeCondaPackage, type PackageSpec } from './packages.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { Digests } from '../../src/model.js';
import type {
  FeedstockFile,
  RegistryKey,
  RegistryPublisher,
  SigstoreRegistryConfig,
} from '../../src/ports/registry.js';
import type { TestSigstore } from './sigstore.js';
import { sighting } from '../../src/plan/identity.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatFeedstockFile,
  formatKeyFile,
  formatOutputFile,
  GITHUB_ACTIONS_ISSUER,
  keyPath,
  outputPath,
  parseFeedstockFile,
} from '../../src/registry/layout.js';
import { generateKeyPair, encodeKey, type KeyPair } from '../../src/statement/keys.js';
import { buildStatement, signEnvelope, type StatementInput } from '../../src/statement/sign.js';
import { toUtcString } from '../../src/util/time.js';

const exec = promisify(execFile);

export interface SandboxOptions {
  channel?: string;
  labels?: string[];
  git?: boolean;
  policy?: Record<string, string | number>;
  /** Extra top-level config keys (e.g. anaconda stores), merged over the directory defaults. */
  configOverrides?: Record<string, unknown>;
}

export interface Built {
  path: string;
  filename: string;
  subdir: string;
  digests: Digests;
}

export interface StageOptions {
  feedstock: string;
  keys?: KeyPair[];
  label?: string;
  channel?: string;
  issuedAtMs?: number;
  expiresAtMs?: number;
  sourceCommit?: string;
  /** Upload without a signature. */
  unsigned?: boolean;
  /** Set the staged files' mtimes to this time (forgegate ignores them: an uploader chooses them). */
  uploadedAtMs?: number;
  /** Record in the ledger that an earlier run first saw the staged artifact at this time. */
  seenAtMs?: number;
  /** Change the statement input before signing (tests of bindings). */
  tweak?: (input: StatementInput) => StatementInput;
}

export class Sandbox {
  readonly root: string;
  readonly registryDir: string;
  readonly stagingDir: string;
  readonly channelDir: string;
  readonly reportsDir: string;
  readonly buildDir: string;
  readonly ledgerPath: string;
  readonly configPath: string;
  readonly channel: string;
  readonly keys = new Map<string, KeyPair[]>();
  #git: boolean;

  private constructor(root: string, opts: SandboxOptions) {
    this.root = root;
    this.registryDir = join(root, 'registry');
    this.stagingDir = join(root, 'staging');
    this.channelDir = join(root, 'channel');
    this.reportsDir = join(root, 'reports');
    this.buildDir = join(root, 'build');
    this.ledgerPath = join(root, 'state', 'forgegate.db');
    this.configPath = join(root, 'forgegate.yml');
    this.channel = opts.channel ?? 'https://conda.example.org/forge';
    this.#git = opts.git ?? true;
  }

  static async create(root: string, opts: SandboxOptions = {}): Promise<Sandbox> {
    const sb = new Sandbox(root, opts);
    for (const d of [sb.registryDir, sb.stagingDir, sb.channelDir, sb.reportsDir, sb.buildDir])
      await mkdir(d, { recursive: true });
    const config = {
      target: {
        channel: sb.channel,
        labels: opts.labels ?? ['main', 'rc'],
        store: { type: 'directory', path: './channel' },
      },
      staging: { store: { type: 'directory', path: './staging' } },
      registry: { type: 'directory', path: './registry' },
      ledger: './state/forgegate.db',
      reports: { type: 'directory', path: './reports' },
      policy: {
        maxSignatureAge: '24h',
        clockSkew: '5m',
        stagingGrace: '2h',
        rejectRetention: '7d',
        concurrency: 8,
        ...opts.policy,
      },
      ...opts.configOverrides,
    };
    await writeFile(sb.configPath, YAML.stringify(config));
    await writeFile(join(sb.registryDir, CONFIG_FILE), `${JSON.stringify(DEFAULT_REGISTRY_CONFIG)}\n`);
    if (sb.#git) {
      await exec('git', ['init', '--quiet', '-b', 'main', sb.registryDir]);
      await sb.commitRegistry('Create registry');
    }
    return sb;
  }

  async #write(rel: string, text: string): Promise<void> {
    const path = join(this.registryDir, rel);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
  }

  /** Register outputs for a feedstock and give it `keyCount` fresh keys. */
  async addFeedstock(
    feedstock: string,
    outputs: string[],
    keyCount = 1,
    keyFields: Partial<RegistryKey>[] = [],
  ): Promise<KeyPair[]> {
    for (const o of outputs) await this.#write(outputPath(o, DEFAULT_REGISTRY_CONFIG), formatOutputFile([feedstock]));
    const pairs = Array.from({ length: keyCount }, () => generateKeyPair());
    if (keyCount > 0) {
      const entries: RegistryKey[] = pairs.map((k, i) => ({
        keyid: k.keyid,
        publicKey: encodeKey(k.publicKey),
        addedAt: '2026-01-01T00:00:00Z',
        notAfter: null,
        revokedAt: null,
        ...keyFields[i],
      }));
      await this.#write(keyPath(feedstock, DEFAULT_REGISTRY_CONFIG), formatKeyFile(entries));
    }
    this.keys.set(feedstock, pairs);
    return pairs;
  }

  /**
   * Turn keyless evidence on: the registry's config.json gets its sigstore block, and the config's trusted root is
   * `sigstore`'s (a throwaway test instance: nothing here trusts the public-good Sigstore).
   */
  async enableKeyless(sigstore: TestSigstore, block: Partial<SigstoreRegistryConfig> = {}): Promise<void> {
    const config = {
      ...DEFAULT_REGISTRY_CONFIG,
      sigstore: {
        issuer: GITHUB_ACTIONS_ISSUER,
        ownerId: null,
        repoPattern: 'conda-forge/{feedstock}-feedstock',
        ...block,
      },
    };
    await this.#write(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
    await writeFile(join(this.root, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    const yml = YAML.parse(await readFile(this.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(this.configPath, YAML.stringify({ ...yml, sigstore: { trustedRoot: './trusted_root.json' } }));
  }

  /** Register trusted publishers for a feedstock (beside its keys, if any), and its `accept`. */
  async addPublishers(
    feedstock: string,
    publishers: RegistryPublisher[],
    accept: FeedstockFile['accept'] = 'any',
  ): Promise<void> {
    const path = keyPath(feedstock, DEFAULT_REGISTRY_CONFIG);
    const old = await readFile(join(this.registryDir, path), 'utf8').catch(() => null);
    const keys = old === null ? [] : parseFeedstockFile(old, path).keys;
    await this.#write(path, formatFeedstockFile({ keys, publishers, accept }));
  }

  /** Copy a built artifact into staging with `bundle` beside it as ARTIFACT.sigstore.json. */
  async stageBundle(built: Built, bundle: object | Buffer): Promise<string> {
    const dir = join(this.stagingDir, built.subdir);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, built.filename);
    await copyFile(built.path, dest);
    await writeFile(`${dest}.sigstore.json`, Buffer.isBuffer(bundle) ? bundle : JSON.stringify(bundle));
    return dest;
  }

  async setOutput(output: string, feedstocks: string[]): Promise<void> {
    await this.#write(outputPath(output, DEFAULT_REGISTRY_CONFIG), formatOutputFile(feedstocks));
  }

  async setAllowlist(allowlist: Record<string, string[]>): Promise<void> {
    await this.#write(ALLOWLIST_FILE, YAML.stringify(allowlist));
  }

  async commitRegistry(message = 'Update registry'): Promise<void> {
    if (!this.#git) return;
    await exec('git', ['-C', this.registryDir, 'add', '-A']);
    await exec('git', [
      '-C',
      this.registryDir,
      '-c',
      'user.name=demo',
      '-c',
      'user.email=demo@localhost',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      message,
    ]);
  }

  async build(spec: Omit<PackageSpec, 'format'> & { format?: PackageSpec['format'] }): Promise<Built> {
    const dir = join(this.buildDir, spec.subdir);
    await mkdir(dir, { recursive: true });
    const r = await writeCondaPackage(dir, { format: 'conda', ...spec });
    return { path: r.path, filename: r.filename, subdir: spec.subdir, digests: r.digests };
  }

  /** Copy a built artifact into staging, with its signature unless `unsigned`. Returns the staged path. */
  async stage(built: Built, opts: StageOptions): Promise<string> {
    const dir = join(this.stagingDir, built.subdir);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, built.filename);
    await copyFile(built.path, dest);
    if (!opts.unsigned) {
      const issuedAtMs = opts.issuedAtMs ?? Date.now();
      let input: StatementInput = {
        filename: built.filename,
        digests: built.digests,
        feedstock: opts.feedstock,
        targetChannel: opts.channel ?? this.channel,
        label: opts.label ?? 'main',
        subdir: built.subdir,
        issuedAtMs,
        ...(opts.expiresAtMs !== undefined ? { expiresAtMs: opts.expiresAtMs } : {}),
        source: {
          repository: `example/${opts.feedstock}-feedstock`,
          commit: opts.sourceCommit ?? '0123456789abcdef0123456789abcdef01234567',
        },
      };
      if (opts.tweak) input = opts.tweak(input);
      const keys = opts.keys ?? this.keys.get(opts.feedstock) ?? [];
      await writeFile(`${dest}.sig`, signEnvelope(buildStatement(input), keys));
    }
    if (opts.uploadedAtMs !== undefined) {
      const t = new Date(opts.uploadedAtMs);
      await utimes(dest, t, t);
      if (!opts.unsigned) await utimes(`${dest}.sig`, t, t);
    }
    if (opts.seenAtMs !== undefined) {
      const ledger = new Ledger(this.ledgerPath);
      try {
        // The sighting DirectoryStaging's listing gives this file (it reports no digest).
        const { size } = await stat(dest);
        const key = sighting.artifact({ subdir: built.subdir, filename: built.filename, size });
        ledger.markSeen(key, toUtcString(opts.seenAtMs));
      } finally {
        ledger.close();
      }
    }
    return dest;
  }
}
