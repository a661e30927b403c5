// The config schema (src/config/schema.ts) is the one source of the file's shape: every mapping in it refuses unknown
// keys with a hint, the stores go together exactly as wiring.ts builds them, the committed JSON Schema is what the
// code generates and refuses what the checks refuse, and every example config points editors at it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/schema.js';
import { DemoFolder } from '../../src/demo/folder.js';
import { createStores } from '../../src/reconcile/wiring.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { docPaths, readDoc } from '../helpers/docs.js';

const work = mkdtempSync(join(tmpdir(), 'fg-schema-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCHEMA_FILE = join(REPO_ROOT, 'schema', 'forgegate.schema.json');
const MODELINE = /^# yaml-language-server: \$schema=\S*forgegate\.schema\.json\n/;
type Doc = Record<string, unknown>;

const anaconda = (owner: string): Doc => ({ type: 'anaconda', owner, url: 'https://api.anaconda.org', tokenEnv: 'T' });

/** Every key the file may hold, on folders. */
const FOLDERS: Doc = {
  $schema: './forgegate.schema.json',
  target: { channel: 'https://conda.example.org/forge', labels: ['main'], store: { type: 'directory', path: 'c' } },
  staging: { store: { type: 'directory', path: 's' }, subdirs: ['noarch', 'linux-64'] },
  quarantine: { store: { type: 'directory', path: 'q' } },
  registry: { type: 'directory', path: 'r' },
  ledger: 'state/forgegate.db',
  reports: { type: 'directory', path: 'reports' },
  policy: {
    maxSignatureAge: '24h',
    clockSkew: '5m',
    stagingGrace: '2h',
    rejectRetention: '7d',
    maxClockJump: '1d',
    concurrency: 8,
    maxUnpackedSize: '32GiB',
    maxUnpackRatio: 1000,
  },
};

/** Every key the file may hold, on anaconda.org and GitHub. */
const OWNERS: Doc = {
  target: { channel: 'https://conda.anaconda.org/cf', labels: ['main'], store: anaconda('cf') },
  staging: { store: anaconda('cf-staging') },
  quarantine: { store: anaconda('cf-post-staging') },
  registry: { type: 'github', repository: 'cf/outputs', ref: 'main', tokenEnv: 'G', url: 'https://api.github.com/x' },
  reports: {
    type: 'github',
    repositoryTemplate: 'cf/{feedstock}-feedstock',
    adminRepository: 'cf/alerts',
    tokenEnv: 'G',
    url: 'https://api.github.com/x',
  },
};

const errors = (doc: unknown): string[] => validateConfig(doc, join(work, 'forgegate.yml')).errors;

/** Every mapping in `doc` with its key path (`staging.store`), the top level as ''. */
function mappings(doc: unknown, path = ''): [string, Doc][] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  const here: [string, Doc][] = [[path, doc as Doc]];
  return here.concat(Object.entries(doc).flatMap(([k, v]) => mappings(v, path === '' ? k : `${path}.${k}`)));
}

/** `doc` with `change` applied to the mapping at `path` (a deep copy). */
function changed(doc: Doc, path: string, change: (m: Doc) => void): Doc {
  const copy = structuredClone(doc);
  change(path === '' ? copy : (path.split('.').reduce<unknown>((m, k) => (m as Doc)[k], copy) as Doc));
  return copy;
}

const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('config schema', () => {
  it('accepts a config with every key, on folders and on anaconda.org', () => {
    expect(errors(FOLDERS)).toEqual([]);
    expect(errors(OWNERS)).toEqual([]);
  });

  it('refuses an unknown key in every mapping, naming where it is and the keys that mapping takes', () => {
    for (const doc of [FOLDERS, OWNERS]) {
      for (const [path] of mappings(doc)) {
        const bad = changed(doc, path, (m) => (m['zzzz'] = 1));
        expect(errors(bad), path).toEqual([
          expect.stringMatching(new RegExp(`^${escape(at(path, 'zzzz'))}: unknown key; .* takes \\w`)),
        ]);
      }
    }
  });

  it('names the key meant when one is misspelt, in every mapping', () => {
    for (const doc of [FOLDERS, OWNERS]) {
      for (const [path, mapping] of mappings(doc)) {
        for (const key of Object.keys(mapping).filter((k) => k !== '$schema')) {
          const slip = `${key[1]!}${key[0]!}${key.slice(2)}`; // the first two letters swapped: `lables` as `albels`
          const bad = changed(doc, path, (m) => {
            m[slip] = m[key];
            Reflect.deleteProperty(m, key);
          });
          const hint =
            key === 'type'
              ? `${escape(at(path, 'type'))}: expected .*is "${slip}" meant to be type\\?`
              : `${escape(at(path, slip))}: unknown key \\(did you mean ${key}\\?\\)`;
          expect(errors(bad), `${path} ${key}`).toEqual(expect.arrayContaining([expect.stringMatching(hint)]));
        }
      }
    }
  });

  it('refuses label:, lables: and a staging: indented under target:, which used to leave labels at [main]', () => {
    const base = YAML.stringify(FOLDERS);
    for (const [text, problem] of [
      [base.replace('  labels:', '  label:'), /^target\.label: unknown key \(did you mean labels\?\)/],
      [base.replace('  labels:', '  lables:'), /^target\.lables: unknown key \(did you mean labels\?\)/],
      [
        base.replace(/\nstaging:\n {2}/, '\n  staging:\n    '),
        /^target\.staging: unknown key here: staging belongs at the top level \(check its indentation\)/,
      ],
      [
        base.replace('\nstaging:', '\nsubdirs: [noarch]\nstaging:'),
        /^subdirs: unknown key here: subdirs belongs under staging \(check its indentation\)/,
      ],
      [
        base.replace(/\npolicy:\n[\s\S]*/, '\npolicy:\nclockSkew: 5m\n'),
        /^clockSkew: unknown key here: clockSkew belongs under policy/,
      ],
    ] as const) {
      expect(errors(YAML.parse(text)), text).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    }
  });

  it('pairs stores as wiring builds them: all folders or all anaconda.org owners, never a mix', async () => {
    const folder = (path: string): Doc => ({ type: 'directory', path });
    const kinds = { directory: folder, anaconda } as const;
    for (const t of ['directory', 'anaconda'] as const) {
      for (const s of ['directory', 'anaconda'] as const) {
        for (const q of ['directory', 'anaconda', null] as const) {
          const doc: Doc = {
            target: { channel: 'https://conda.example.org/forge', store: kinds[t]('target') },
            staging: { store: kinds[s]('staging') },
            ...(q === null ? {} : { quarantine: { store: kinds[q]('quarantine') } }),
            registry: { type: 'directory', path: 'r' },
          };
          const allowed = s === t && (q === t || (q === null && t === 'directory'));
          const { config, errors: found } = validateConfig(doc, join(work, 'x.yml'));
          expect(found.length === 0, `${t} ${s} ${q} ${found.join('; ')}`).toBe(allowed);
          if (config === null) {
            expect(found.every((e) => /^(staging|quarantine)\.store: expected /.test(e))).toBe(true);
            continue;
          }
          const stores = createStores(config, { env: { T: 'token' } });
          expect(config.storeType).toBe(t);
          await stores.close();
        }
      }
    }
  });

  it('is committed as schema/forgegate.schema.json, as the code generates it', async () => {
    // After a change to src/config/schema.ts: npx vitest run test/config/schema.test.ts -u
    await expect(`${JSON.stringify(configJsonSchema(), null, 2)}\n`).toMatchFileSnapshot(SCHEMA_FILE);
  });

  const ajv = new Ajv({ allErrors: true });
  const jsonCheck = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);

  it('in JSON Schema, refuses what the checks refuse and accepts what they accept', () => {
    const bad: [string, Doc][] = [
      ['a misspelt key', changed(FOLDERS, 'target', (m) => (m['lables'] = ['rc']))],
      ['a key at the wrong level', changed(FOLDERS, 'target', (m) => (m['subdirs'] = ['noarch']))],
      ['a trailing slash', changed(FOLDERS, 'target', (m) => (m['channel'] = 'https://conda.example.org/forge/'))],
      ['a reserved subdir', changed(FOLDERS, 'staging', (m) => (m['subdirs'] = ['label']))],
      ['a duration without a unit', changed(FOLDERS, 'policy', (m) => (m['clockSkew'] = '5'))],
      ['a size in decimal units', changed(FOLDERS, 'policy', (m) => (m['maxUnpackedSize'] = '32GB'))],
      ['concurrency 0', changed(FOLDERS, 'policy', (m) => (m['concurrency'] = 0))],
      ['an unknown store', changed(FOLDERS, 'staging.store', (m) => (m['type'] = 's3'))],
      ['folders with an anaconda.org quarantine', changed(FOLDERS, 'quarantine', (m) => (m['store'] = anaconda('q')))],
      ['owners with a staging folder', changed(OWNERS, 'staging', (m) => (m['store'] = FOLDERS['quarantine']))],
      ['owners without a quarantine', changed(OWNERS, '', (m) => Reflect.deleteProperty(m, 'quarantine'))],
      ['a template without {feedstock}', changed(OWNERS, 'reports', (m) => (m['repositoryTemplate'] = 'cf/x'))],
      ['a token in place of its variable', changed(OWNERS, 'target.store', (m) => (m['tokenEnv'] = 'tok-123'))],
      ['no registry', changed(FOLDERS, '', (m) => Reflect.deleteProperty(m, 'registry'))],
    ];
    for (const [what, doc] of bad) {
      expect(errors(doc), what).not.toEqual([]);
      expect(jsonCheck(doc), what).toBe(false);
    }
    for (const doc of [FOLDERS, OWNERS]) {
      expect(jsonCheck(doc), JSON.stringify(jsonCheck.errors)).toBe(true);
    }
  });

  it("names itself in every example config: the docs' and the demo's, which pass both checks", async () => {
    const readme = docPaths().map(readDoc).join('\n');
    const blocks = [
      ...readme.matchAll(/```yaml\n([\s\S]*?)```/g),
      ...readme.matchAll(/> forgegate\.yml <<'END'\n([\s\S]*?)END\n/g),
    ]
      .map((m) => m[1]!)
      .filter((text) => /^target:/m.test(text));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const demo = await DemoFolder.create(join(work, 'demo'));
    const demoText = readFileSync(demo.configPath, 'utf8');
    expect(fileURLToPath(/\$schema=(\S+)/.exec(demoText)![1]!)).toBe(SCHEMA_FILE);
    for (const text of [...blocks, demoText]) {
      expect(text, text).toMatch(MODELINE);
      const doc: unknown = YAML.parse(text);
      expect(errors(doc), text).toEqual([]);
      expect(jsonCheck(doc), `${text}\n${JSON.stringify(jsonCheck.errors)}`).toBe(true);
    }
  });
});
