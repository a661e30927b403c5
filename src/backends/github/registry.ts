// registry-v1 on GitHub: resolve the branch once, then read every file at that commit in batches of aliased
// `object(expression:)` lookups (≤ 100 paths per query). Registration is createCommitOnBranch on the commit read.
import { GraphqlResponseError } from '@octokit/graphql';
import { ForgegateError } from '../../errors.js';
import type {
  FeedstockFile,
  RegistryKey,
  RegisterOutcome,
  RegistryConfig,
  RegistrySnapshot,
  RegistrySource,
  SnapshotRequest,
} from '../../ports/registry.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatOutputFile,
  isRegistryName,
  keyPath,
  outputPath,
  outputShardDir,
  parseAllowlist,
  readFeedstockFile,
  parseOutputFile,
  parseRegistryConfig,
} from '../../registry/layout.js';
import { feedstockOf } from '../../statement/keyless/publisher.js';
import { sleep } from '../../util/retry.js';
import { splitRepository, type GitHubGraphQL } from './client.js';

export const PATHS_PER_QUERY = 100;
export const REGISTER_ATTEMPTS = 5;
const RATE = 'rateLimit { cost remaining resetAt }';

type Entry =
  | { __typename: 'Blob'; text: string | null; isBinary: boolean | null; isTruncated: boolean }
  | { __typename: 'Tree'; entries: { name: string; type: string }[] | null }
  | null;

export class GitHubRegistry implements RegistrySource {
  readonly description: string;
  #gh: GitHubGraphQL;
  #repo: { owner: string; name: string };
  #ref: string;
  #pinned: boolean;

  /** `pinned: false` is for `forgegate check`: reads name `<branch>:path`, so ≤ 100 paths take ONE round trip. */
  constructor(gh: GitHubGraphQL, repository: string, ref: string, opts: { pinned?: boolean } = {}) {
    this.#gh = gh;
    this.#repo = splitRepository(repository);
    this.#ref = ref;
    this.#pinned = opts.pinned ?? true;
    this.description = `GitHub registry ${repository}@${ref}`;
  }

  async #head(): Promise<string> {
    const data = await this.#gh.run<{ repository: { ref: { target: { oid: string } } | null } | null }>(
      'resolve branch',
      `query($owner: String!, $name: String!, $ref: String!) { ${RATE} repository(owner: $owner, name: $name) { ` +
        `ref(qualifiedName: $ref) { target { oid } } } }`,
      { ...this.#repo, ref: `refs/heads/${this.#ref}` },
    );
    const oid = data.repository?.ref?.target.oid;
    if (!oid)
      throw new ForgegateError('FG_REGISTRY_UNAVAILABLE', `${this.description}: repository or branch not found`, {
        fix: 'Check registry.repository and registry.ref, and that the token can read the repository.',
      });
    return oid;
  }

  /** Read many paths at `rev` (a commit oid, or a branch name when unpinned): one query per 100 paths. */
  async #read(rev: string, paths: string[], extra = ''): Promise<{ entries: Map<string, Entry>; oid: string | null }> {
    const entries = new Map<string, Entry>();
    let oid: string | null = null;
    const unique = [...new Set(paths)];
    for (let at = 0; at < unique.length || (at === 0 && extra); at += PATHS_PER_QUERY) {
      const batch = unique.slice(at, at + PATHS_PER_QUERY);
      const vars = Object.fromEntries(batch.map((p, i) => [`e${i}`, `${rev}:${p}`]));
      const decls = batch.map((_, i) => `$e${i}: String!`).join(', ');
      const fields = batch
        .map(
          (_, i) =>
            `f${i}: object(expression: $e${i}) { __typename ... on Blob { text isBinary isTruncated } ... on Tree ` +
            `{ entries { name type } } }`,
        )
        .join(' ');
      const head = at === 0 ? extra : '';
      const data = await this.#gh.run<{
        repository: (Record<string, Entry> & { ref?: { target: { oid: string } } | null }) | null;
      }>(
        'read registry files',
        `query($owner: String!, $name: String!${head ? ', $ref: String!' : ''}${decls ? `, ${decls}` : ''}) ` +
          `{ ${RATE} repository(owner: $owner, name: $name) { ${head} ${fields} } }`,
        { ...this.#repo, ...(head ? { ref: `refs/heads/${this.#ref}` } : {}), ...vars },
      );
      if (!data.repository)
        throw new ForgegateError('FG_REGISTRY_UNAVAILABLE', `${this.description}: repository not found`, {
          fix: 'Check registry.repository and the token.',
        });
      if (head) oid = data.repository.ref?.target.oid ?? null;
      batch.forEach((p, i) => entries.set(p, data.repository![`f${i}`] ?? null));
      if (batch.length === 0) break;
    }
    return { entries, oid };
  }

  #text(entries: Map<string, Entry>, path: string): string | null {
    const e = entries.get(path) ?? null;
    if (e === null || e.__typename !== 'Blob') return null;
    if (e.isBinary || e.isTruncated || e.text === null)
      throw new ForgegateError('FG_REGISTRY_INVALID', `registry file ${path} is binary or too large to read`, {
        fix: 'Registry files are small JSON/YAML text files.',
      });
    return e.text;
  }

  async snapshot(request: SnapshotRequest): Promise<RegistrySnapshot> {
    const names = [...new Set(request.names.filter(isRegistryName))];
    const feedstocks = [...new Set(request.feedstocks.filter(isRegistryName))];
    const wanted = (c: RegistryConfig): string[] => [
      CONFIG_FILE,
      ALLOWLIST_FILE,
      ...names.map((n) => outputPath(n, c)),
      ...feedstocks.map((f) => keyPath(f, c)),
    ];
    // Paths assume the default sharding; a registry with another config.json is simply read again.
    let commit: string;
    let got: Map<string, Entry>;
    if (this.#pinned) {
      commit = await this.#head();
      got = (await this.#read(commit, wanted(DEFAULT_REGISTRY_CONFIG))).entries;
    } else {
      const r = await this.#read(
        this.#ref,
        wanted(DEFAULT_REGISTRY_CONFIG),
        'ref(qualifiedName: $ref) { target { oid } }',
      );
      if (r.oid === null)
        throw new ForgegateError('FG_REGISTRY_UNAVAILABLE', `${this.description}: branch not found`, {
          fix: 'Check registry.ref.',
        });
      [commit, got] = [r.oid, r.entries];
    }
    const rev = this.#pinned ? commit : this.#ref;
    const config = parseRegistryConfig(this.#text(got, CONFIG_FILE));
    if (
      config.outputs_path !== DEFAULT_REGISTRY_CONFIG.outputs_path ||
      config.shard_level !== DEFAULT_REGISTRY_CONFIG.shard_level ||
      config.shard_fill !== DEFAULT_REGISTRY_CONFIG.shard_fill
    ) {
      got = new Map([...got, ...(await this.#read(rev, wanted(config))).entries]);
    }
    const outputNames = new Set(names);
    if (config.auto_register_all) {
      // Confusable names share a shard folder: list those folders and read the siblings too.
      const folders = [...new Set(names.map((n) => outputShardDir(n, config)))];
      const trees = (await this.#read(rev, folders)).entries;
      const siblings: string[] = [];
      for (const f of folders) {
        const t = trees.get(f);
        if (t?.__typename === 'Tree')
          for (const e of t.entries ?? [])
            if (e.type === 'blob' && e.name.endsWith('.json')) siblings.push(e.name.slice(0, -5));
      }
      const fresh = siblings.filter((s) => isRegistryName(s) && !outputNames.has(s));
      got = new Map([
        ...got,
        ...(
          await this.#read(
            rev,
            fresh.map((s) => outputPath(s, config)),
          )
        ).entries,
      ]);
      fresh.forEach((s) => outputNames.add(s));
    }
    const outputs = new Map<string, string[] | null>(request.names.map((n) => [n, null]));
    for (const n of outputNames) {
      const path = outputPath(n, config);
      const text = this.#text(got, path);
      outputs.set(n, text === null ? null : parseOutputFile(text, path));
    }
    // A bundle's certificate names a repository; the registry's own repoPattern says which feedstock that is.
    const sigstore = config.sigstore;
    const named = (request.repositories ?? [])
      .map((r) => (sigstore === undefined ? null : feedstockOf(r, sigstore)))
      .filter((f): f is string => f !== null && isRegistryName(f) && !feedstocks.includes(f));
    if (named.length > 0) {
      got = new Map([
        ...got,
        ...(
          await this.#read(
            commit,
            named.map((f) => keyPath(f, config)),
          )
        ).entries,
      ]);
      feedstocks.push(...new Set(named));
    }
    const keys = new Map<string, RegistryKey[] | null>(request.feedstocks.map((f) => [f, null]));
    const files = new Map<string, FeedstockFile | null>(request.feedstocks.map((f) => [f, null]));
    const invalidKeyFiles = new Map<string, string>();
    for (const f of feedstocks) {
      const path = keyPath(f, config);
      const text = this.#text(got, path);
      const read = text === null ? null : readFeedstockFile(text, path, sigstore);
      const file = read !== null && 'file' in read ? read.file : null;
      if (read !== null && 'invalid' in read) invalidKeyFiles.set(f, read.invalid);
      keys.set(f, file?.keys ?? null);
      files.set(f, file);
    }
    // The index of every publisher by repositoryId (PUBLISHER_RENAMED) would read every keys file of the registry
    // through the API: not built here, so a renamed repository is PUBLISHER_UNKNOWN or _MISMATCH on this backend.
    const allowlist = parseAllowlist(this.#text(got, ALLOWLIST_FILE));
    return {
      commit,
      config,
      allowlist,
      outputs,
      keys,
      files,
      ...(invalidKeyFiles.size > 0 ? { invalidKeyFiles } : {}),
    };
  }

  async register(name: string, feedstock: string, basedOn: string | null): Promise<RegisterOutcome> {
    if (!isRegistryName(name) || !isRegistryName(feedstock))
      throw new Error(`refusing to register "${name}" for "${feedstock}"`);
    let head = basedOn ?? (await this.#head());
    for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
      // One query for the config and the output file at its default place; another only for custom sharding.
      let got = (await this.#read(head, [CONFIG_FILE, outputPath(name, DEFAULT_REGISTRY_CONFIG)])).entries;
      const config = parseRegistryConfig(this.#text(got, CONFIG_FILE));
      const path = outputPath(name, config);
      if (!got.has(path)) got = (await this.#read(head, [path])).entries;
      const text = this.#text(got, path);
      const owners = text === null ? [] : parseOutputFile(text, path);
      if (owners.includes(feedstock)) return { kind: 'already', commit: head };
      if (owners.length > 0) return { kind: 'conflict', owners, commit: head };
      try {
        const data = await this.#gh.run<{ createCommitOnBranch: { commit: { oid: string } } }>(
          'register output',
          `mutation($input: CreateCommitOnBranchInput!) { createCommitOnBranch(input: $input) { commit { oid } } }`,
          {
            input: {
              branch: { repositoryNameWithOwner: `${this.#repo.owner}/${this.#repo.name}`, branchName: this.#ref },
              expectedHeadOid: head,
              message: {
                headline: `Register output ${name} for feedstock ${feedstock}`,
                body: 'Written by forgegate on first publish (allowlist or auto_register_all).',
              },
              fileChanges: {
                additions: [{ path, contents: Buffer.from(formatOutputFile([feedstock])).toString('base64') }],
              },
            },
          },
        );
        return { kind: 'registered', commit: data.createCommitOnBranch.commit.oid };
      } catch (e) {
        if (!(e instanceof GraphqlResponseError)) throw e;
        // The branch moved since `head` (a concurrent admin or run): re-read at the new head and decide again.
        await sleep(50 * 2 ** attempt);
        head = await this.#head();
      }
    }
    throw new ForgegateError('FG_REGISTRY_UNAVAILABLE', `could not register ${name}: the branch kept moving`, {
      transient: true,
      fix: 'The next run retries.',
    });
  }
}
