// Keyless trusted publishing end to end, through the real CLI on real folders: a feedstock with a trusted publisher
// and no key stages a package with the bundle its GitHub Actions job would write (signed by a throwaway Sigstore
// instance the config trusts), and the run publishes it; forged identities and broken bundles in the same run each
// get one reason and touch nothing else.
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { githubPublisher, TestSigstore, type GitHubIdentity } from '../helpers/sigstore.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e keyless '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KEYLESS_PUBLISHER = githubPublisher({
  repository: 'conda-forge/keyless-pkg-feedstock',
  repositoryId: '3000001',
  addedAt: '2026-01-01T00:00:00Z',
});
const CI: GitHubIdentity = {
  repository: 'conda-forge/keyless-pkg-feedstock',
  repositoryId: '3000001',
  ownerId: '1000001',
  workflow: '.github/workflows/conda-build.yml',
  ref: 'refs/heads/main',
  event: 'push',
};

interface Item {
  filename: string;
  decision: string;
  outcome: string | null;
  reason: string | null;
  detail: string | null;
  feedstock: string | null;
  passed: { evidence: string; publisher?: string; logs?: { logIndex: string }[]; signingTime?: string }[];
}
let sb: Sandbox;
let sigstore: TestSigstore;
let version = 0;
const build = (name = 'keyless-pkg'): Promise<Built> =>
  sb.build({ name, version: `1.${version++}`, build: 'h0_0', subdir: 'linux-64' });
const attest = (b: Built, identity: Partial<GitHubIdentity> = {}, name = b.filename) =>
  sigstore.attest({ name, sha256: b.digests.sha256, targetChannel: sb.channel }, { ...CI, ...identity });

async function reconcile(): Promise<{ code: number | null; items: Item[]; notices: string[]; text: string }> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  if (r.code !== 0 && r.code !== 5) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { items: Item[]; notices: string[] };
  return { code: r.code, ...out, text: r.stdout };
}

beforeAll(async () => {
  sigstore = await TestSigstore.create();
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.enableKeyless(sigstore, { ownerId: '1000001' });
  await sb.addFeedstock('keyless-pkg', ['keyless-pkg'], 0);
  await sb.addPublishers('keyless-pkg', [KEYLESS_PUBLISHER], 'sigstore');
  await sb.addFeedstock('other', ['other-pkg'], 0);
  await sb.addPublishers('other', [
    { ...KEYLESS_PUBLISHER, repository: 'conda-forge/other-feedstock', repositoryId: '3000002' },
  ]);
  await sb.commitRegistry();
});

describe('keyless trusted publishing, folder staging', () => {
  it('publishes a bundle-attested package; forged identities and broken bundles each get one reason', async () => {
    const good = await build();
    await sb.stageBundle(good, await attest(good));
    const want = new Map<string, string>();
    const bad = async (reason: string, bundle: (b: Built) => Promise<object | Buffer>): Promise<void> => {
      const b = await build();
      await sb.stageBundle(b, await bundle(b));
      want.set(b.filename, reason);
    };
    await bad('PUBLISHER_MISMATCH', (b) => attest(b, { event: 'pull_request_target' }));
    await bad('PUBLISHER_MISMATCH', (b) => attest(b, { repositoryId: '3000999' }));
    await bad('SIGNATURE_MALFORMED', async (b) => {
      const json = (await attest(b)) as Record<string, unknown>;
      return Buffer.from(JSON.stringify({ ...json, padding: 'x'.repeat(64 * 1024) }));
    });
    await bad('SIGNATURE_MALFORMED', () => Promise.resolve(Buffer.from('{"mediaType": ')));
    await bad('SIGNATURE_MALFORMED', async (b) => ({
      ...(await attest(b)),
      mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.3',
    }));
    await bad('SUBJECT_MISMATCH', (b) => attest(b, {}, 'keyless-pkg-9.9-h0_0.conda'));
    // The certificate names another feedstock, whose own publisher matches: that feedstock does not own the name.
    await bad('OUTPUT_NOT_ALLOWED', (b) =>
      attest(b, { repository: 'conda-forge/other-feedstock', repositoryId: '3000002' }),
    );

    const run = await reconcile();
    const byName = new Map(run.items.map((i) => [i.filename, i]));
    const ok = byName.get(good.filename)!;
    expect(ok).toMatchObject({ decision: 'publish', outcome: 'published', feedstock: 'keyless-pkg' });
    expect(ok.passed).toMatchObject([{ evidence: 'sigstore.json', publisher: 'gha-main' }]);
    expect(existsSync(join(sb.channelDir, 'linux-64', good.filename))).toBe(true);
    for (const [filename, reason] of want)
      expect(byName.get(filename), filename).toMatchObject({ decision: 'reject', reason, outcome: 'rejected' });
    expect(run.items).toHaveLength(want.size + 1);
    // Nothing rejected left the staging folder (inside rejectRetention).
    for (const filename of want.keys()) {
      expect(existsSync(join(sb.stagingDir, 'linux-64', filename))).toBe(true);
      expect(existsSync(join(sb.stagingDir, 'linux-64', `${filename}.sigstore.json`))).toBe(true);
    }

    // The ledger keeps what the publication rests on: the bundle's digest and the Rekor entry.
    const db = new Database(sb.ledgerPath, { readonly: true });
    try {
      const row = db.prepare('SELECT * FROM evidence_v1 WHERE filename = ?').get(good.filename) as Record<
        string,
        unknown
      >;
      expect(row).toMatchObject({ evidence: 'sigstore.json', publisher: 'gha-main', label: 'main' });
      expect(row['log_index']).toBe(ok.passed[0]!.logs![0]!.logIndex);
      expect(row['sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(row['trusted_root_sha256']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      db.close();
    }
  }, 120_000);

  it('accept: sigstore ignores a valid .sig of the feedstock (EVIDENCE_IGNORED); the bundle decides', async () => {
    await sb.addFeedstock('both', ['both-pkg'], 1);
    await sb.addPublishers(
      'both',
      [{ ...KEYLESS_PUBLISHER, repository: 'conda-forge/both-feedstock', repositoryId: '3000003' }],
      'sigstore',
    );
    await sb.commitRegistry();
    const b = await build('both-pkg');
    await sb.stage(b, { feedstock: 'both' });
    await sb.stageBundle(b, await attest(b, { repository: 'conda-forge/both-feedstock', repositoryId: '3000003' }));
    const run = await reconcile();
    const item = run.items.find((i) => i.filename === b.filename)!;
    expect(item).toMatchObject({ outcome: 'published', passed: [{ evidence: 'sigstore.json' }] });
    expect((item as unknown as { evidenceWarnings: unknown[] }).evidenceWarnings).toEqual([
      { code: 'EVIDENCE_IGNORED', evidence: 'sig', file: `${b.filename}.sig` },
    ]);
  }, 120_000);

  it('without its trusted root the bundle waits (TRUST_ROOT_UNAVAILABLE), said once, and publishes later', async () => {
    const root = join(sb.root, 'trusted_root.json');
    renameSync(root, `${root}.away`);
    const a = await build();
    const b = await build();
    await sb.stageBundle(a, await attest(a));
    await sb.stageBundle(b, await attest(b));
    const run = await reconcile();
    const mine = run.items.filter((i) => i.filename === a.filename || i.filename === b.filename);
    expect(mine.map((i) => i.decision)).toEqual(['wait', 'wait']);
    expect(mine[0]!.detail).toMatch(/^TRUST_ROOT_UNAVAILABLE: /);
    expect(run.notices).toHaveLength(1);
    expect(run.notices[0]).toMatch(/^TRUST_ROOT_UNAVAILABLE: the trusted root .* cannot be read/);
    const text = await runCli(['reconcile', '--config', sb.configPath, '--plan']);
    expect(text.stdout.match(/notice: TRUST_ROOT_UNAVAILABLE/g)).toHaveLength(1);
    renameSync(`${root}.away`, root);
    const later = await reconcile();
    expect(
      later.items.filter((i) => i.filename === a.filename || i.filename === b.filename).map((i) => i.outcome),
    ).toEqual(['published', 'published']);
    expect(readFileSync(join(sb.channelDir, 'linux-64', 'repodata.json'), 'utf8')).toContain(a.filename);
  }, 120_000);
});
