// No two folders a config names may overlap (the same, one inside another, through a symlink or `..`), and the
// ledger's folder may hold the others but never be or lie inside one. Real folders; nothing is created by loading.
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, validateConfig } from '../../src/config/load.js';

// Resolved: the messages name resolved paths, and the temp folder may itself be a symlink (macOS: /tmp).
const work = realpathSync(mkdtempSync(join(tmpdir(), 'fg config places ')));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

type Key = 'staging' | 'quarantine' | 'target' | 'reports' | 'registry';
const KEY: Record<Key, string> = {
  staging: 'staging.store.path',
  quarantine: 'quarantine.store.path',
  target: 'target.store.path',
  reports: 'reports.path',
  registry: 'registry.path',
};
const DISTINCT: Record<Key, string> = {
  staging: 'staging',
  quarantine: 'private/quarantine',
  target: 'channel',
  reports: 'reports',
  registry: 'registry',
};

function doc(paths: Record<Key, string>, ledger = './state/forgegate.db'): Record<string, unknown> {
  return {
    target: {
      channel: 'https://conda.example.org/forge',
      store: { type: 'directory', path: paths.target },
    },
    staging: { store: { type: 'directory', path: paths.staging } },
    quarantine: { store: { type: 'directory', path: paths.quarantine } },
    registry: { type: 'directory', path: paths.registry },
    reports: { type: 'directory', path: paths.reports },
    ledger,
  };
}

/** A fresh folder with the config in it; `make` lists the folders that exist (the rest do not, yet). */
function setup(config: Record<string, unknown>, make: string[] = []): { dir: string; path: string } {
  const dir = join(work, `c${n++}`);
  mkdirSync(dir);
  for (const m of make) mkdirSync(join(dir, m), { recursive: true });
  const path = join(dir, 'forgegate.yml');
  writeFileSync(path, YAML.stringify(config));
  return { dir, path };
}

async function refusal(path: string): Promise<{ code: string; message: string; fix: string }> {
  try {
    await loadConfig(path);
  } catch (e) {
    return e as { code: string; message: string; fix: string };
  }
  throw new Error('the config was accepted');
}

const KEYS = Object.keys(KEY) as Key[];

describe('folders that may not overlap', () => {
  it("accepts distinct folders, and folders under the ledger's folder (one root for everything)", async () => {
    const { path } = setup(doc(DISTINCT), ['staging', 'channel']);
    await expect(loadConfig(path)).resolves.toMatchObject({ ledger: expect.stringContaining('forgegate.db') });
    // The ledger beside everything (the config's own folder holds every store folder) is the usual layout.
    const { path: flat } = setup(doc(DISTINCT, './forgegate.db'));
    await expect(loadConfig(flat)).resolves.toMatchObject({});
  });

  for (const [i, a] of KEYS.entries()) {
    for (const b of KEYS.slice(i + 1)) {
      for (const exists of [true, false]) {
        it(`refuses ${a} = ${b} (${exists ? 'existing' : 'not yet created'}), naming both keys and paths`, async () => {
          const { dir, path } = setup(doc({ ...DISTINCT, [a]: DISTINCT[b] }), exists ? [DISTINCT[b]] : []);
          const e = await refusal(path);
          expect(e.code).toBe('FG_CONFIG_INVALID');
          const where = join(dir, DISTINCT[b]);
          expect(e.message).toContain(`${KEY[a]} (${where}) and ${KEY[b]} (${where}) are the same folder`);
          expect(e.message).toContain('give each a folder of its own');
          expect(e.fix).toContain('none the same as another or inside another');
        });
      }
    }
  }

  for (const a of KEYS) {
    for (const b of KEYS.filter((k) => k !== a)) {
      it(`refuses ${a} inside ${b}`, async () => {
        const { dir, path } = setup(doc({ ...DISTINCT, [a]: `${DISTINCT[b]}/incoming` }), [DISTINCT[b]]);
        const e = await refusal(path);
        expect(e.message).toContain(
          `${KEY[a]} (${join(dir, DISTINCT[b], 'incoming')}) is inside ${KEY[b]} (${join(dir, DISTINCT[b])})`,
        );
      });
    }
  }

  for (const b of KEYS) {
    it(`refuses the ledger's folder equal to or inside ${b}`, async () => {
      const same = setup(doc(DISTINCT, `./${DISTINCT[b]}/forgegate.db`));
      expect((await refusal(same.path)).message).toContain(
        `${KEY[b]} (${join(same.dir, DISTINCT[b])}) and ledger (the ledger's folder) (${join(same.dir, DISTINCT[b])}) ` +
          'are the same folder',
      );
      const inside = setup(doc(DISTINCT, `./${DISTINCT[b]}/state/forgegate.db`));
      expect((await refusal(inside.path)).message).toContain(
        `ledger (the ledger's folder) (${join(inside.dir, DISTINCT[b], 'state')}) is inside ${KEY[b]}`,
      );
    });
  }

  it('names the default quarantine (beside the ledger) when the ledger sits in the channel', async () => {
    const config = doc(DISTINCT, './channel/forgegate.db');
    delete config['quarantine'];
    const { dir, path } = setup(config);
    expect((await refusal(path)).message).toContain(
      `quarantine.store.path (default: beside the ledger) (${join(dir, 'channel', 'quarantine')}) is inside ` +
        `target.store.path (${join(dir, 'channel')})`,
    );
  });

  it('sees through a symlink to the channel, and through one to a folder not created yet', async () => {
    const { dir, path } = setup(doc({ ...DISTINCT, staging: 'uploads' }), ['channel']);
    symlinkSync(join(dir, 'channel'), join(dir, 'uploads'));
    expect((await refusal(path)).message).toContain(
      `staging.store.path (${join(dir, 'uploads')}, which resolves to ${join(dir, 'channel')}) and target.store.path ` +
        `(${join(dir, 'channel')}) are the same folder`,
    );
    const deep = setup(doc({ ...DISTINCT, staging: 'link/incoming', target: 'srv/channel' }), ['srv']);
    symlinkSync(join(deep.dir, 'srv'), join(deep.dir, 'link'));
    // Neither srv/channel nor srv/incoming exists: apart. The symlink resolves staging to srv/incoming.
    await expect(loadConfig(deep.path)).resolves.toMatchObject({});
    const inside = setup(doc({ ...DISTINCT, staging: 'link/incoming', target: 'srv' }), ['srv']);
    symlinkSync(join(inside.dir, 'srv'), join(inside.dir, 'link'));
    expect((await refusal(inside.path)).message).toContain(
      `staging.store.path (${join(inside.dir, 'link', 'incoming')}, which resolves to ` +
        `${join(inside.dir, 'srv', 'incoming')}) is inside target.store.path (${join(inside.dir, 'srv')})`,
    );
  });

  it('sees through `..` and a symlinked parent of the config folder alike', async () => {
    const { dir, path } = setup(doc({ ...DISTINCT, staging: './staging/../channel/./' }), ['channel']);
    expect((await refusal(path)).message).toContain(
      `staging.store.path (${join(dir, 'channel')}) and target.store.path (${join(dir, 'channel')}) are the same`,
    );
    const link = join(work, `alias${n++}`);
    symlinkSync(dir, link);
    writeFileSync(join(dir, 'aliased.yml'), YAML.stringify(doc({ ...DISTINCT, staging: `${link}/channel` })));
    expect((await refusal(join(dir, 'aliased.yml'))).message).toContain(
      `staging.store.path (${link}/channel, which resolves to ${join(dir, 'channel')}) and target.store.path`,
    );
  });

  it('lists every overlap at once, and loading creates nothing', async () => {
    const { dir, path } = setup(doc({ ...DISTINCT, staging: 'channel', reports: 'channel/reports' }), ['channel']);
    const e = await refusal(path);
    expect(e.message.split('\n  - ').slice(1)).toEqual([
      expect.stringContaining('staging.store.path'),
      expect.stringContaining(`reports.path (${join(dir, 'channel', 'reports')}) is inside staging.store.path`),
      expect.stringContaining(`reports.path (${join(dir, 'channel', 'reports')}) is inside target.store.path`),
    ]);
    expect(readdirSync(dir).sort()).toEqual(['channel', 'forgegate.yml']);
    expect(readdirSync(join(dir, 'channel'))).toEqual([]);
  });
});

describe('anaconda.org owners that may not be shared', () => {
  const anaconda = (owner: string, url = 'https://api.anaconda.org') => ({
    type: 'anaconda',
    owner,
    url,
    tokenEnv: 'TOKEN',
  });
  const config = (staging: string, quarantine: string, target: string, url?: string): Record<string, unknown> => ({
    target: { channel: 'https://conda.anaconda.org/conda-forge', store: anaconda(target) },
    staging: { store: anaconda(staging, url) },
    quarantine: { store: anaconda(quarantine) },
    registry: { type: 'directory', path: './registry' },
  });
  const errors = (d: Record<string, unknown>): string[] => validateConfig(d, join(work, 'x.yml')).errors;

  it("accepts conda-forge's three owners", () => {
    expect(errors(config('cf-staging', 'cf-post-staging', 'conda-forge'))).toEqual([]);
  });

  it('refuses staging in the channel owner: no label keeps them apart, staging is listed across every label', () => {
    expect(errors(config('conda-forge', 'cf-post-staging', 'conda-forge'))).toEqual([
      expect.stringMatching(
        /^staging\.store\.owner and target\.store\.owner are the same anaconda\.org owner \(conda-forge at https:\/\/api\.anaconda\.org, conda-forge at https:\/\/api\.anaconda\.org\): .*no label setting keeps them apart.*cf-staging/,
      ),
    ]);
  });

  it('refuses a quarantine owner shared with staging or the channel (the sweep would delete the channel)', () => {
    expect(errors(config('cf-staging', 'conda-forge', 'conda-forge'))).toEqual([
      expect.stringMatching(/^quarantine\.store\.owner and target\.store\.owner .*would delete the channel/),
    ]);
    expect(errors(config('cf-staging', 'cf-staging', 'conda-forge'))).toEqual([
      expect.stringMatching(/^staging\.store\.owner and quarantine\.store\.owner .*cf-post-staging/),
    ]);
  });

  it('compares owners case-insensitively and servers by host, whatever the scheme or path', () => {
    expect(errors(config('Conda-Forge', 'cf-post-staging', 'conda-forge', 'http://API.anaconda.org/'))).toHaveLength(1);
    expect(errors(config('conda-forge', 'cf-post-staging', 'conda-forge', 'https://api.example.org'))).toEqual([]);
  });
});
