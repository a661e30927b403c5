// The demo's folder: a registry (a git repository, edited with the same code as `forgegate registry add-*`), staging,
// a channel, reports, a ledger and a config, and the few steps the demo scenario takes in it: register feedstocks,
// build .conda packages, stage them signed (or not). Tests build richer setups with test/helpers/sandbox.ts.
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { git } from '../backends/local/git.js';
import { addKey, addOutput, addPublisher, type PublisherInput } from '../backends/local/registry-edit.js';
import { initRegistry } from '../backends/local/registry-folder.js';
import { writeCondaPackage, type PackageSpec } from '../conda/package-writer.js';
import { Ledger } from '../ledger/ledger.js';
import type { Digests } from '../model.js';
import { sighting } from '../plan/identity.js';
import { ALLOWLIST_FILE, CONFIG_FILE, GITHUB_ACTIONS_ISSUER } from '../registry/layout.js';
import { encodeKey, generateKeyPair, type KeyPair } from '../statement/keys.js';
import { buildStatement, signEnvelope } from '../statement/sign.js';
import { digestBytes } from '../util/digest.js';
import { toUtcString } from '../util/time.js';
import type { BundleJson, TestSigstore } from './test-sigstore.js';

export const DEMO_CHANNEL = 'https://conda.example.org/forge';

/** The config schema in this copy of forgegate (the package root holds package.json and schema/). */
function schemaUrl(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return pathToFileURL(join(dir, 'schema', 'forgegate.schema.json')).href;
}

const config = (): string => `# yaml-language-server: $schema=${schemaUrl()}
# Made by \`forgegate demo\`. Every key: docs/reference.md, "Config reference".
target:
  channel: ${DEMO_CHANNEL}
  labels: [main, rc]
  store: { type: directory, path: ./channel }
staging: { store: { type: directory, path: ./staging } }
registry: { type: directory, path: ./registry }
ledger: ./state/forgegate.db
reports: { type: directory, path: ./reports }
policy: { maxSignatureAge: 24h, clockSkew: 5m, stagingGrace: 2h, rejectRetention: 7d, concurrency: 8 }
`;

export interface Built {
  path: string;
  filename: string;
  subdir: string;
  digests: Digests;
}

export interface StageOptions {
  feedstock: string;
  /** Sign with these keys instead of the feedstock's registered ones. */
  keys?: KeyPair[];
  label?: string;
  sourceCommit?: string;
  /** Upload without a signature. */
  unsigned?: boolean;
  /** Record in the ledger that an earlier run first saw the staged artifact at this time. */
  seenAtMs?: number;
}

export class DemoFolder {
  readonly registryDir: string;
  readonly stagingDir: string;
  readonly channelDir: string;
  readonly reportsDir: string;
  readonly buildDir: string;
  readonly ledgerPath: string;
  readonly configPath: string;
  readonly #keys = new Map<string, KeyPair[]>();

  private constructor(readonly root: string) {
    this.registryDir = join(root, 'registry');
    this.stagingDir = join(root, 'staging');
    this.channelDir = join(root, 'channel');
    this.reportsDir = join(root, 'reports');
    this.buildDir = join(root, 'build');
    this.ledgerPath = join(root, 'state', 'forgegate.db');
    this.configPath = join(root, 'forgegate.yml');
  }

  static async create(root: string): Promise<DemoFolder> {
    const demo = new DemoFolder(root);
    for (const d of [demo.stagingDir, demo.channelDir, demo.reportsDir, demo.buildDir])
      await mkdir(d, { recursive: true });
    await writeFile(demo.configPath, config());
    await initRegistry(demo.registryDir);
    await git(demo.registryDir, ['init', '--quiet', '-b', 'main']);
    await demo.commitRegistry('Create registry');
    return demo;
  }

  /** Register `outputs` to `feedstock` and give it a fresh key, as an admin does with `forgegate registry add-*`. */
  async addFeedstock(feedstock: string, outputs: string[]): Promise<void> {
    for (const o of outputs) await addOutput(this.registryDir, o, feedstock);
    const key = generateKeyPair();
    await addKey(this.registryDir, feedstock, encodeKey(key.publicKey), { now: toUtcString(Date.now()) });
    this.#keys.set(feedstock, [key]);
  }

  /**
   * Trust keyless evidence: the registry's `sigstore` block (conda-forge's repository pattern) and a config that
   * verifies bundles against `sigstore`'s trusted root instead of the public-good one.
   */
  async enableKeyless(sigstore: TestSigstore, ownerId: string): Promise<void> {
    const path = join(this.registryDir, CONFIG_FILE);
    const registry = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const block = { issuer: GITHUB_ACTIONS_ISSUER, ownerId, repoPattern: 'example/{feedstock}-feedstock' };
    await writeFile(path, `${JSON.stringify({ ...registry, sigstore: block })}\n`);
    await writeFile(join(this.root, 'trusted_root.json'), `${JSON.stringify(sigstore.trustedRoot, null, 2)}\n`);
    await writeFile(this.configPath, `${config()}sigstore: { trustedRoot: ./trusted_root.json }\n`);
  }

  /** Register a keyless feedstock: its outputs and a trusted publisher instead of a key (`registry add-publisher`). */
  async addKeylessFeedstock(feedstock: string, outputs: string[], publisher: PublisherInput): Promise<void> {
    for (const o of outputs) await addOutput(this.registryDir, o, feedstock);
    await addPublisher(this.registryDir, feedstock, publisher, { accept: 'sigstore' });
  }

  /** The registry's allowlist: new names each feedstock may register by publishing them. */
  async setAllowlist(allowlist: Record<string, string[]>): Promise<void> {
    await writeFile(join(this.registryDir, ALLOWLIST_FILE), YAML.stringify(allowlist));
  }

  async commitRegistry(message: string): Promise<void> {
    await git(this.registryDir, ['add', '-A']);
    await git(this.registryDir, [
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

  /** Build a .conda into build/<subdir>/. */
  async build(spec: Omit<PackageSpec, 'format'>): Promise<Built> {
    const dir = join(this.buildDir, spec.subdir);
    await mkdir(dir, { recursive: true });
    const r = await writeCondaPackage(dir, { ...spec, format: 'conda' });
    return { path: r.path, filename: r.filename, subdir: spec.subdir, digests: r.digests };
  }

  /** Put an artifact that came built (the demo's .tar.bz2) into build/<subdir>/. */
  async prebuilt(subdir: string, filename: string, bytes: Uint8Array): Promise<Built> {
    const dir = join(this.buildDir, subdir);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, filename), bytes);
    return { path: join(dir, filename), filename, subdir, digests: digestBytes(bytes) };
  }

  /** Copy a built artifact into staging with `bundle` beside it, as ARTIFACT.sigstore.json. */
  async stageBundle(built: Built, bundle: BundleJson): Promise<string> {
    const dir = join(this.stagingDir, built.subdir);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, built.filename);
    await copyFile(built.path, dest);
    await writeFile(`${dest}.sigstore.json`, JSON.stringify(bundle));
    return dest;
  }

  /** Copy a built artifact into staging, with its signature unless `unsigned`. Returns the staged path. */
  async stage(built: Built, opts: StageOptions): Promise<string> {
    const dir = join(this.stagingDir, built.subdir);
    await mkdir(dir, { recursive: true });
    const dest = join(dir, built.filename);
    await copyFile(built.path, dest);
    if (!opts.unsigned) {
      const statement = buildStatement({
        filename: built.filename,
        digests: built.digests,
        feedstock: opts.feedstock,
        targetChannel: DEMO_CHANNEL,
        label: opts.label ?? 'main',
        subdir: built.subdir,
        issuedAtMs: Date.now(),
        source: {
          repository: `example/${opts.feedstock}-feedstock`,
          commit: opts.sourceCommit ?? '0123456789abcdef0123456789abcdef01234567',
        },
      });
      await writeFile(`${dest}.sig`, signEnvelope(statement, opts.keys ?? this.#keys.get(opts.feedstock) ?? []));
    }
    if (opts.seenAtMs !== undefined) {
      const ledger = new Ledger(this.ledgerPath);
      try {
        // The sighting DirectoryStaging's listing gives this file (it reports no digest).
        const { size } = await stat(dest);
        ledger.markSeen(
          sighting.artifact({ subdir: built.subdir, filename: built.filename, size }),
          toUtcString(opts.seenAtMs),
        );
      } finally {
        ledger.close();
      }
    }
    return dest;
  }
}
