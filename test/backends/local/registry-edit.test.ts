import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_CONFIG, keyPath, outputPath, parseKeyFile } from '../../../src/registry/layout.js';
import { encodeKey, generateKeyPair } from '../../../src/statement/keys.js';
import { runCli } from '../../helpers/cli.js';
import { ExitCode } from '../../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fg-edit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('registry add-output / add-key / revoke-key', () => {
  beforeAll(async () => {
    expect((await runCli(['registry', 'init', work])).code).toBe(0);
  });

  it('adds a feedstock to an output, keeping existing owners, and is idempotent', async () => {
    expect((await runCli(['registry', 'add-output', work, '--output', 'libfoo', '--feedstock', 'foo'])).code).toBe(0);
    expect(
      (await runCli(['registry', 'add-output', work, '--output', 'libfoo', '--feedstock', 'foo-extra'])).code,
    ).toBe(0);
    const again = await runCli(['registry', 'add-output', work, '--output', 'libfoo', '--feedstock', 'foo']);
    expect(again.stdout).toContain('nothing changed');
    expect(JSON.parse(readFileSync(join(work, outputPath('libfoo', DEFAULT_REGISTRY_CONFIG)), 'utf8'))).toEqual({
      feedstocks: ['foo', 'foo-extra'],
    });
  });

  it('adds keys for rotation and revokes one, leaving a file the gate accepts', async () => {
    const [k1, k2] = [generateKeyPair(), generateKeyPair()];
    for (const k of [k1, k2])
      expect(
        (
          await runCli([
            'registry',
            'add-key',
            work,
            '--feedstock',
            'foo',
            '--public-key',
            encodeKey(k.publicKey),
            '--not-after',
            '2027-11-24T12:00:00Z',
          ])
        ).code,
      ).toBe(0);
    expect(
      (
        await runCli([
          'registry',
          'revoke-key',
          work,
          '--feedstock',
          'foo',
          '--keyid',
          k1.keyid,
          '--at',
          '2026-11-24T12:00:00Z',
        ])
      ).code,
    ).toBe(0);
    const path = keyPath('foo', DEFAULT_REGISTRY_CONFIG);
    const keys = parseKeyFile(readFileSync(join(work, path), 'utf8'), path);
    expect(keys.map((k) => [k.keyid, k.revokedAt, k.notAfter])).toEqual([
      [k1.keyid, '2026-11-24T12:00:00Z', '2027-11-24T12:00:00Z'],
      [k2.keyid, null, '2027-11-24T12:00:00Z'],
    ]);
    expect((await runCli(['registry', 'lint', work])).code).toBe(0);
  });

  it('refuses bad input with the flag named', async () => {
    const bad = await runCli(['registry', 'add-key', work, '--feedstock', 'foo', '--public-key', 'not-base64']);
    expect(bad).toMatchObject({
      code: ExitCode.USAGE,
      stderr: expect.stringContaining('--public-key is not standard base64 of 32 bytes'),
    });
    const unknown = await runCli(['registry', 'revoke-key', work, '--feedstock', 'foo', '--keyid', 'f'.repeat(64)]);
    expect(unknown.stderr).toContain(`has no key ${'f'.repeat(64)}`);
    expect((await runCli(['registry', 'frob', work])).stderr).toContain('unknown registry subcommand');
  });
});
