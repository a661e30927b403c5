// registry-v1 on a local folder. A git checkout is read at one commit (HEAD, resolved once) and registrations are
// commits.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ForgegateError } from '../../errors.js';
import type {
  FeedstockFile,
  IndexedPublisher,
  RegistryKey,
  RegisterOutcome,
  RegistryConfig,
  RegistrySnapshot,
  RegistrySource,
  SnapshotRequest,
} from '../../ports/registry.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { feedstockOf } from '../../statement/keyless/publisher.js';
import { commitPath, git, headCommit, listFolder, readBlobs } from './git.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  formatOutputFile,
  isRegistryName,
  keyPath,
  outputPath,
  outputShardDir,
  parseAllowlist,
  KEYS_DIR,
  readFeedstockFile,
  parseOutputFile,
  parseRegistryConfig,
} from '../../registry/layout.js';

type Reader = {
  commit: string | null;
  read(paths: string[]): Promise<Map<string, string | null>>;
  list(folder: string): Promise<string[]>;
  /** Every file under `folder`, recursively, as paths from the registry's top. */
  listAll(folder: string): Promise<string[]>;
};

export class DirectoryRegistry implements RegistrySource {
  readonly description: string;
  #root: string;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.#root = root;
    this.description = `directory registry ${root}`;
  }

  async #reader(): Promise<Reader> {
    try {
      if (!(await stat(this.#root)).isDirectory()) throw new Error('not a folder');
    } catch (e) {
      throw new ForgegateError(
        'FG_REGISTRY_UNAVAILABLE',
        `registry folder ${this.#root} cannot be read: ${(e as Error).message}`,
        {
          fix: 'Check registry.path in the config, or clone the registry repository there.',
        },
      );
    }
    const root = this.#root;
    const commit = await headCommit(root);
    if (commit !== null) {
      return {
        commit,
        read: (paths) => readBlobs(root, commit, paths),
        list: (folder) => listFolder(root, commit, folder),
        listAll: async (folder) =>
          (await git(root, ['ls-tree', '-r', '--name-only', commit, `${folder}/`])).split('\n').filter(Boolean),
      };
    }
    return {
      commit: null,
      read: async (paths) =>
        new Map(await Promise.all(paths.map(async (p) => [p, await readOptional(join(root, p))] as const))),
      list: async (folder) => {
        try {
          return (await readdir(join(root, folder), { withFileTypes: true }))
            .filter((d) => d.isFile())
            .map((d) => d.name);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw e;
        }
      },
      listAll: async (folder) => {
        try {
          const found = await readdir(join(root, folder), { recursive: true, withFileTypes: true });
          return found
            .filter((d) => d.isFile())
            .map((d) => relative(root, join(d.parentPath, d.name)).split(sep).join('/'));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw e;
        }
      },
    };
  }

  async snapshot(request: SnapshotRequest): Promise<RegistrySnapshot> {
    const reader = await this.#reader();
    const head = await reader.read([CONFIG_FILE, ALLOWLIST_FILE]);
    const config = parseRegistryConfig(head.get(CONFIG_FILE) ?? null);
    const allowlist = parseAllowlist(head.get(ALLOWLIST_FILE) ?? null);
    const names = new Set(request.names.filter(isRegistryName));
    if (config.auto_register_all) {
      for (const folder of new Set([...names].map((n) => outputShardDir(n, config)))) {
        for (const file of await reader.list(folder))
          if (file.endsWith('.json')) names.add(file.slice(0, -'.json'.length));
      }
    }
    // A bundle's certificate names a repository; the registry's own repoPattern says which feedstock that is.
    const named = (request.repositories ?? []).flatMap((r) => {
      const f = config.sigstore === undefined ? null : feedstockOf(r, config.sigstore);
      return f === null ? [] : [f];
    });
    const feedstocks = [...new Set([...request.feedstocks, ...named].filter(isRegistryName))];
    const outputPaths = [...names].map((n) => [n, outputPath(n, config)] as const);
    const keyPaths = feedstocks.map((f) => [f, keyPath(f, config)] as const);
    const blobs = await reader.read([...outputPaths, ...keyPaths].map(([, p]) => p));
    const outputs = new Map<string, string[] | null>(request.names.map((n) => [n, null]));
    for (const [name, path] of outputPaths) {
      const text = blobs.get(path) ?? null;
      outputs.set(name, text === null ? null : parseOutputFile(text, path));
    }
    const keys = new Map<string, RegistryKey[] | null>(request.feedstocks.map((f) => [f, null]));
    const files = new Map<string, FeedstockFile | null>(request.feedstocks.map((f) => [f, null]));
    const invalidKeyFiles = new Map<string, string>();
    for (const [feedstock, path] of keyPaths) {
      const text = blobs.get(path) ?? null;
      const read = text === null ? null : readFeedstockFile(text, path, config.sigstore);
      const file = read !== null && 'file' in read ? read.file : null;
      if (read !== null && 'invalid' in read) invalidKeyFiles.set(feedstock, read.invalid);
      keys.set(feedstock, file?.keys ?? null);
      files.set(feedstock, file);
    }
    const snapshot: RegistrySnapshot = { commit: reader.commit, config, allowlist, outputs, keys, files };
    if (invalidKeyFiles.size > 0) snapshot.invalidKeyFiles = invalidKeyFiles;
    if (request.publisherIndex === true) snapshot.publisherIndex = await publisherIndex(reader, config);
    if (reader.commit === null) return snapshot;
    // What an admin edited (say with `registry add-output`) and has not committed: the run does not see it, and
    // the plan says so instead of asking for the edit again.
    const differs = async (path: string): Promise<boolean> =>
      (await readOptional(join(this.#root, path))) !== (blobs.get(path) ?? null);
    const changed = async (pairs: (readonly [string, string])[]): Promise<Map<string, string>> =>
      new Map((await Promise.all(pairs.map(async (pair) => ((await differs(pair[1])) ? [pair] : [])))).flat());
    return { ...snapshot, uncommitted: { outputs: await changed(outputPaths), keys: await changed(keyPaths) } };
  }

  /** `basedOn` is not needed here: the folder is re-read at its current head under the serialising queue. */
  register(name: string, feedstock: string, _basedOn: string | null): Promise<RegisterOutcome> {
    // Registrations from parallel items are serialised so two of them never race on one file or on HEAD.
    const next = this.#writes.then(() => this.#register(name, feedstock));
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async #register(name: string, feedstock: string): Promise<RegisterOutcome> {
    if (!isRegistryName(name) || !isRegistryName(feedstock))
      throw new Error(`refusing to register "${name}" for "${feedstock}"`);
    // Re-read at the current head: the branch may have moved since the snapshot the run planned from.
    const reader = await this.#reader();
    const config: RegistryConfig = parseRegistryConfig((await reader.read([CONFIG_FILE])).get(CONFIG_FILE) ?? null);
    const path = outputPath(name, config);
    const text = (await reader.read([path])).get(path) ?? null;
    const owners = text === null ? [] : parseOutputFile(text, path);
    if (owners.includes(feedstock)) return { kind: 'already', commit: reader.commit };
    if (owners.length > 0) return { kind: 'conflict', owners, commit: reader.commit };
    await writeFileAtomic(join(this.#root, path), formatOutputFile([feedstock]));
    const commit =
      reader.commit === null
        ? null
        : await commitPath(
            this.#root,
            path,
            `Register output ${name} for feedstock ${feedstock}\n\n` +
              'Written by forgegate on first publish (allowlist or auto_register_all).',
          );
    return { kind: 'registered', commit };
  }
}

/** Every publisher of every keys file by repositoryId (PUBLISHER_RENAMED), read at the snapshot's commit. */
async function publisherIndex(reader: Reader, config: RegistryConfig): Promise<Map<string, IndexedPublisher[]>> {
  const paths = (await reader.listAll(KEYS_DIR)).filter((p) => p.endsWith('.json'));
  const blobs = await reader.read(paths);
  const index = new Map<string, IndexedPublisher[]>();
  for (const path of paths) {
    const text = blobs.get(path) ?? null;
    if (text === null) continue;
    const feedstock = path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
    // An invalid keys file lists no publishers (its feedstock has none); the run names it where it was asked for.
    const read = readFeedstockFile(text, path, config.sigstore);
    for (const publisher of 'file' in read ? read.file.publishers : [])
      index.set(publisher.repositoryId, [...(index.get(publisher.repositoryId) ?? []), { feedstock, publisher }]);
  }
  return index;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}
