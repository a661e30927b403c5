// target.store.index for a channel folder: which index forms it writes (backends/local/repodata-forms.ts).
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
