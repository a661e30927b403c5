// registry add-publisher / revoke-publisher, through the CLI on a registry folder: the file they leave is one the
// gate's strict parser accepts, keys and publishers survive each other's edits, and a bad flag names itself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { DEFAULT_REGISTRY_CONFIG, keyPath, parseFeedstockFile } from '../../../src/registry/layout.js';
import { encodeKey, generateKeyPair } from '../../../src/statement/keys.js';
import { runCli } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-publishers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = () => {
  const path = keyPath('numpy', DEFAULT_REGISTRY_CONFIG);
  return parseFeedstockFile(readFileSync(join(work, path), 'utf8'), path);
};
const publisher = (id: string, workflow: string, ...extra: string[]) => [
  'registry',
  'add-publisher',
  work,
  '--feedstock',
  'numpy',
  '--id',
  id,
  '--repository',
  'conda-forge/numpy-feedstock',
  '--repository-id',
  '123456789',
  '--owner-id',
  '987654321',
  '--workflow',
  workflow,
  '--ref',
  'refs/heads/main',
  '--ref',
  'refs/heads/rc',
  ...extra,
];

describe('registry add-publisher / revoke-publisher', () => {
  beforeAll(async () => {
    expect((await runCli(['registry', 'init', work])).code).toBe(0);
    writeFileSync(
      join(work, 'config.json'),
      JSON.stringify({ sigstore: { ownerId: '987654321', repoPattern: 'conda-forge/{feedstock}-feedstock' } }),
    );
  });

  it('adds a publisher beside an existing key, keeps both when a key is added after, and is idempotent', async () => {
    const key = generateKeyPair();
    const pk = encodeKey(key.publicKey);
    expect((await runCli(['registry', 'add-key', work, '--feedstock', 'numpy', '--public-key', pk])).code).toBe(0);
    const added = await runCli(publisher('gha-main', '.github/workflows/conda-build.yml', '--runner', 'github-hosted'));
    expect(added.code).toBe(ExitCode.OK);
    expect(added.stdout).toContain('added publisher gha-main');
    expect(file().publishers).toMatchObject([
      { id: 'gha-main', refs: ['refs/heads/main', 'refs/heads/rc'], events: ['push'], runner: 'github-hosted' },
    ]);
    const again = await runCli(publisher('gha-main', '.github/workflows/conda-build.yml', '--runner', 'github-hosted'));
    expect(again.stdout).toContain('nothing changed');
    const second = generateKeyPair();
    await runCli(['registry', 'add-key', work, '--feedstock', 'numpy', '--public-key', encodeKey(second.publicKey)]);
    expect(file().keys).toHaveLength(2);
    expect(file().publishers).toHaveLength(1);
  });

  it('rotates: a second publisher with accept sigstore, then the first revoked', async () => {
    const r = await runCli(publisher('gha-release', '.github/workflows/release.yml', '--accept', 'sigstore'));
    expect(r.code).toBe(ExitCode.OK);
    expect(file().accept).toBe('sigstore');
    const revoke = await runCli(['registry', 'revoke-publisher', work, '--feedstock', 'numpy', '--id', 'gha-main']);
    expect(revoke.code).toBe(ExitCode.OK);
    expect(file().publishers.map((p) => [p.id, p.revokedAt === null])).toEqual([
      ['gha-main', false],
      ['gha-release', true],
    ]);
    const lint = await runCli(['registry', 'lint', work, '--json']);
    expect(JSON.parse(lint.stdout)).toMatchObject({ ok: true, problems: [] });
  });

  it('refuses what the gate would refuse, naming the flag: a pull_request event, another id under a taken id', async () => {
    const pr = await runCli(publisher('gha-pr', '.github/workflows/pr.yml', '--event', 'pull_request_target'));
    expect(pr.code).toBe(ExitCode.USAGE);
    expect(pr.stderr).toContain('events lists "pull_request_target"');
    const taken = await runCli(publisher('gha-main', '.github/workflows/other.yml'));
    expect(taken.code).toBe(ExitCode.USAGE);
    expect(taken.stderr).toContain('already has a publisher "gha-main"');
    const unknown = await runCli(['registry', 'revoke-publisher', work, '--feedstock', 'numpy', '--id', 'nope']);
    expect(unknown.stderr).toContain('gha-main, gha-release');
  });

  it('shows add-publisher with an example in --help', async () => {
    const help = await runCli(['registry', '--help']);
    expect(help.stdout).toContain('forgegate registry add-publisher ./registry --feedstock numpy --id gha-main');
    expect(help.stdout).toContain('revoke-publisher');
  });
});
