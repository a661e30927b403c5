// The normalised config every command works from. Its types come from the one description of the file (schema.ts);
// load.ts turns the YAML as written into it.
import { readDocument } from './shape.js';
import { POLICY, type Policy } from './schema.js';

export { DEFAULT_CHANNEL_INDEX, type ChannelIndexConfig } from './channel-index.js';
export type { Config, Policy, RegistrySourceConfig, ReportsConfig, StoreConfig, StoreType } from './schema.js';

function defaults(): Policy {
  const { value, problems } = readDocument(POLICY, {}, '/');
  if (value === null) throw new Error(`the policy defaults do not pass their own schema: ${problems.join('; ')}`);
  return value;
}

/** The policy of a config without `policy:`, as the schema's defaults give it. */
export const DEFAULT_POLICY: Policy = defaults();
