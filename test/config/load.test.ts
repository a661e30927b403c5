import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, validateConfig } from '../../src/config/load.js';

const work = mkdtempSync(join(tmpdir(), 'fg-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ISSUE_EXAMPLE = `
target:
  channel: https://conda.example.org/forge   # the URL statements must name
  labels: [main, rc]
  store: { type: directory, path: ./channel }
staging: { store: { type: directory, path: ./staging } }
registry: { type: directory, path: ./registry }
ledger: ./forgegate.db
reports: { type: directory, path: ./reports }
policy: { maxSignatureAge: 24h, clockSkew: 5m, stagingGrace: 2h, rejectRetention: 7d, concurrency: 8 }
`;

describe('config', () => {
  it('refuses a quarantine that shares a place with staging or the target when the config is loaded', async () => {
    const doc = YAML.parse(ISSUE_EXAMPLE) as Record<string, unknown>;
    const path = join(work, 'q.yml');
    for (const [quarantine, other] of [
      ['./channel', 'target'],
      ['./staging/q', 'staging'],
      ['.', 'staging'],
    ] as const) {
      doc['quarantine'] = { store: { type: 'directory', path: quarantine } };
      writeFileSync(path, YAML.stringify(doc));
      await expect(loadConfig(path)).rejects.toMatchObject({
        code: 'FG_CONFIG_INVALID',
        message: expect.stringMatching(
          new RegExp(`quarantine\\.store\\.path .*${other}|${other}\\.store\\.path .*quarantine`),
        ),
      });
    }
    doc['quarantine'] = { store: { type: 'directory', path: './private' } };
    writeFileSync(path, YAML.stringify(doc));
    await expect(loadConfig(path)).resolves.toMatchObject({ quarantine: { store: { path: join(work, 'private') } } });
  });

  it('loads the documented example, resolving paths against the config file', async () => {
    const path = join(work, 'forgegate.yml');
    writeFileSync(path, ISSUE_EXAMPLE);
    const c = await loadConfig(path);
    expect(c.target).toEqual({
      channel: 'https://conda.example.org/forge',
      labels: ['main', 'rc'],
      store: { type: 'directory', path: join(work, 'channel') },
    });
    expect(c.quarantine.store).toEqual({ type: 'directory', path: join(work, 'quarantine') });
    expect(c.ledger).toBe(join(work, 'forgegate.db'));
    expect(c.policy).toEqual({
      maxSignatureAgeMs: 86_400_000,
      clockSkewMs: 300_000,
      stagingGraceMs: 7_200_000,
      rejectRetentionMs: 604_800_000,
      maxClockJumpMs: 86_400_000,
      concurrency: 8,
      maxUnpackedBytes: 32 * 1024 ** 3,
      maxUnpackRatio: 1000,
    });
  });

  it('reads the unpack limits, and refuses sizes without a binary unit or ratios that are not whole', () => {
    const doc = YAML.parse(ISSUE_EXAMPLE) as Record<string, Record<string, unknown>>;
    doc['policy'] = { maxUnpackedSize: '512MiB', maxUnpackRatio: 200 };
    expect(validateConfig(doc, join(work, 'x.yml')).config?.policy).toMatchObject({
      maxUnpackedBytes: 512 * 1024 ** 2,
      maxUnpackRatio: 200,
    });
    doc['policy'] = { maxUnpackedSize: '32GB', maxUnpackRatio: 2.5 };
    expect(validateConfig(doc, join(work, 'x.yml')).errors).toEqual([
      'policy.maxUnpackedSize: expected a size such as 32GiB or 512MiB (got "32GB")',
      'policy.maxUnpackRatio: expected a whole number of unpacked bytes per compressed byte, such as 1000 (got 2.5)',
    ]);
  });

  it('reports every bad key with its path and what is expected, before anything runs', () => {
    const doc = YAML.parse(ISSUE_EXAMPLE) as Record<string, Record<string, unknown>>;
    doc['target']!['channel'] = 'conda.example.org/forge/';
    doc['policy']!['stagingGrace'] = 'two hours';
    doc['staging'] = { store: { type: 's3' } };
    doc['extra'] = {};
    const { errors } = validateConfig(doc, join(work, 'x.yml'));
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^target\.channel: expected the channel URL/),
        expect.stringMatching(/^policy\.stagingGrace: expected a duration/),
        expect.stringMatching(/^staging\.store\.type: expected "directory" or "anaconda"/),
        expect.stringMatching(/^extra: unknown key; the top level takes target, staging, quarantine, registry, /),
      ]),
    );
  });

  it('refuses an anaconda target without an anaconda quarantine, and with folders for staging', () => {
    const doc = YAML.parse(ISSUE_EXAMPLE) as Record<string, Record<string, unknown>>;
    doc['target']!['store'] = { type: 'anaconda', owner: 'conda-forge', tokenEnv: 'PROD_TOKEN' };
    expect(validateConfig(doc, join(work, 'x.yml')).errors).toEqual([
      expect.stringMatching(
        /^staging\.store: expected an anaconda owner for an anaconda\.org target; staging, quarantine/,
      ),
      expect.stringMatching(/^quarantine\.store: expected an anaconda owner only forgegate can write/),
    ]);
  });

  it('names the file and the fix when the config is missing or not YAML', async () => {
    await expect(loadConfig(join(work, 'nope.yml'))).rejects.toMatchObject({
      code: 'FG_CONFIG_INVALID',
      fix: expect.stringContaining('--config'),
    });
    writeFileSync(join(work, 'bad.yml'), 'target: [unclosed');
    await expect(loadConfig(join(work, 'bad.yml'))).rejects.toMatchObject({
      code: 'FG_CONFIG_INVALID',
      message: expect.stringContaining('not valid YAML'),
    });
  });
});
