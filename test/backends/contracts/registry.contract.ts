// What every RegistrySource must do: answer a run's questions from ONE state of the registry (owners of output
// names, keys of feedstocks, the allowlist, the config) and register new names without ever taking one from its
// owner. The fixture writes registry-v1 files the way an administrator does on that backend (a commit where the
// registry is versioned); the suite only talks to the RegistrySource interface.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryConfig, RegistryKey, RegistrySource } from '../../../src/ports/registry.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatKeyFile,
  formatOutputFile,
  keyPath,
  outputPath,
} from '../../../src/registry/layout.js';
import { encodeKey, generateKeyPair } from '../../../src/statement/keys.js';
import YAML from 'yaml';

export interface RegistryFixture {
  registry: RegistrySource;
  /** config.json (fields not given keep their defaults). Later seeds use its layout. */
  seedConfig(config: Partial<RegistryConfig>): Promise<void>;
  seedAllowlist(allowlist: Record<string, string[]>): Promise<void>;
  /** The output file of `name`, owned by `feedstocks`. */
  seedOutput(name: string, feedstocks: string[]): Promise<void>;
  /** The key file of `feedstock`. */
  seedKeys(feedstock: string, keys: RegistryKey[]): Promise<void>;
  /** Raw text where the output file of `name` (`kind: 'output'`) or the key file of a feedstock belongs. */
  seedRaw(kind: 'output' | 'keys', name: string, text: string): Promise<void>;
  /** A source of the same kind naming a registry that does not exist. */
  unavailable(): RegistrySource;
  close(): Promise<void>;
}

/** Changes to registry files, path → text, applied together (one commit where the registry has commits). */
export type RegistryWriter = (changes: Record<string, string>) => Promise<void>;

/** The seed* methods on top of a backend's way of writing files, laying them out as registry-v1 says. */
export function registrySeeders(
  write: RegistryWriter,
): Pick<RegistryFixture, 'seedConfig' | 'seedAllowlist' | 'seedOutput' | 'seedKeys' | 'seedRaw'> {
  let config: RegistryConfig = { ...DEFAULT_REGISTRY_CONFIG };
  return {
    seedConfig: async (c) => {
      config = { ...DEFAULT_REGISTRY_CONFIG, ...c };
      await write({ [CONFIG_FILE]: `${JSON.stringify(config, null, 2)}\n` });
    },
    seedAllowlist: (allowlist) => write({ [ALLOWLIST_FILE]: YAML.stringify(allowlist) }),
    seedOutput: (name, feedstocks) => write({ [outputPath(name, config)]: formatOutputFile(feedstocks) }),
    seedKeys: (feedstock, keys) => write({ [keyPath(feedstock, config)]: formatKeyFile(keys) }),
    seedRaw: (kind, name, text) => write({ [(kind === 'output' ? outputPath : keyPath)(name, config)]: text }),
  };
}

function key(extra: Partial<RegistryKey> = {}): RegistryKey {
  const k = generateKeyPair();
  return {
    keyid: k.keyid,
    publicKey: encodeKey(k.publicKey),
    addedAt: '2026-01-01T00:00:00Z',
    notAfter: null,
    revokedAt: null,
    ...extra,
  };
}

export function registryContract(name: string, makeFixture: () => Promise<RegistryFixture>): void {
  describe(`RegistrySource contract: ${name}`, () => {
    let fx: RegistryFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.close();
    });

    it('answers the owners of every name asked for, in file order, and null for a name nobody registered', async () => {
      await fx.seedOutput('numpy', ['numpy']);
      await fx.seedOutput('libgfortran', ['libgfortran', 'gfortran_impl_osx-64', 'm2w64-gcc-libs', 'ctng-compilers']);
      const snap = await fx.registry.snapshot({ names: ['numpy', 'libgfortran', 'no-such-output'], feedstocks: [] });
      expect(snap.outputs).toEqual(
        new Map([
          ['numpy', ['numpy']],
          ['libgfortran', ['libgfortran', 'gfortran_impl_osx-64', 'm2w64-gcc-libs', 'ctng-compilers']],
          ['no-such-output', null],
        ]),
      );
      expect(snap.keys).toEqual(new Map());
    });

    it('answers the keys of every feedstock asked for, and null for a feedstock without a key file', async () => {
      const keys = [
        key({ comment: 'CI key' }),
        key({ revokedAt: '2026-02-01T00:00:00Z', notAfter: '2027-01-01T00:00:00Z' }),
      ];
      await fx.seedKeys('numpy', keys);
      await fx.seedKeys('scipy', []);
      const snap = await fx.registry.snapshot({ names: [], feedstocks: ['numpy', 'scipy', 'keyless'] });
      expect(snap.keys).toEqual(
        new Map<string, RegistryKey[] | null>([
          ['numpy', keys],
          ['scipy', []],
          ['keyless', null],
        ]),
      );
    });

    it('returns the default config and an empty allowlist when the registry has neither file', async () => {
      const snap = await fx.registry.snapshot({ names: ['numpy'], feedstocks: ['numpy'] });
      expect(snap.config).toEqual(DEFAULT_REGISTRY_CONFIG);
      expect(snap.allowlist).toEqual({});
    });

    it('returns the allowlist and the config the registry holds', async () => {
      await fx.seedAllowlist({ llvmdev: ['libllvm*', 'llvm-tools'], 'ctng-compilers': ['lib*'] });
      await fx.seedConfig({ auto_register_all: true });
      const snap = await fx.registry.snapshot({ names: [], feedstocks: [] });
      expect(snap.allowlist).toEqual({ llvmdev: ['libllvm*', 'llvm-tools'], 'ctng-compilers': ['lib*'] });
      expect(snap.config).toEqual({ ...DEFAULT_REGISTRY_CONFIG, auto_register_all: true });
    });

    it('reads outputs and keys where a non-default config.json places them', async () => {
      await fx.seedConfig({ outputs_path: 'names/v1', shard_level: 2, shard_fill: 'x' });
      const keys = [key()];
      await fx.seedOutput('numpy', ['numpy']);
      await fx.seedOutput('c', ['c-feedstock']);
      await fx.seedKeys('numpy', keys);
      const snap = await fx.registry.snapshot({ names: ['numpy', 'c', 'scipy'], feedstocks: ['numpy'] });
      expect(snap.config).toEqual({
        outputs_path: 'names/v1',
        shard_level: 2,
        shard_fill: 'x',
        auto_register_all: false,
      });
      expect(snap.outputs).toEqual(
        new Map([
          ['numpy', ['numpy']],
          ['c', ['c-feedstock']],
          ['scipy', null],
        ]),
      );
      expect(snap.keys.get('numpy')).toEqual(keys);
    });

    it('answers null for names that are not registry names, and never reads a path built from them', async () => {
      await fx.seedOutput('numpy', ['numpy']);
      const hostile = ['../../config', 'numpy/../numpy', '', '-rf'];
      const snap = await fx.registry.snapshot({ names: hostile, feedstocks: hostile });
      for (const n of hostile) {
        expect(snap.outputs.get(n)).toBeNull();
        expect(snap.keys.get(n)).toBeNull();
      }
    });

    it('with auto_register_all, also holds every registered name in the shard folders of the names asked', async () => {
      await fx.seedConfig({ auto_register_all: true });
      await fx.seedOutput('async-timeout', ['async-timeout']);
      await fx.seedOutput('asyncio', ['asyncio-feedstock']);
      await fx.seedOutput('numpy', ['numpy']);
      const snap = await fx.registry.snapshot({ names: ['async_timeout'], feedstocks: [] });
      // The confusable-name guard needs the neighbours; names in other shards are not read.
      expect(snap.outputs).toEqual(
        new Map([
          ['async_timeout', null],
          ['async-timeout', ['async-timeout']],
          ['asyncio', ['asyncio-feedstock']],
        ]),
      );
    });

    it('register() of a new name answers "registered", and a later snapshot shows the feedstock as its owner', async () => {
      const before = await fx.registry.snapshot({ names: ['libllvm42'], feedstocks: [] });
      expect(before.outputs.get('libllvm42')).toBeNull();
      const outcome = await fx.registry.register('libllvm42', 'llvmdev', before.commit);
      expect(outcome.kind).toBe('registered');
      const after = await fx.registry.snapshot({ names: ['libllvm42'], feedstocks: [] });
      expect(after.outputs.get('libllvm42')).toEqual(['llvmdev']);
      // Versioned registries record a registration as a new commit, and a later snapshot reads at it.
      if (before.commit === null) {
        expect(outcome.commit).toBeNull();
        expect(after.commit).toBeNull();
      } else {
        expect(outcome.commit).toMatch(/^[0-9a-f]{40}$/);
        expect(outcome.commit).not.toBe(before.commit);
        expect(after.commit).toBe(outcome.commit);
      }
    });

    it('register() of a name the feedstock already owns (alone or with others) answers "already" and changes nothing', async () => {
      await fx.seedOutput('libgfortran', ['libgfortran', 'ctng-compilers']);
      const snap = await fx.registry.snapshot({ names: ['libgfortran', 'libllvm7'], feedstocks: [] });
      expect(await fx.registry.register('libgfortran', 'ctng-compilers', snap.commit)).toMatchObject({
        kind: 'already',
      });
      expect(await fx.registry.register('libllvm7', 'llvmdev', snap.commit)).toMatchObject({ kind: 'registered' });
      expect(await fx.registry.register('libllvm7', 'llvmdev', snap.commit)).toMatchObject({ kind: 'already' });
      const after = await fx.registry.snapshot({ names: ['libgfortran', 'libllvm7'], feedstocks: [] });
      expect(after.outputs.get('libgfortran')).toEqual(['libgfortran', 'ctng-compilers']);
      expect(after.outputs.get('libllvm7')).toEqual(['llvmdev']);
    });

    it('register() of a name owned by other feedstocks answers "conflict" with its owners and changes nothing', async () => {
      await fx.seedOutput('numpy', ['numpy', 'numpy-base']);
      const snap = await fx.registry.snapshot({ names: ['numpy'], feedstocks: [] });
      expect(await fx.registry.register('numpy', 'evil', snap.commit)).toMatchObject({
        kind: 'conflict',
        owners: ['numpy', 'numpy-base'],
      });
      expect((await fx.registry.snapshot({ names: ['numpy'], feedstocks: [] })).outputs.get('numpy')).toEqual([
        'numpy',
        'numpy-base',
      ]);
    });

    it('register() based on an older snapshot still sees registrations made since (conflict or already)', async () => {
      const snap = await fx.registry.snapshot({ names: ['libllvm43', 'libllvm44'], feedstocks: [] });
      await fx.seedOutput('libllvm43', ['someone-else']);
      await fx.seedOutput('libllvm44', ['llvmdev']);
      expect(await fx.registry.register('libllvm43', 'llvmdev', snap.commit)).toMatchObject({
        kind: 'conflict',
        owners: ['someone-else'],
      });
      expect(await fx.registry.register('libllvm44', 'llvmdev', snap.commit)).toMatchObject({ kind: 'already' });
      const after = await fx.registry.snapshot({ names: ['libllvm43', 'libllvm44'], feedstocks: [] });
      expect(after.outputs.get('libllvm43')).toEqual(['someone-else']);
    });

    it('register() based on an older snapshot keeps every change made since', async () => {
      const snap = await fx.registry.snapshot({ names: ['libllvm45'], feedstocks: [] });
      await fx.seedOutput('scipy', ['scipy']);
      expect(await fx.registry.register('libllvm45', 'llvmdev', snap.commit)).toMatchObject({ kind: 'registered' });
      const after = await fx.registry.snapshot({ names: ['libllvm45', 'scipy'], feedstocks: [] });
      expect(after.outputs.get('libllvm45')).toEqual(['llvmdev']);
      expect(after.outputs.get('scipy')).toEqual(['scipy']);
    });

    it('registers where a non-default config.json places output files', async () => {
      await fx.seedConfig({ outputs_path: 'names', shard_level: 1, shard_fill: 'q' });
      const snap = await fx.registry.snapshot({ names: ['zlib'], feedstocks: [] });
      expect(await fx.registry.register('zlib', 'zlib-feedstock', snap.commit)).toMatchObject({ kind: 'registered' });
      await fx.seedOutput('zstd', ['zstd']);
      const after = await fx.registry.snapshot({ names: ['zlib', 'zstd'], feedstocks: [] });
      expect(after.outputs.get('zlib')).toEqual(['zlib-feedstock']);
      expect(after.outputs.get('zstd')).toEqual(['zstd']);
    });

    it('keeps every one of several parallel registrations of different names', async () => {
      const snap = await fx.registry.snapshot({ names: [], feedstocks: [] });
      const names = ['libllvm50', 'libllvm51', 'libllvm52'];
      const outcomes = await Promise.all(names.map((n) => fx.registry.register(n, 'llvmdev', snap.commit)));
      expect(outcomes.map((o) => o.kind)).toEqual(['registered', 'registered', 'registered']);
      const after = await fx.registry.snapshot({ names, feedstocks: [] });
      for (const n of names) expect(after.outputs.get(n)).toEqual(['llvmdev']);
    });

    it('refuses to register a name or feedstock that is not a registry name', async () => {
      const snap = await fx.registry.snapshot({ names: [], feedstocks: [] });
      await expect(fx.registry.register('../escape', 'llvmdev', snap.commit)).rejects.toThrow(/refusing/);
      await expect(fx.registry.register('libllvm60', '../escape', snap.commit)).rejects.toThrow(/refusing/);
      expect(
        (await fx.registry.snapshot({ names: ['libllvm60'], feedstocks: [] })).outputs.get('libllvm60'),
      ).toBeNull();
    });

    it('fails a snapshot that reads a malformed output file with FG_REGISTRY_INVALID', async () => {
      await fx.seedRaw('output', 'numpy', '{"feedstocks": []}\n');
      await expect(fx.registry.snapshot({ names: ['numpy'], feedstocks: [] })).rejects.toMatchObject({
        code: 'FG_REGISTRY_INVALID',
      });
      // Files the run does not ask about do not matter.
      expect((await fx.registry.snapshot({ names: ['zlib'], feedstocks: ['zlib'] })).outputs.get('zlib')).toBeNull();
    });

    it('gives a feedstock whose keys file is invalid no keys and no publishers, and says why (keyless-v1)', async () => {
      const k = key();
      await fx.seedRaw('keys', 'scipy', JSON.stringify({ keys: [{ ...k, keyid: '0'.repeat(64) }] }));
      await fx.seedKeys('pandas', [k]);
      const snap = await fx.registry.snapshot({ names: [], feedstocks: ['scipy', 'pandas'] });
      expect(snap.keys.get('scipy')).toBeNull();
      expect(snap.files?.get('scipy') ?? null).toBeNull();
      expect(snap.invalidKeyFiles?.get('scipy')).toMatch(/scipy\.json.*keyid/);
      expect(snap.keys.get('pandas')).toHaveLength(1);
      expect(snap.invalidKeyFiles?.has('pandas')).toBe(false);
    });

    it('fails a snapshot of a registry that does not exist with FG_REGISTRY_UNAVAILABLE', async () => {
      await expect(fx.unavailable().snapshot({ names: ['numpy'], feedstocks: [] })).rejects.toMatchObject({
        code: 'FG_REGISTRY_UNAVAILABLE',
      });
    });
  });
}
