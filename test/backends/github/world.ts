// A reconcile against (fake) GitHub: registry and reports on GitHub, staging and channel on folders. Shared by the
// end-to-end tests and the request-count benchmark (bench/github-bench.ts), which runs the same scenario at scale.
import { Sandbox } from '../../helpers/sandbox.js';
import {
  DEFAULT_REGISTRY_CONFIG,
  formatKeyFile,
  formatOutputFile,
  keyPath,
  outputPath,
} from '../../../src/registry/layout.js';
import { encodeKey } from '../../../src/statement/keys.js';
import { GRAPHQL_URL, type FakeGitHub } from './fake.js';

export const GITHUB_ENV = {
  ...process.env,
  GH_REGISTRY_TOKEN: 'ghp_registry_SECRET',
  GH_REPORTS_TOKEN: 'ghp_reports_SECRET',
};

/** A sandbox in `dir` whose registry and reports are the fake's (tokens in GITHUB_ENV). */
export async function githubSandbox(fake: FakeGitHub, dir: string): Promise<Sandbox> {
  return Sandbox.create(dir, {
    git: false,
    configOverrides: {
      registry: {
        type: 'github',
        repository: fake.repository,
        ref: 'main',
        tokenEnv: 'GH_REGISTRY_TOKEN',
        url: GRAPHQL_URL,
      },
      reports: {
        type: 'github',
        repositoryTemplate: 'conda-forge/{feedstock}-feedstock',
        adminRepository: 'conda-forge/admin',
        tokenEnv: 'GH_REPORTS_TOKEN',
        url: GRAPHQL_URL,
      },
    },
  });
}

/** Mirror the sandbox's feedstocks (outputs + keys) into the fake GitHub registry. */
export function publishRegistry(fake: FakeGitHub, sb: Sandbox, outputs: Record<string, string>): void {
  const files: Record<string, string> = {};
  for (const [output, feedstock] of Object.entries(outputs))
    files[outputPath(output, DEFAULT_REGISTRY_CONFIG)] = formatOutputFile([feedstock]);
  for (const [feedstock, keys] of sb.keys)
    files[keyPath(feedstock, DEFAULT_REGISTRY_CONFIG)] = formatKeyFile(
      keys.map((k) => ({ keyid: k.keyid, publicKey: encodeKey(k.publicKey) })),
    );
  fake.commit(files, 'registry');
  for (const f of sb.keys.keys()) fake.repos.add(`conda-forge/${f}-feedstock`);
}

/** What a run over `stageManyFeedstocks`' staging area should cost and report. */
export interface ManyFeedstocks {
  /** Artifacts signed by a feedstock that does not own the name: each rejected and reported. */
  rejected: number;
  /** Distinct (feedstock, source commit) pairs among the rejections: one issue each. */
  groups: number;
  /** Registry snapshot: 1 ref query + one query per 100 paths (outputs, signing feedstocks' keys, config, allowlist). */
  snapshotRequests: number;
  /** The whole run: the snapshot, who-am-I once, then per group one lookup and one createIssue. */
  requests: number;
}

/**
 * `artifacts` noarch packages `pkg<i>` from `feedstocks` feedstocks `fs<j>`, registered on the fake; every 10th is
 * signed by the next feedstock, which does not own it.
 */
export async function stageManyFeedstocks(
  fake: FakeGitHub,
  sb: Sandbox,
  opts: { artifacts: number; feedstocks: number },
): Promise<ManyFeedstocks> {
  const outputs: Record<string, string> = {};
  const signers = new Set<string>();
  const groups = new Set<string>();
  let rejected = 0;
  for (let f = 0; f < opts.feedstocks; f++) await sb.addFeedstock(`fs${f}`, []);
  for (let i = 0; i < opts.artifacts; i++) {
    const feedstock = `fs${i % opts.feedstocks}`;
    outputs[`pkg${i}`] = feedstock;
    const claimed = i % 10 === 0 ? `fs${(i + 1) % opts.feedstocks}` : feedstock;
    const sourceCommit = (i % opts.feedstocks).toString(16).padStart(4, '0').padEnd(40, 'a');
    signers.add(claimed);
    if (claimed !== feedstock) {
      rejected++;
      groups.add(`${claimed} ${sourceCommit}`);
    }
    await sb.stage(await sb.build({ name: `pkg${i}`, version: '1.0', build: 'h0_0', subdir: 'noarch', zstdLevel: 1 }), {
      feedstock: claimed,
      sourceCommit,
    });
  }
  publishRegistry(fake, sb, outputs);
  const snapshotRequests = 1 + Math.ceil((opts.artifacts + signers.size + 2) / 100);
  return { rejected, groups: groups.size, snapshotRequests, requests: snapshotRequests + 1 + 2 * groups.size };
}
