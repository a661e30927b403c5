// Keyless trusted publishing end to end, through the real CLI on real folders: a feedstock with a trusted publisher
// and no key stages a package with the bundle its GitHub Actions job would write (signed by a throwaway Sigstore
// instance the config trusts), and the run publishes it; forged identities and broken bundles in the same run each
// get one reason and touch nothing else. The channel serves what verified (F.sigs and attestations_sha256), and the
// served bundle verifies for the published bytes, as a consumer checks it.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleSolve } from '@conda-org/rattler';
import { attestationsInForms } from '../helpers/channel-state.js';
import { serveDirectory } from '../helpers/channel-server.js';
import { runCli, runCliPaused } from '../helpers/cli.js';
import { Sandbox, type Built } from '../helpers/sandbox.js';
import { githubPublisher, githubIdentity, TestSigstore, type GitHubIdentity } from '../helpers/sigstore.js';
import { trustFromRootBytes } from '../../src/statement/keyless/sigstore.js';
import { verifyBundleFile } from '../../src/statement/keyless/verify-keyless.js';
import { sha256Hex } from '../../src/util/digest.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e keyless '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const KEYLESS_PUBLISHER = githubPublisher({
  repository: 'conda-forge/keyless-pkg-feedstock',
  repositoryId: '3000001',
  addedAt: '2026-01-01T00:00:00Z',
});
const CI: GitHubIdentity = githubIdentity({ repository: 'conda-forge/keyless-pkg-feedstock', repositoryId: '3000001' });

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

describe('the folder channel serves what verified: F.sigs and attestations_sha256', () => {
  const dir = (): string => join(sb.channelDir, 'linux-64');
  const sigsOf = (b: Built): Buffer => readFileSync(join(dir(), `${b.filename}.sigs`));
  const everyForm = (sha: unknown) => ({
    'repodata.json': sha,
    'repodata.json.zst': sha,
    'current_repodata.json': sha,
    shard: sha,
  });

  it('writes the verified bundle byte for byte, advertised in every form; it verifies for the served bytes', async () => {
    const b = await build();
    const staged = await sb.stageBundle(b, await attest(b));
    const bundleBytes = readFileSync(`${staged}.sigstore.json`);
    const run = await reconcile();
    expect(run.items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'published' });

    const sigs = sigsOf(b);
    expect(sigs).toEqual(Buffer.concat([Buffer.from('['), bundleBytes, Buffer.from(']')]));
    const sha = sha256Hex(sigs);
    expect(readFileSync(join(dir(), `${b.filename}.sigs.${sha}`))).toEqual(sigs);
    expect(attestationsInForms(dir(), b.filename)).toEqual(everyForm(sha));

    // The consumer's check: the advertised sha256, then `jq '.[0]'` and a Sigstore verification of the bundle for
    // the bytes the channel serves, against the (test) trusted root, with forgegate's own verifier.
    const served = readFileSync(join(dir(), b.filename));
    const [element, ...rest] = JSON.parse(sigs.toString('utf8')) as unknown[];
    expect(rest).toEqual([]);
    const trust = trustFromRootBytes(readFileSync(join(sb.root, 'trusted_root.json')));
    const verdict = verifyBundleFile(
      Buffer.from(JSON.stringify(element)),
      { filename: b.filename, sha256: sha256Hex(served) },
      {
        nowMs: Date.now(),
        maxSignatureAgeMs: 24 * 3_600_000,
        clockSkewMs: 300_000,
        targetChannel: sb.channel,
        labels: ['main'],
        sigstore: {
          issuer: 'https://token.actions.githubusercontent.com',
          ownerId: '1000001',
          repoPattern: 'conda-forge/{feedstock}-feedstock',
        },
        trust,
        publishersOf: (f) => (f === 'keyless-pkg' ? [KEYLESS_PUBLISHER] : []),
        byRepositoryId: new Map(),
      },
    );
    expect(verdict).toMatchObject({ ok: true, pass: { publisher: 'gha-main', sha256: sha256Hex(served) } });

    // rattler, the solver conda and pixi share, reads the channel with the field in it: through the shards, and
    // through repodata.json(.zst) when there are none.
    const shardIndex = (p: string): boolean => p.endsWith('repodata_shards.msgpack.zst');
    for (const [hide, form] of [
      [() => false, /\.msgpack\.zst$/],
      [shardIndex, /repodata\.json(\.zst)?$/],
    ] as const) {
      const server = await serveDirectory(sb.channelDir, { hide });
      try {
        const version = b.filename.split('-')[2]!;
        const solved = await simpleSolve([`keyless-pkg ==${version}`], [server.url], ['linux-64'], undefined);
        expect(solved.map((p) => p.filename)).toEqual([b.filename]);
        expect(server.requests.some((r) => r.startsWith('GET /linux-64/') && form.test(r))).toBe(true);
      } finally {
        await server.close();
      }
    }
  }, 120_000);

  it('a .sig publication gets no sidecar and no field', async () => {
    await sb.addFeedstock('keyed', ['keyed-pkg'], 1);
    await sb.commitRegistry();
    const b = await build('keyed-pkg');
    await sb.stage(b, { feedstock: 'keyed' });
    const run = await reconcile();
    expect(run.items.find((i) => i.filename === b.filename)).toMatchObject({
      outcome: 'published',
      passed: [{ evidence: 'sig' }],
    });
    expect(existsSync(join(dir(), `${b.filename}.sigs`))).toBe(false);
    expect(attestationsInForms(dir(), b.filename)).toEqual(everyForm(undefined));
  }, 120_000);

  it('a bundle swapped in staging after verification is never served: the channel serves what verified', async () => {
    const b = await build();
    const staged = await sb.stageBundle(b, await attest(b));
    const verified = readFileSync(`${staged}.sigstore.json`);
    // Another valid bundle for the same bytes (a later signing): other bytes than the ones verified.
    const other = Buffer.from(JSON.stringify(await attest(b)));
    expect(other.equals(verified)).toBe(false);
    const r = await runCliPaused(['reconcile', '--config', sb.configPath, '--json'], 'verified', () =>
      writeFileSync(`${staged}.sigstore.json`, other),
    );
    expect(r.pausedAt).toBe(true);
    const sigs = sigsOf(b);
    expect(sigs).toEqual(Buffer.concat([Buffer.from('['), verified, Buffer.from(']')]));
    expect(attestationsInForms(dir(), b.filename)).toEqual(everyForm(sha256Hex(sigs)));
  }, 120_000);

  it('a crash after placing the sidecar is finished by the rerun with the same bytes; reruns change nothing', async () => {
    const b = await build();
    const staged = await sb.stageBundle(b, await attest(b));
    const bundleBytes = readFileSync(`${staged}.sigstore.json`);
    const crashed = await runCli(['reconcile', '--config', sb.configPath], { env: { FORGEGATE_FAULT: 'published' } });
    expect(crashed.signal).toBe('SIGKILL');
    const placed = sigsOf(b);
    expect(attestationsInForms(dir(), b.filename)['repodata.json']).toBeNull();
    const run = await reconcile();
    expect(run.items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'published' });
    expect(sigsOf(b)).toEqual(placed);
    expect(attestationsInForms(dir(), b.filename)).toEqual(everyForm(sha256Hex(placed)));
    // The same file and bundle staged again: cleaned up, nothing served changes.
    await sb.stageBundle(b, bundleBytes);
    const again = await reconcile();
    expect(again.items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'cleaned' });
    expect(sigsOf(b)).toEqual(placed);
    expect(attestationsInForms(dir(), b.filename)).toEqual(everyForm(sha256Hex(placed)));
  }, 120_000);

  it('another .sigs already under the name is never overwritten: the item fails, nothing is published', async () => {
    const b = await build();
    await sb.stageBundle(b, await attest(b));
    writeFileSync(join(dir(), `${b.filename}.sigs`), '[{"not":"this"}]');
    const run = await reconcile();
    expect(run.code).toBe(5);
    const item = run.items.find((i) => i.filename === b.filename)!;
    expect(item).toMatchObject({ decision: 'publish', outcome: 'failed' });
    expect(item.detail).toMatch(/\.sigs already exists with other bytes .*nothing was published/);
    expect(readFileSync(join(dir(), `${b.filename}.sigs`), 'utf8')).toBe('[{"not":"this"}]');
    expect(existsSync(join(dir(), b.filename))).toBe(false);
    expect(attestationsInForms(dir(), b.filename)['repodata.json']).toBeNull();
    // An admin removes what no record advertises: the next run publishes.
    rmSync(join(dir(), `${b.filename}.sigs`));
    const later = await reconcile();
    expect(later.items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'published' });
    expect(attestationsInForms(dir(), b.filename)['repodata.json']).toBe(sha256Hex(sigsOf(b)));
  }, 120_000);

  it('a yank moves the sidecar with the file to broken; the audit counts no .sigs file as an artifact', async () => {
    const b = await build();
    await sb.stageBundle(b, await attest(b));
    expect((await reconcile()).items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'published' });
    const sigs = sigsOf(b);
    const sha = sha256Hex(sigs);
    const y = await runCli(['yank', '--config', sb.configPath, '--reason', 'test', `linux-64/${b.filename}`]);
    expect(y.code, y.stderr).toBe(0);
    const broken = join(sb.channelDir, 'label', 'broken', 'linux-64');
    expect(readFileSync(join(broken, `${b.filename}.sigs`))).toEqual(sigs);
    expect(readFileSync(join(broken, `${b.filename}.sigs.${sha}`))).toEqual(sigs);
    expect(attestationsInForms(broken, b.filename)).toEqual(everyForm(sha));
    expect(existsSync(join(dir(), `${b.filename}.sigs`))).toBe(false);
    // Every file in the channel came through the gate: its .sigs files are neither artifacts nor unknown files.
    const audit = await runCli(['audit', '--config', sb.configPath, '--json', '--no-report']);
    const result = JSON.parse(audit.stdout) as { status: string; findings: unknown[] };
    expect(result, audit.stderr).toMatchObject({ status: 'clean', findings: [] });
    expect(audit.code).toBe(0);
  }, 120_000);

  it('the audit sees a served .sigs swapped or taken away (AUDIT_ATTESTATIONS_CHANGED), and nothing else', async () => {
    const b = await build();
    await sb.stageBundle(b, await attest(b));
    expect((await reconcile()).items.find((i) => i.filename === b.filename)).toMatchObject({ outcome: 'published' });
    const audit = async (): Promise<{ code: number | null; findings: { code: string; filename: string }[] }> => {
      const r = await runCli(['audit', '--config', sb.configPath, '--json', '--no-report']);
      return {
        code: r.code,
        findings: (JSON.parse(r.stdout) as { findings: { code: string; filename: string }[] }).findings,
      };
    };
    expect(await audit()).toEqual({ code: 0, findings: [] });
    const path = join(dir(), `${b.filename}.sigs`);
    const served = readFileSync(path);
    // Someone with the channel's storage swaps the attestation (here: another valid JSON array), then removes it.
    writeFileSync(path, '[]');
    for (let i = 0; i < 2; i++) {
      const got = await audit();
      expect(got.code).toBe(12);
      expect(got.findings.map((f) => [f.code, f.filename])).toEqual([['AUDIT_ATTESTATIONS_CHANGED', b.filename]]);
      rmSync(path, { force: true });
    }
    writeFileSync(path, served);
    expect(await audit()).toEqual({ code: 0, findings: [] });
  }, 120_000);
});
