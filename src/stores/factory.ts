// Picks one adapter per store from the config. Backends plug in here and nowhere else.
import type { Config } from '../config/types.js';
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
}

export function createStores(config: Config, deps: StoreDeps): Stores {
  const { staging, quarantine, target } = { staging: config.staging.store, quarantine: config.quarantine.store, target: config.target.store };
  if (staging.type === 'directory' && quarantine.type === 'directory' && target.type === 'directory') {
    return {
      staging: new DirectoryStaging(staging.path),
      quarantine: new LocalQuarantine(quarantine.path),
      target: new LocalChannel(target.path),
      close: async () => {},
    };
  }
  void deps;
  throw new ForgegateError('FG_CONFIG_INVALID', `unsupported store combination: staging=${staging.type}, quarantine=${quarantine.type}, target=${target.type}`, {
    fix: 'Use directory stores throughout, or anaconda stores for quarantine and target.',
  });
}
