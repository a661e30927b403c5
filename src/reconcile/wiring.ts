// The composition root: config in; every store, the registry and the report sink are built here and nowhere
// else. This (with cli/ and demo/) is the only place outside src/backends/ that imports a backend.
import { AnacondaClient } from '../backends/anaconda/client.js';
import { AnacondaHttp, createAgent } from '../backends/anaconda/http.js';
import { AnacondaQuarantine } from '../backends/anaconda/quarantine.js';
import { AnacondaStaging } from '../backends/anaconda/staging.js';
import { AnacondaTarget } from '../backends/anaconda/target.js';
import { GitHubGraphQL, githubToken } from '../backends/github/client.js';
import { GitHubRegistry } from '../backends/github/registry.js';
import { GitHubReports } from '../backends/github/reports.js';
import { DirectoryOutbox } from '../backends/local/directory-outbox.js';
import { DirectoryRegistry } from '../backends/local/directory-registry.js';
import { DirectoryStaging } from '../backends/local/directory-staging.js';
import { LocalChannel } from '../backends/local/local-channel.js';
import { LocalQuarantine } from '../backends/local/local-quarantine.js';
import type { Config, RegistrySourceConfig, ReportsConfig, StoreConfig } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import { reconcilerRunUrl } from '../reports/run-link.js';
import type { RegistrySource } from '../ports/registry.js';
import type { ReportSink } from '../ports/reports.js';
import type { Stores } from '../ports/stores.js';

export interface StoreDeps {
  env: NodeJS.ProcessEnv;
  /** `--plan` only reads: a missing token then means anonymous reads, so admins need no write tokens to preview. */
  readOnly?: boolean;
}

type AnacondaStore = Extract<StoreConfig, { type: 'anaconda' }>;

function token(store: AnacondaStore, where: string, deps: StoreDeps): string | null {
  const value = deps.env[store.tokenEnv];
  if (!value && deps.readOnly) return null;
  if (!value) {
    throw new ForgegateError(
      'FG_CONFIG_INVALID',
      `${where}: environment variable ${store.tokenEnv} (tokenEnv) is not set`,
      {
        fix: `Export ${store.tokenEnv} with an anaconda.org token for owner ${store.owner} before running forgegate.`,
      },
    );
  }
  return value;
}

/** The three stores of the config's one kind (the config schema allows no other pairing). */
export function createStores(config: Config, deps: StoreDeps): Stores {
  switch (config.storeType) {
    case 'directory':
      return {
        staging: new DirectoryStaging(config.staging.store.path),
        quarantine: new LocalQuarantine(config.quarantine.store.path),
        target: new LocalChannel(config.target.store.path, config.target.store.index),
        close: async () => {},
      };
    case 'anaconda': {
      // One keep-alive pool per origin, shared by the three tokens' clients.
      const agent = createAgent();
      const client = (s: AnacondaStore, where: string): AnacondaClient =>
        new AnacondaClient(new AnacondaHttp(s.url, token(s, where, deps), { agent }));
      const { staging, quarantine, target } = {
        staging: config.staging.store,
        quarantine: config.quarantine.store,
        target: config.target.store,
      };
      const concurrency = config.policy.concurrency;
      return {
        staging: new AnacondaStaging(client(staging, 'staging.store'), staging.owner, concurrency),
        quarantine: new AnacondaQuarantine(client(quarantine, 'quarantine.store'), quarantine.owner),
        target: new AnacondaTarget(client(target, 'target.store'), target.owner, concurrency),
        close: () => agent.close(),
      };
    }
  }
}

export interface RegistryDeps {
  env: NodeJS.ProcessEnv;
  /** `check` reads the branch tip in one round trip instead of pinning a commit first. */
  unpinned?: boolean;
}

export function createRegistry(config: RegistrySourceConfig, deps: RegistryDeps): RegistrySource {
  switch (config.type) {
    case 'directory':
      return new DirectoryRegistry(config.path);
    case 'github': {
      const gh = new GitHubGraphQL({ url: config.url, token: githubToken(config.tokenEnv, 'registry', deps.env) });
      return new GitHubRegistry(gh, config.repository, config.ref, { pinned: !deps.unpinned });
    }
  }
}

export interface ReportDeps {
  env: NodeJS.ProcessEnv;
}

export function createReportSink(config: ReportsConfig, deps: ReportDeps): ReportSink {
  // A report past its size budget points here for the failures it only counts.
  const runLink = reconcilerRunUrl(deps.env);
  switch (config.type) {
    case 'directory':
      return new DirectoryOutbox(config.path, { runLink });
    case 'github':
      return new GitHubReports(
        new GitHubGraphQL({ url: config.url, token: githubToken(config.tokenEnv, 'reports', deps.env) }),
        config.repositoryTemplate,
        config.adminRepository,
        { runLink },
      );
  }
}
