// Every reason code, each produced by a real scenario: real packages, real folders, the real CLI process.
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { REASONS } from '../../src/reasons.js';
import { generateKeyPair } from '../../src/statement/keys.js';
import { runCli } from '../helpers/cli.js';
import { channelState } from '../helpers/channel-state.js';
import { TestSigstore, type GitHubIdentity } from '../helpers/sigstore.js';
import type { RegistryPublisher } from '../../src/ports/registry.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-reasons-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Item {
  subdir: string;
  filename: string;
  decision: string;
  reason: string | null;
  outcome: string | null;
  evidenceWarnings: { code: string; evidence: string; file: string }[];
}
let sb: Sandbox;
let sigstore: TestSigstore;
const waited = new Set<string>();
const CI_KL: GitHubIdentity = {
  repository: 'conda-forge/kl-feedstock',
  repositoryId: '5000001',
  ownerId: '1000001',
  workflow: '.github/workflows/build.yml',
  ref: 'refs/heads/main',
  event: 'push',
};
const expected = new Map<string, string>();
let first: { items: Item[] };

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  const now = Date.now();
  await sb.addFeedstock('demo-pkg', ['demo-pkg', 'libdemo']);
  await sb.addFeedstock('revoked-fs', ['revoked-pkg'], 1, [{ revokedAt: '2026-01-02T00:00:00Z' }]);
  await sb.addFeedstock('expired-fs', ['expired-pkg'], 1, [{ notAfter: '2026-01-02T00:00:00Z' }]);
  await sb.addFeedstock('numpy', ['numpy']);
  await sb.addFeedstock('nokeys', ['nokeys-pkg'], 0);
  await sb.commitRegistry();
  const want = (b: { subdir: string; filename: string }, reason: string): void =>
    void expected.set(`${b.subdir}/${b.filename}`, reason);
  let v = 0;
  const build = (name: string, extra: object = {}) =>
    sb.build({ name, version: `1.${v++}`, build: 'h0_0', subdir: 'linux-64', ...extra });

  const ok = await build('demo-pkg');
  await sb.stage(ok, { feedstock: 'demo-pkg' });
  want(ok, 'published');
  const missing = await build('demo-pkg');
  await sb.stage(missing, { feedstock: 'demo-pkg', unsigned: true, seenAtMs: now - 3 * 3_600_000 });
  want(missing, 'SIGNATURE_MISSING');
  const malformed = await build('demo-pkg');
  const mpath = await sb.stage(malformed, { feedstock: 'demo-pkg' });
  writeFileSync(`${mpath}.sig`, '{"payloadType": "application/vnd.in-toto+json", "payload": "%%%", "signatures": []}');
  want(malformed, 'SIGNATURE_MALFORMED');
  const unknown = await build('nokeys-pkg');
  await sb.stage(unknown, { feedstock: 'nokeys', keys: [generateKeyPair()] });
  want(unknown, 'KEY_UNKNOWN');
  const invalid = await build('demo-pkg');
  await sb.stage(invalid, { feedstock: 'demo-pkg', keys: [generateKeyPair()] });
  want(invalid, 'SIGNATURE_INVALID');
  const revoked = await build('revoked-pkg');
  await sb.stage(revoked, { feedstock: 'revoked-fs' });
  want(revoked, 'KEY_REVOKED');
  const expiredKey = await build('expired-pkg');
  await sb.stage(expiredKey, { feedstock: 'expired-fs' });
  want(expiredKey, 'KEY_EXPIRED');
  const stale = await build('demo-pkg');
  await sb.stage(stale, { feedstock: 'demo-pkg', issuedAtMs: now - 30 * 3_600_000 });
  want(stale, 'SIGNATURE_EXPIRED');
  const tampered = await build('demo-pkg');
  appendFileSync(await sb.stage(tampered, { feedstock: 'demo-pkg' }), 'x');
  want(tampered, 'DIGEST_MISMATCH');
  const subject = await build('demo-pkg');
  await sb.stage(subject, { feedstock: 'demo-pkg', tweak: (i) => ({ ...i, subdir: 'osx-64' }) });
  want(subject, 'SUBJECT_MISMATCH');
  const target = await build('demo-pkg');
  await sb.stage(target, { feedstock: 'demo-pkg', channel: 'https://conda.anaconda.org/conda-forge' });
  want(target, 'TARGET_MISMATCH');
  const badIndex = await build('demo-pkg', { indexOverrides: { name: 'libdemo' } });
  await sb.stage(badIndex, { feedstock: 'demo-pkg' });
  want(badIndex, 'ARTIFACT_INVALID');
  const unsafe = await build('demo-pkg', { extraEntries: [{ name: '../../outside', type: 'file', content: 'x' }] });
  await sb.stage(unsafe, { feedstock: 'demo-pkg' });
  want(unsafe, 'ARTIFACT_UNSAFE');
  const notAllowed = await build('numpy');
  await sb.stage(notAllowed, { feedstock: 'demo-pkg' });
  want(notAllowed, 'OUTPUT_NOT_ALLOWED');
  const notRegistered = await build('brand-new-name');
  await sb.stage(notRegistered, { feedstock: 'demo-pkg' });
  want(notRegistered, 'OUTPUT_NOT_REGISTERED');
  const unholdable = await build('demo-pkg+extra');
  await sb.stage(unholdable, { feedstock: 'demo-pkg' });
  want(unholdable, 'OUTPUT_NAME_INVALID');

  // Keyless evidence (keyless-v1): one trusted publisher in use, one revoked, one past notAfter.
  sigstore = await TestSigstore.create();
  await sb.enableKeyless(sigstore);
  await sb.addFeedstock('kl', ['kl-pkg'], 0);
  const publisher = (id: string, workflow: string, extra: Partial<RegistryPublisher> = {}): RegistryPublisher => ({
    id,
    kind: 'github',
    repository: 'conda-forge/kl-feedstock',
    repositoryId: '5000001',
    ownerId: '1000001',
    workflow: `.github/workflows/${workflow}`,
    signerWorkflows: [],
    refs: ['refs/heads/main'],
    events: ['push'],
    environment: null,
    runner: null,
    notAfter: null,
    revokedAt: null,
    ...extra,
  });
  await sb.addPublishers('kl', [
    publisher('gha-main', 'build.yml'),
    publisher('gha-old', 'old.yml', { revokedAt: '2026-01-02T00:00:00Z' }),
    publisher('gha-legacy', 'legacy.yml', { notAfter: '2026-01-02T00:00:00Z' }),
  ]);
  await sb.commitRegistry();
  const ci = CI_KL;
  const keyless = async (reason: string, identity: Partial<GitHubIdentity>): Promise<void> => {
    const b = await build('kl-pkg');
    const bundle = await sigstore.attest(
      { name: b.filename, sha256: b.digests.sha256, targetChannel: sb.channel },
      { ...ci, ...identity },
    );
    await sb.stageBundle(b, bundle);
    want(b, reason);
  };
  await keyless('published', {});
  await keyless('PUBLISHER_MISMATCH', { event: 'pull_request_target' });
  await keyless('PUBLISHER_REVOKED', { workflow: '.github/workflows/old.yml' });
  await keyless('PUBLISHER_EXPIRED', { workflow: '.github/workflows/legacy.yml' });
  await keyless('PUBLISHER_RENAMED', { repository: 'conda-forge/kl-renamed-feedstock' });
  await keyless('PUBLISHER_UNKNOWN', { repository: 'conda-forge/nobody-feedstock', repositoryId: '5000009' });
  // A bundle beside demo-pkg's good upload: demo-pkg registers keys only, so it is ignored (a warning).
  const okPath = join(sb.stagingDir, ok.subdir, ok.filename);
  const ignored = await sigstore.attest(
    { name: ok.filename, sha256: ok.digests.sha256, targetChannel: sb.channel },
    { ...ci, repository: 'conda-forge/demo-pkg-feedstock' },
  );
  writeFileSync(`${okPath}.sigstore.json`, JSON.stringify(ignored));

  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  expect(r.stderr).toBe('');
  first = JSON.parse(r.stdout) as { items: Item[] };
}, 120_000);

describe('each reason code from a real scenario', () => {
  it('gives every staged artifact the expected outcome', () => {
    const got = new Map(
      first.items.map((i) => [`${i.subdir}/${i.filename}`, i.outcome === 'rejected' ? i.reason : i.outcome]),
    );
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
  });

  it('publishes only the valid artifact', () => {
    const valid = [...expected].filter(([, r]) => r === 'published').map(([k]) => k);
    expect(channelState(sb.channelDir).records).toEqual(valid);
  });

  it('produces TARGET_CONFLICT and REPLAYED on later uploads under published names', async () => {
    const [published] = [...expected].find(([, r]) => r === 'published')!;
    const filename = published.split('/')[1]!;
    // Same file name, other bytes: a rebuild that forgot to bump the build number.
    const rebuilt = await sb.build({
      name: 'demo-pkg',
      version: filename.split('-')[2]!,
      build: 'h0_0',
      subdir: 'linux-64',
      files: { 'share/changed.txt': 'new' },
    });
    expect(rebuilt.filename).toBe(filename);
    await sb.stage(rebuilt, { feedstock: 'demo-pkg' });
    const conflict = JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--json'])).stdout) as {
      items: Item[];
    };
    expect(conflict.items.find((i) => i.filename === filename)).toMatchObject({
      outcome: 'rejected',
      reason: 'TARGET_CONFLICT',
    });

    // An admin removes the published file from the channel; a re-upload of the same bytes must not bring it back.
    rmSync(join(sb.stagingDir, 'linux-64', filename));
    rmSync(join(sb.stagingDir, 'linux-64', `${filename}.sig`));
    const repodataPath = join(sb.channelDir, 'linux-64', 'repodata.json');
    const repodata = JSON.parse(readFileSync(repodataPath, 'utf8')) as { 'packages.conda': Record<string, unknown> };
    Reflect.deleteProperty(repodata['packages.conda'], filename);
    writeFileSync(repodataPath, JSON.stringify(repodata));
    rmSync(join(sb.channelDir, 'linux-64', filename));
    const original = await sb.build({
      name: 'demo-pkg',
      version: filename.split('-')[2]!,
      build: 'h0_0',
      subdir: 'linux-64',
    });
    await sb.stage(original, { feedstock: 'demo-pkg' });
    const replay = JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--json'])).stdout) as {
      items: Item[];
    };
    expect(replay.items.find((i) => i.filename === filename)).toMatchObject({
      outcome: 'rejected',
      reason: 'REPLAYED',
    });
    expect(channelState(sb.channelDir).files).not.toContain(`linux-64/${filename}`);
  }, 60_000);

  it('says TRUST_ROOT_UNAVAILABLE (waiting) when the trusted root cannot be had', async () => {
    const root = join(sb.root, 'trusted_root.json');
    renameSync(root, `${root}.away`);
    try {
      const b = await sb.build({ name: 'kl-pkg', version: '9.0', build: 'h0_0', subdir: 'linux-64' });
      const bundle = await sigstore.attest(
        { name: b.filename, sha256: b.digests.sha256, targetChannel: sb.channel },
        { ...CI_KL },
      );
      await sb.stageBundle(b, bundle);
      const plan = JSON.parse((await runCli(['reconcile', '--config', sb.configPath, '--plan', '--json'])).stdout) as {
        items: (Item & { detail: string })[];
      };
      const item = plan.items.find((i) => i.filename === b.filename)!;
      expect(item.decision).toBe('wait');
      expect(item.detail).toMatch(/^TRUST_ROOT_UNAVAILABLE: /);
      waited.add('TRUST_ROOT_UNAVAILABLE');
    } finally {
      renameSync(`${root}.away`, root);
    }
  }, 60_000);

  it('warns EVIDENCE_IGNORED for a bundle beside a keys-only feedstock, which still publishes by its .sig', () => {
    const item = first.items.find((i) => i.outcome === 'published' && i.filename.startsWith('demo-pkg'))!;
    expect(item.evidenceWarnings).toEqual([
      { code: 'EVIDENCE_IGNORED', evidence: 'sigstore.json', file: `${item.filename}.sigstore.json` },
    ]);
  });

  it('covers every reason code in the catalogue', () => {
    const warned = first.items.flatMap((i) => i.evidenceWarnings.map((w) => w.code));
    const produced = new Set([...expected.values(), 'TARGET_CONFLICT', 'REPLAYED', ...waited, ...warned]);
    expect(Object.keys(REASONS).filter((r) => !produced.has(r))).toEqual([]);
  });
});
