import type { RegistrySourceConfig } from '../config/types.js';
import type { RegistrySource } from '../model.js';
import { DirectoryRegistry } from './directory-registry.js';

export interface RegistryDeps {
  env: NodeJS.ProcessEnv;
}

export function createRegistry(config: RegistrySourceConfig, deps: RegistryDeps): RegistrySource {
  switch (config.type) {
    case 'directory':
      return new DirectoryRegistry(config.path);
    case 'github':
      void deps;
      throw new Error('github registry: not wired yet');
  }
}
