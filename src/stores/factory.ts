// Picks one adapter per store from the config. Backends plug in here and nowhere else.
import { AnacondaClient } from '../anaconda/client.js';
import { AnacondaHttp, createAgent } from '../anaconda/http.js';
import { AnacondaQuarantine } from '../anaconda/quarantine.js';
import { AnacondaStaging } from '../anaconda/staging.js';
import { AnacondaTarget } from '../anaconda/target.js';
import type { Config, StoreConfig } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import type { Quarantine, StagingStore, TargetStore } from '../model.js';
import { DirectoryStaging } from './directory-staging.js';
import { LocalChannel } from './local-channel.js';
import { LocalQuarantine } from './local-quarantine.js';

export interface Stores {
  staging: StagingStore;
  quarantine: Quarantine;
  target: TargetStore;
  /** Release connections and other resources. */
  close(): Promise<void>;
}

export interface StoreDeps {
  env: NodeJS.ProcessEnv;
  /** `--plan` only reads: a missing token then means anonymous reads, so admins need no write tokens to preview. */
  readOnly?: boolean;
}

function token(store: Extract<StoreConfig, { type: 'anaconda' }>, where: string, deps: StoreDeps): string | null {
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

export function createStores(config: Config, deps: StoreDeps): Stores {
  const { staging, quarantine, target } = {
    staging: config.staging.store,
    quarantine: config.quarantine.store,
    target: config.target.store,
  };
  if (staging.type === 'directory' && quarantine.type === 'directory' && target.type === 'directory') {
    return {
      staging: new DirectoryStaging(staging.path),
      quarantine: new LocalQuarantine(quarantine.path),
      target: new LocalChannel(target.path),
      close: async () => {},
    };
  }
  if (staging.type === 'anaconda' && quarantine.type === 'anaconda' && target.type === 'anaconda') {
    // One keep-alive pool per origin, shared by the three tokens' clients.
    const agent = createAgent();
    const client = (s: typeof staging, where: string): AnacondaClient =>
      new AnacondaClient(new AnacondaHttp(s.url, token(s, where, deps), { agent }));
    const concurrency = config.policy.concurrency;
    return {
      staging: new AnacondaStaging(client(staging, 'staging.store'), staging.owner, concurrency),
      quarantine: new AnacondaQuarantine(client(quarantine, 'quarantine.store'), quarantine.owner),
      target: new AnacondaTarget(client(target, 'target.store'), target.owner, concurrency),
      close: () => agent.close(),
    };
  }
  throw new ForgegateError(
    'FG_CONFIG_INVALID',
    `unsupported store combination: staging=${staging.type}, quarantine=${quarantine.type}, target=${target.type}`,
    {
      fix: 'Use directory stores throughout, or anaconda stores throughout.',
    },
  );
}
