// `forgegate check` weighs ARTIFACT.sigstore.json as the gate will (keyless-v1), both with the gate's config and in
// feedstock CI with the registry alone and a trusted root file: a bundle from the registered publisher passes and
// says which; a pull_request_target run's bundle is PUBLISHER_MISMATCH, naming the bundle file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { githubPublisher, githubIdentity, TestSigstore, type GitHubIdentity } from '../helpers/sigstore.js';

const work = mkdtempSync(join(tmpdir(), 'fg check keyless '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CI: GitHubIdentity = githubIdentity({ repository: 'conda-forge/keyless-pkg-feedstock', repositoryId: '3000001' });

interface CheckJson {
  ok: boolean;
  artifacts: {
    ok: boolean;
    reason: string | null;
    detail: string;
    attestation: { verified: boolean; publisher: string | null; logIndex: string | null } | null;
  }[];
}

let sb: Sandbox;
let sigstore: TestSigstore;
let rootFile: string;
beforeAll(async () => {
  sigstore = await TestSigstore.create();
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.enableKeyless(sigstore, { ownerId: '1000001' });
  await sb.addFeedstock('keyless-pkg', ['keyless-pkg'], 0);
  await sb.addPublishers('keyless-pkg', [githubPublisher({ repository: CI.repository, repositoryId: '3000001' })]);
  await sb.commitRegistry();
  rootFile = join(work, 'trusted_root.json');
  writeFileSync(rootFile, JSON.stringify(sigstore.trustedRoot));
});

let version = 0;
async function attested(identity: Partial<GitHubIdentity> = {}): Promise<Built> {
  const b = await sb.build({ name: 'keyless-pkg', version: `1.${version++}`, build: 'h0_0', subdir: 'linux-64' });
  const bundle = await sigstore.attest(
    { name: b.filename, sha256: b.digests.sha256, targetChannel: sb.channel },
    { ...CI, ...identity },
  );
  writeFileSync(`${b.path}.sigstore.json`, JSON.stringify(bundle));
  return b;
}

const registryOnly = () => [
  '--registry',
  sb.registryDir,
  '--channel',
  sb.channel,
  '--label',
  'main',
  '--trusted-root',
  rootFile,
];

describe('check with ARTIFACT.sigstore.json', () => {
  it('passes a bundle from the registered publisher, with the gate config or the registry and a root file', async () => {
    const b = await attested();
    for (const gate of [['--config', sb.configPath], registryOnly()]) {
      const r = await runCli(['check', ...gate, '--feedstock', 'keyless-pkg', '--json', b.path]);
      expect(r.code, r.stderr).toBe(0);
      const row = (JSON.parse(r.stdout) as CheckJson).artifacts[0]!;
      expect(row).toMatchObject({ ok: true, attestation: { verified: true, publisher: 'gha-main' } });
      expect(row.attestation!.logIndex).toMatch(/^\d+$/);
      expect(row.detail).toContain('.sigstore.json verifies (publisher gha-main, Rekor log index');
    }
  });

  it("refuses a pull_request_target run's bundle with the gate's reason, naming the bundle file", async () => {
    const b = await attested({ event: 'pull_request_target' });
    const r = await runCli(['check', ...registryOnly(), '--feedstock', 'keyless-pkg', '--json', b.path]);
    expect(r.code).toBe(1);
    const row = (JSON.parse(r.stdout) as CheckJson).artifacts[0]!;
    expect(row).toMatchObject({ ok: false, reason: 'PUBLISHER_MISMATCH', attestation: { verified: false } });
    expect(row.detail.startsWith(`${b.filename}.sigstore.json: no publisher of "keyless-pkg"`)).toBe(true);
  });

  it('says when the trusted root file cannot be read: not a yes, and not a verdict on the bundle', async () => {
    const b = await attested();
    const args = registryOnly().slice(0, -1);
    const r = await runCli(['check', ...args, join(work, 'nope.json'), '--feedstock', 'keyless-pkg', '--json', b.path]);
    expect(r.code).toBe(1);
    const row = (JSON.parse(r.stdout) as CheckJson).artifacts[0]!;
    expect(row).toMatchObject({ ok: false, reason: 'TRUST_ROOT_UNAVAILABLE' });
    expect(row.detail).toContain('nope.json cannot be read');
  });
});
