// keyless-v1's rule tables, one test per rule: the evidence file (bundle.ts), strict JSON, the certificate's claims
// read from DER, the CEP 27 statement, and step 4's publisher rules. Bundles are real: made by a throwaway Sigstore
// instance (test/helpers/sigstore.ts) and verified by the same adapter a run uses.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RegistryPublisher, SigstoreRegistryConfig } from '../../src/ports/registry.js';
import { readBundle } from '../../src/statement/keyless/bundle.js';
import { isChannelUrl, labelOf, parsePublishStatement } from '../../src/statement/keyless/cep27.js';
import { readIdentity } from '../../src/statement/keyless/certificate.js';
import { failedRules, feedstockOf, matchPublisher, repositoryOf } from '../../src/statement/keyless/publisher.js';
import { trustFromRootBytes, type KeylessTrust } from '../../src/statement/keyless/sigstore.js';
import { verifyBundleFile, type KeylessContext } from '../../src/statement/keyless/verify-keyless.js';
import { parseJsonStrict } from '../../src/util/strict-json.js';
import {
  GITHUB_ISSUER,
  githubIdentity,
  githubPublisher,
  TestSigstore,
  type BundleJson,
  type GitHubIdentity,
} from '../helpers/sigstore.js';

const CHANNEL = 'https://conda.example.org/forge';
const FILE = 'numpy-2.1.0-py312h1234567_0.conda';
const SHA = 'a'.repeat(64);
const ID: GitHubIdentity = githubIdentity({ repository: 'conda-forge/numpy-feedstock', repositoryId: '2000001' });
const SIGSTORE: SigstoreRegistryConfig = {
  issuer: GITHUB_ISSUER,
  ownerId: '1000001',
  repoPattern: 'conda-forge/{feedstock}-feedstock',
};
const PUBLISHER = githubPublisher({ repository: 'conda-forge/numpy-feedstock', repositoryId: '2000001' });

let sigstore: TestSigstore;
let trust: KeylessTrust;
let good: BundleJson;
beforeAll(async () => {
  sigstore = await TestSigstore.create();
  trust = trustFromRootBytes(Buffer.from(JSON.stringify(sigstore.trustedRoot)));
  good = await sigstore.attest({ name: FILE, sha256: SHA, targetChannel: CHANNEL }, ID);
});

const bytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
/** A deep copy of the good bundle, edited. */
function edited(edit: (b: BundleJson) => void): Buffer {
  const b = structuredClone(good);
  edit(b);
  return bytes(b);
}
const malformed = (b: Buffer | null): string => {
  const r = readBundle(b);
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.detail;
};

describe('the evidence file: every rule of bundle.ts', () => {
  it('accepts what actions/attest writes', () => {
    expect(readBundle(bytes(good)).ok).toBe(true);
    expect(trust.verify(good)).toMatchObject({ ok: true });
  });
  it('size: more than 64 KiB is refused unread', () => {
    expect(malformed(null)).toMatch(/64 KiB/);
    expect(malformed(edited((b) => (b['padding'] = 'x'.repeat(65 * 1024))))).toMatch(/64 KiB/);
  });
  it('json: not UTF-8, not an object, or a key twice', () => {
    expect(malformed(Buffer.from([0x7b, 0xff, 0x7d]))).toMatch(/UTF-8 JSON/);
    expect(malformed(Buffer.from('[1]'))).toMatch(/not a JSON object/);
    const twice = bytes(good)
      .toString()
      .replace('{', '{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1",');
    expect(malformed(Buffer.from(twice))).toMatch(/"mediaType" twice/);
  });
  it('mediaType: v0.1, v0.2 and the legacy v0.3 spelling are refused', () => {
    for (const t of [
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
    ])
      expect(malformed(edited((b) => (b.mediaType = t)))).toMatch(/mediaType/);
  });
  it('certificate: required as standard base64; a publicKey hint or a chain is refused', () => {
    expect(malformed(edited((b) => delete b.verificationMaterial.certificate))).toMatch(/rawBytes/);
    const urlSafe = (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_');
    expect(
      malformed(
        edited(
          (b) => (b.verificationMaterial.certificate!.rawBytes = urlSafe(b.verificationMaterial.certificate!.rawBytes)),
        ),
      ),
    ).toMatch(/rawBytes/);
    expect(malformed(edited((b) => (b.verificationMaterial.publicKey = { hint: 'k' })))).toMatch(/publicKey/);
    expect(malformed(edited((b) => (b.verificationMaterial.x509CertificateChain = { certificates: [] })))).toMatch(
      /chain/,
    );
  });
  it('tlogEntries: at least one, each with an inclusion proof and its checkpoint', () => {
    expect(malformed(edited((b) => (b.verificationMaterial.tlogEntries = [])))).toMatch(/empty/);
    expect(malformed(edited((b) => delete b.verificationMaterial.tlogEntries[0]!.inclusionProof))).toMatch(/SET alone/);
    expect(malformed(edited((b) => delete b.verificationMaterial.tlogEntries[0]!.inclusionProof!.checkpoint))).toMatch(
      /checkpoint/,
    );
  });
  it('dsseEnvelope: required, in-toto payload type, standard base64 payload; a messageSignature is refused', () => {
    expect(malformed(edited((b) => (b['messageSignature'] = {})))).toMatch(/messageSignature/);
    expect(malformed(edited((b) => delete b.dsseEnvelope))).toMatch(/dsseEnvelope is missing/);
    expect(malformed(edited((b) => (b.dsseEnvelope!.payloadType = 'application/json')))).toMatch(/payloadType/);
    expect(malformed(edited((b) => (b.dsseEnvelope!.payload = '%%%')))).toMatch(/payload must/);
  });
  it('signatures: exactly one', () => {
    expect(malformed(edited((b) => (b.dsseEnvelope!.signatures = [])))).toMatch(/exactly one/);
    expect(malformed(edited((b) => b.dsseEnvelope!.signatures.push(b.dsseEnvelope!.signatures[0]!)))).toMatch(
      /exactly one/,
    );
  });
  it('unknown fields are ignored', () => {
    expect(readBundle(edited((b) => (b['note'] = { anything: 1 }))).ok).toBe(true);
  });
});

describe('strict JSON', () => {
  const strict = (t: string) => parseJsonStrict(Buffer.from(t), 'x');
  it('refuses a key twice at any depth, however it is escaped', () => {
    expect(strict('{"a":{"b":1,"b":2}}')).toMatchObject({ ok: false });
    expect(strict('{"a":1,"\\u0061":2}')).toMatchObject({ ok: false });
    expect(strict('[{"a":1},{"a":2}]')).toMatchObject({ ok: true });
    expect(strict('{"a":"b","b":"a"}')).toMatchObject({ ok: true });
    expect(strict('{"a":["b","b"],"c":{"d":"\\"a\\""}}')).toMatchObject({ ok: true });
  });
});

describe('the certificate: claims decoded from DER, compared exactly', () => {
  it('reads every claim as the CA wrote it, and the SAN', async () => {
    const b = await sigstore.attest(
      { name: FILE, sha256: SHA, targetChannel: CHANNEL },
      { ...ID, environment: 'release' },
    );
    const id = readIdentity(Buffer.from(b.verificationMaterial.certificate!.rawBytes, 'base64'));
    expect(id).toMatchObject({
      ok: true,
      identity: {
        claims: {
          repo: 'https://github.com/conda-forge/numpy-feedstock',
          repositoryId: '2000001',
          environment: 'release',
        },
      },
    });
    expect(id.ok && id.identity.sanUris).toEqual([
      'https://github.com/conda-forge/numpy-feedstock/.github/workflows/conda-build.yml@refs/heads/main',
    ]);
  });
  it('refuses bytes that are not DER', () => {
    expect(readIdentity(Buffer.from('30800000', 'hex'))).toMatchObject({ ok: false });
    expect(readIdentity(Buffer.from('300300', 'hex'))).toMatchObject({ ok: false });
  });
  it('a look-alike repository is another repository, and maps to no feedstock', () => {
    expect(repositoryOf({ sanUris: [], claims: { repo: 'https://github.com/conda-forge/numpy-feedstock-evil' } })).toBe(
      'conda-forge/numpy-feedstock-evil',
    );
    expect(feedstockOf('conda-forge/numpy-feedstock-evil', SIGSTORE)).toBeNull();
    expect(
      repositoryOf({ sanUris: [], claims: { repo: 'https://github.com/conda-forge/numpy-feedstock/x' } }),
    ).toBeNull();
    expect(repositoryOf({ sanUris: [], claims: { repo: 'http://github.com/conda-forge/numpy-feedstock' } })).toBeNull();
  });
  it('repoPattern: whole string, any case, non-empty name part taken as spelt', () => {
    expect(feedstockOf('Conda-Forge/NumPy-Feedstock', SIGSTORE)).toBe('NumPy');
    expect(feedstockOf('conda-forge/-feedstock', SIGSTORE)).toBeNull();
    expect(feedstockOf('other/numpy-feedstock', SIGSTORE)).toBeNull();
  });
});

describe('the CEP 27 statement', () => {
  const st = (doc: unknown) => parsePublishStatement(Buffer.from(JSON.stringify(doc)));
  interface Doc {
    _type: string;
    subject: { name: string; digest: { sha256: string } }[];
    predicateType: string;
    predicate?: { targetChannel: string; extra?: number };
  }
  const doc = (edit: (d: Doc) => void = () => undefined): Doc => {
    const d: Doc = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: FILE, digest: { sha256: SHA } }],
      predicateType: 'https://schemas.conda.org/attestations-publish-1.schema.json',
      predicate: { targetChannel: CHANNEL },
    };
    edit(d);
    return d;
  };
  it('accepts the statement and ignores unknown fields', () => {
    expect(st(doc((d) => (d.predicate!.extra = 1)))).toMatchObject({ ok: true, statement: { name: FILE } });
  });
  it('refuses each broken rule', () => {
    expect(st(doc((d) => (d._type = 'x')))).toMatchObject({ ok: false });
    expect(st(doc((d) => d.subject.push(d.subject[0]!)))).toMatchObject({ ok: false });
    expect(st(doc((d) => (d.subject[0]!.name = 'numpy.whl')))).toMatchObject({ ok: false });
    expect(st(doc((d) => (d.subject[0]!.digest.sha256 = SHA.toUpperCase())))).toMatchObject({ ok: false });
    expect(st(doc((d) => delete d.predicate))).toMatchObject({ ok: false });
  });
  it('targetChannel: http(s), no user information, query, fragment or trailing slash', () => {
    expect(isChannelUrl(CHANNEL)).toBe(true);
    for (const bad of [
      `${CHANNEL}/`,
      `${CHANNEL}?x=1`,
      `${CHANNEL}#x`,
      'https://u:p@conda.example.org/forge',
      'ftp://x/y',
    ])
      expect(isChannelUrl(bad)).toBe(false);
  });
  it('the label is main for the channel itself, L for /label/L, none otherwise', () => {
    expect(labelOf(CHANNEL, CHANNEL)).toBe('main');
    expect(labelOf(`${CHANNEL}/label/rc`, CHANNEL)).toBe('rc');
    expect(labelOf(`${CHANNEL}/label/main`, CHANNEL)).toBe('main');
    expect(labelOf(`${CHANNEL}/label/a/b`, CHANNEL)).toBeNull();
    expect(labelOf(`${CHANNEL}-evil`, CHANNEL)).toBeNull();
  });
});

describe("step 4: each of a publisher's rules", () => {
  const identity = (over: Partial<Record<string, string>> = {}, san?: string) => {
    const caller = 'https://github.com/conda-forge/numpy-feedstock/.github/workflows/conda-build.yml@refs/heads/main';
    return {
      sanUris: [san ?? over['signer'] ?? caller],
      claims: {
        issuer: GITHUB_ISSUER,
        signer: caller,
        runner: 'github-hosted',
        repo: 'https://github.com/conda-forge/numpy-feedstock',
        commit: '0123456789abcdef0123456789abcdef01234567',
        ref: 'refs/heads/main',
        repositoryId: '2000001',
        ownerId: '1000001',
        buildConfig: caller,
        event: 'push',
        ...over,
      },
    };
  };
  const fails = (over: Partial<Record<string, string>>, p: Partial<RegistryPublisher> = {}, san?: string) =>
    failedRules({ ...PUBLISHER, ...p }, identity(over, san), 'conda-forge/numpy-feedstock', SIGSTORE);
  it('matches the registered identity, and the caller pinned by commit', () => {
    expect(fails({})).toEqual([]);
    const byCommit =
      'https://github.com/conda-forge/numpy-feedstock/.github/workflows/conda-build.yml@0123456789abcdef0123456789abcdef01234567';
    expect(fails({ buildConfig: byCommit, signer: byCommit })).toEqual([]);
  });
  it('names the rule each change breaks', () => {
    expect(fails({ issuer: `${GITHUB_ISSUER}/enterprise` })).toEqual(['issuer']);
    expect(fails({ ownerId: '1000002' })).toEqual(['ownerId']);
    expect(fails({ repositoryId: '2000999' })).toEqual(['repositoryId']);
    expect(fails({ event: 'pull_request_target' })).toEqual(['event']);
    expect(fails({ event: 'pull_request_target' }, { events: ['pull_request_target'] })).toEqual(['event']);
    expect(fails({ ref: 'refs/heads/feature' })).toContain('ref');
    expect(fails({ runner: 'self-hosted' })).toEqual(['runner']);
    expect(fails({}, { environment: 'release' })).toEqual(['environment']);
    expect(fails({}, {}, 'https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main')).toEqual([
      'signer workflow',
    ]);
  });
  it('a reusable signer workflow counts only when listed', () => {
    const reusable = 'https://github.com/conda-forge/ci/.github/workflows/build.yml@refs/tags/v3';
    expect(fails({ signer: reusable })).toEqual(['signer workflow']);
    expect(fails({ signer: reusable }, { signerWorkflows: [reusable] })).toEqual([]);
  });
  it('outcomes: revoked, expired, renamed, unknown, mismatch', () => {
    const id = identity();
    const match = (pubs: RegistryPublisher[], index = new Map()) =>
      matchPublisher(
        id,
        'conda-forge/numpy-feedstock',
        'numpy',
        pubs,
        index,
        SIGSTORE,
        Date.parse('2026-11-24T18:00:00Z'),
      );
    expect(match([PUBLISHER])).toMatchObject({ ok: true });
    expect(match([{ ...PUBLISHER, revokedAt: '2026-11-01T00:00:00Z' }])).toMatchObject({ reason: 'PUBLISHER_REVOKED' });
    expect(match([{ ...PUBLISHER, notAfter: '2026-11-01T00:00:00Z' }])).toMatchObject({ reason: 'PUBLISHER_EXPIRED' });
    expect(match([])).toMatchObject({ reason: 'PUBLISHER_UNKNOWN' });
    expect(match([{ ...PUBLISHER, refs: ['refs/heads/rc'] }])).toMatchObject({ reason: 'PUBLISHER_MISMATCH' });
    const renamed = new Map([
      ['2000001', [{ feedstock: 'numpy', publisher: { ...PUBLISHER, repository: 'conda-forge/old' } }]],
    ]);
    expect(match([], renamed)).toMatchObject({ reason: 'PUBLISHER_RENAMED' });
  });
});

describe('steps 2-6 on a bundle from the test instance', () => {
  const ctx = (over: Partial<KeylessContext> = {}): KeylessContext => ({
    nowMs: Date.now(),
    maxSignatureAgeMs: 24 * 3_600_000,
    clockSkewMs: 300_000,
    targetChannel: CHANNEL,
    labels: ['main'],
    sigstore: SIGSTORE,
    trust,
    publishersOf: (f) => (f === 'numpy' ? [PUBLISHER] : []),
    byRepositoryId: new Map(),
    ...over,
  });
  it('passes, naming the publisher, the Rekor entry and the signing time', () => {
    const r = verifyBundleFile(bytes(good), { filename: FILE, sha256: SHA }, ctx());
    expect(r).toMatchObject({ ok: true, pass: { feedstock: 'numpy', publisher: 'gha-main', label: 'main' } });
    expect(r.ok && r.pass.logs[0]!.logIndex).toMatch(/^\d+$/);
  });
  it('waits without a trusted root, and fails SIGNATURE_INVALID under another root', async () => {
    expect(verifyBundleFile(bytes(good), { filename: FILE, sha256: SHA }, ctx({ trust: null }))).toMatchObject({
      reason: 'TRUST_ROOT_UNAVAILABLE',
      waiting: true,
    });
    const other = await TestSigstore.create();
    const foreign = trustFromRootBytes(Buffer.from(JSON.stringify(other.trustedRoot)));
    expect(verifyBundleFile(bytes(good), { filename: FILE, sha256: SHA }, ctx({ trust: foreign }))).toMatchObject({
      reason: 'SIGNATURE_INVALID',
    });
  });
  it('a bundle for another artifact is SUBJECT_MISMATCH; other bytes DIGEST_MISMATCH', () => {
    expect(
      verifyBundleFile(bytes(good), { filename: 'numpy-2.1.0-py312h1234567_1.conda', sha256: SHA }, ctx()),
    ).toMatchObject({
      reason: 'SUBJECT_MISMATCH',
    });
    expect(verifyBundleFile(bytes(good), { filename: FILE, sha256: 'b'.repeat(64) }, ctx())).toMatchObject({
      reason: 'DIGEST_MISMATCH',
    });
  });
});
