// target.store.index: which index forms a channel folder writes (shards on by default, current_repodata on).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { DEFAULT_CHANNEL_INDEX } from '../../src/config/types.js';

const BASE = `
target: { channel: https://conda.example.org/forge, labels: [main], store: { type: directory, path: ./channel } }
staging: { store: { type: directory, path: ./staging } }
registry: { type: directory, path: ./registry }
ledger: ./forgegate.db
`;
const doc = (index?: unknown): Record<string, unknown> => {
  const d = YAML.parse(BASE) as Record<string, unknown>;
  return index === undefined ? d : withIndex(d, index);
};

function withIndex(d: Record<string, unknown>, index: unknown): Record<string, unknown> {
  ((d['target'] as Record<string, unknown>)['store'] as Record<string, unknown>)['index'] = index;
  return d;
}

describe('target.store.index', () => {
  it('defaults to repodata.json, current_repodata.json and shards kept 7 days', () => {
    const { config, errors } = validateConfig(doc(), join('/x', 'c.yml'));
    expect(errors).toEqual([]);
    expect(config?.target.store).toEqual({ type: 'directory', path: '/x/channel' }); // LocalChannel's defaults apply
    expect(validateConfig(doc({}), '/x/c.yml').config?.target.store).toMatchObject({ index: DEFAULT_CHANNEL_INDEX });
    expect(DEFAULT_CHANNEL_INDEX).toEqual({
      monolithic: true,
      currentRepodata: true,
      shards: true,
      shardRetentionMs: 604_800_000,
    });
  });

  it('reads each key, and names a bad value or a channel with no index at all', () => {
    const index = { monolithic: false, currentRepodata: false, shards: true, shardRetention: '1h' };
    expect(validateConfig(doc(index), '/x/c.yml').config?.target.store).toMatchObject({
      index: { monolithic: false, currentRepodata: false, shards: true, shardRetentionMs: 3_600_000 },
    });
    expect(validateConfig(doc({ shards: 'yes', shardRetention: 'soon', extra: 1 }), '/x/c.yml').errors).toEqual([
      expect.stringMatching(/^target\.store\.index\.extra: unknown key; target\.store\.index takes monolithic/),
      expect.stringMatching(/^target\.store\.index\.shards: expected true or false/),
      expect.stringMatching(/^target\.store\.index\.shardRetention: expected a duration/),
    ]);
    expect(validateConfig(doc({ monolithic: false, shards: false }), '/x/c.yml').errors).toEqual([
      expect.stringMatching(/^target\.store\.index: expected monolithic or shards/),
    ]);
  });

  it('is refused on a store that is not the target', () => {
    const d = doc();
    (d['staging'] as { store: Record<string, unknown> }).store['index'] = { shards: false };
    expect(validateConfig(d, '/x/c.yml').errors).toEqual([
      expect.stringMatching(/^staging\.store\.index: unknown key here: index belongs under target\.store/),
    ]);
  });
});
