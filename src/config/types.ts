// The normalised config every command works from. `load.ts` turns the YAML as written into this.
import { DEFAULT_UNPACK_LIMITS } from '../conda/limits.js';

export type StoreConfig =
  | { type: 'directory'; path: string; index?: ChannelIndexConfig }
  | { type: 'anaconda'; owner: string; url: string; tokenEnv: string };

/** target.store.index for a channel folder: which index forms it writes (backends/local/repodata-forms.ts). */
export interface ChannelIndexConfig {
  monolithic: boolean;
  currentRepodata: boolean;
  shards: boolean;
  shardRetentionMs: number;
}

export const DEFAULT_CHANNEL_INDEX: ChannelIndexConfig = {
  monolithic: true,
  currentRepodata: true,
  shards: true,
  shardRetentionMs: 7 * 86_400_000,
};

export type RegistrySourceConfig =
  | { type: 'directory'; path: string }
  | { type: 'github'; repository: string; ref: string; tokenEnv: string; url: string };

export type ReportsConfig =
  | { type: 'directory'; path: string }
  | { type: 'github'; repositoryTemplate: string; adminRepository: string; tokenEnv: string; url: string };

export interface Policy {
  maxSignatureAgeMs: number;
  clockSkewMs: number;
  stagingGraceMs: number;
  rejectRetentionMs: number;
  /** How far ahead of the last run the clock may be before a run refuses to trust it. */
  maxClockJumpMs: number;
  concurrency: number;
  /** What one artifact may unpack to in all (policy.maxUnpackedSize), and per compressed byte (maxUnpackRatio). */
  maxUnpackedBytes: number;
  maxUnpackRatio: number;
}

export interface Config {
  /** Absolute path of the config file; relative paths in it were resolved against its folder. */
  configPath: string;
  target: { channel: string; labels: string[]; store: StoreConfig };
  /** `subdirs`: where artifacts may be staged (default: every subdir conda knows); anything else is a stray. */
  staging: { store: StoreConfig; subdirs: readonly string[] };
  /** Reconciler-private custody between staging and target. Default: a folder beside the ledger. */
  quarantine: { store: StoreConfig };
  registry: RegistrySourceConfig;
  /** Absolute path of the SQLite ledger. */
  ledger: string;
  reports: ReportsConfig;
  policy: Policy;
}

export const DEFAULT_POLICY: Policy = {
  maxSignatureAgeMs: 24 * 3_600_000,
  clockSkewMs: 5 * 60_000,
  stagingGraceMs: 2 * 3_600_000,
  rejectRetentionMs: 7 * 86_400_000,
  maxClockJumpMs: 86_400_000,
  concurrency: 8,
  maxUnpackedBytes: DEFAULT_UNPACK_LIMITS.maxUnpackedBytes,
  maxUnpackRatio: DEFAULT_UNPACK_LIMITS.maxUnpackRatio,
};
