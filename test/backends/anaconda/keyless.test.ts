// Keyless evidence in anaconda.org staging (emulated over real HTTP): the artifact is a conda file, its bundle a
// `file` distribution named `<F>.sigstore.json` or `<subdir>/<F>.sigstore.json`, uploaded as a feedstock's CI would.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArtifactFilename } from '../../../src/conda/filename.js';
import { runCli } from '../../helpers/cli.js';
import type { Built, Sandbox } from '../../helpers/sandbox.js';
import { githubPublisher, githubIdentity, TestSigstore, type GitHubIdentity } from '../../helpers/sigstore.js';
import { AnacondaEmulator } from './emulator/server.js';
import { TOKENS, anacondaSandbox, ownerFiles, stageOnAnaconda, tokenEnv } from './emulator/sandbox.js';
import { uploadLikeAnacondaClient } from './emulator/upload.js';

const work = mkdtempSync(join(tmpdir(), 'fg-ana-keyless-'));
const emu = new AnacondaEmulator();
let sb: Sandbox;
let sigstore: TestSigstore;
const PUBLISHER = githubPublisher({ repository: 'conda-forge/app-feedstock', repositoryId: '4000001', runner: null });
const CI: GitHubIdentity = githubIdentity({ repository: 'conda-forge/app-feedstock', repositoryId: '4000001' });

beforeAll(async () => {
  await emu.start();
  sigstore = await TestSigstore.create();
  sb = await anacondaSandbox(join(work, 'sb'), emu);
  await sb.enableKeyless(sigstore);
  await sb.addFeedstock('app', ['app'], 0);
  await sb.addPublishers('app', [PUBLISHER]);
  await sb.commitRegistry();
});
afterAll(async () => {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Upload the artifact (no .sig) and its bundle, as `anaconda upload` of a `file` package. */
async function stageWithBundle(b: Built, bundle: object, basename: string): Promise<void> {
  await stageOnAnaconda(sb, emu, b, { feedstock: 'app', unsigned: true });
  const p = parseArtifactFilename(b.filename)!;
  await uploadLikeAnacondaClient(emu.url, TOKENS.FEEDSTOCK_TOKEN, {
    owner: 'cf-staging',
    package: `${p.name}-attestations`,
    version: p.version,
    basename,
    type: 'file',
    labels: ['main'],
    bytes: Buffer.from(JSON.stringify(bundle)),
  });
}

describe('keyless evidence in anaconda.org staging', () => {
  it('publishes what a registered publisher attested, paired by name; a forged identity is PUBLISHER_MISMATCH', async () => {
    const attest = (b: Built, over: Partial<GitHubIdentity> = {}) =>
      sigstore.attest({ name: b.filename, sha256: b.digests.sha256, targetChannel: sb.channel }, { ...CI, ...over });
    const bare = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'linux-64' });
    const withSubdir = await sb.build({ name: 'app', version: '1.1', build: 'h0_0', subdir: 'linux-64' });
    const forged = await sb.build({ name: 'app', version: '1.2', build: 'h0_0', subdir: 'linux-64' });
    await stageWithBundle(bare, await attest(bare), `${bare.filename}.sigstore.json`);
    await stageWithBundle(withSubdir, await attest(withSubdir), `linux-64/${withSubdir.filename}.sigstore.json`);
    await stageWithBundle(forged, await attest(forged, { ref: 'refs/heads/evil' }), `${forged.filename}.sigstore.json`);
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json'], { env: tokenEnv() });
    const items = (JSON.parse(r.stdout) as { items: { filename: string; outcome: string; reason: string | null }[] })
      .items;
    expect(items.map((i) => [i.filename, i.outcome, i.reason])).toEqual([
      [bare.filename, 'published', null],
      [withSubdir.filename, 'published', null],
      [forged.filename, 'rejected', 'PUBLISHER_MISMATCH'],
    ]);
    expect(ownerFiles(emu, 'conda-forge')).toEqual([
      `linux-64/${bare.filename}@main`,
      `linux-64/${withSubdir.filename}@main`,
    ]);
    // Published items leave staging with their bundles; the rejected one stays with its bundle.
    expect(ownerFiles(emu, 'cf-staging')).toEqual([
      `${forged.filename}.sigstore.json@main`,
      `linux-64/${forged.filename}@main`,
    ]);
  }, 120_000);
});
