import type { RegistrySourceConfig } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import { GitHubGraphQL } from '../github/client.js';
import { GitHubRegistry } from '../github/registry.js';
import type { RegistrySource } from '../model.js';
import { DirectoryRegistry } from './directory-registry.js';

export interface RegistryDeps {
  env: NodeJS.ProcessEnv;
  /** `check` reads the branch tip in one round trip instead of pinning a commit first. */
  unpinned?: boolean;
}

export function githubToken(tokenEnv: string, where: string, env: NodeJS.ProcessEnv): string {
  const token = env[tokenEnv];
  if (!token)
    throw new ForgegateError('FG_CONFIG_INVALID', `${where}: environment variable ${tokenEnv} (tokenEnv) is not set`, {
      fix: `Export ${tokenEnv} with a GitHub token (README, "GitHub" lists the scopes).`,
    });
  return token;
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
