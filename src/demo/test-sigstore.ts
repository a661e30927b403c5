// A throwaway Sigstore instance for tests and the demo: a CA with a CT log, a Rekor log, and the trusted_root.json
// that trusts exactly them. Bundles it makes are what GitHub Actions' `actions/attest` writes for a CEP 27 statement
// (bundle v0.3, one DSSE signature, a dsse 0.0.1 entry with SET and inclusion proof), signed now. Built from the
// @sigstore/mock primitives the spec's vectors were made with; its keys exist only in memory. @sigstore/mock is a
// development dependency (it is a test CA, never part of a gate): it is loaded only when a test instance is made, so
// an installed forgegate without it runs everything but the demo's keyless feedstock.
import { createHash, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import type * as SigstoreMock from '@sigstore/mock';
import { ForgegateError } from '../errors.js';
import { pae } from '../statement/dsse.js';
import { CEP27_PREDICATE_TYPE } from '../statement/keyless/cep27.js';
import { BUNDLE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE } from '../statement/keyless/bundle.js';
import { STATEMENT_TYPE } from '../statement/statement.js';
import type { RegistryPublisher } from '../ports/registry.js';

const FULCIO = '1.3.6.1.4.1.57264.1';
export { GITHUB_ACTIONS_ISSUER as GITHUB_ISSUER } from '../registry/layout.js';
import { GITHUB_ACTIONS_ISSUER as GITHUB_ISSUER } from '../registry/layout.js';

/** A registered GitHub publisher of a feedstock's default CI (push to main, conda-forge's workflow); override any. */
export function githubPublisher(
  fields: Pick<RegistryPublisher, 'repository' | 'repositoryId'> & Partial<RegistryPublisher>,
): RegistryPublisher {
  return {
    id: 'gha-main',
    kind: 'github',
    ownerId: '1000001',
    workflow: '.github/workflows/conda-build.yml',
    signerWorkflows: [],
    refs: ['refs/heads/main'],
    events: ['push'],
    environment: null,
    runner: 'github-hosted',
    notAfter: null,
    revokedAt: null,
    ...fields,
  };
}

/** The CI job a `githubPublisher` with the same repository registers (a push to main); override any field. */
export function githubIdentity(
  fields: Pick<GitHubIdentity, 'repository' | 'repositoryId'> & Partial<GitHubIdentity>,
): GitHubIdentity {
  return {
    ownerId: '1000001',
    workflow: '.github/workflows/conda-build.yml',
    ref: 'refs/heads/main',
    event: 'push',
    ...fields,
  };
}

/** The GitHub Actions identity a certificate carries (what Fulcio copies from the job's OIDC token). */
export interface GitHubIdentity {
  /** `owner/name`. */
  repository: string;
  repositoryId: string;
  ownerId: string;
  /** The caller workflow's path, `.github/workflows/<file>`. */
  workflow: string;
  ref: string;
  event: string;
  commit?: string;
  environment?: string;
  runner?: string;
  issuer?: string;
  /** A reusable workflow that ran (the signer, `.1.9` and the SAN); default: the caller itself. */
  signerWorkflow?: string;
}

/** What the bundle attests: the artifact's name and sha256, and the channel URL (with `/label/<L>` if not main). */
export interface Attestation {
  name: string;
  sha256: string;
  targetChannel: string;
}

/** A bundle as JSON, typed for the fields tests edit (anything may be added or deleted to test a rule). */
export interface BundleJson {
  mediaType: string;
  verificationMaterial: {
    certificate?: { rawBytes: string };
    publicKey?: unknown;
    x509CertificateChain?: unknown;
    tlogEntries: { inclusionProof?: { checkpoint?: unknown; [field: string]: unknown }; [field: string]: unknown }[];
    timestampVerificationData?: unknown;
  };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
  messageSignature?: unknown;
  [extra: string]: unknown;
}

/** What the mock Rekor returns for one entry (Rekor's own API shape). */
interface LoggedEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    signedEntryTimestamp: string;
    inclusionProof: { logIndex: number; rootHash: string; treeSize: number; hashes: string[]; checkpoint: string };
  };
}

type Ca = Awaited<ReturnType<typeof SigstoreMock.initializeCA>>;
type TLog = Awaited<ReturnType<typeof SigstoreMock.initializeTLog>>;

/** @sigstore/mock, or a clear error where it is not installed (an installed forgegate has no dev dependencies). */
async function loadMock(): Promise<typeof SigstoreMock> {
  try {
    return await import('@sigstore/mock');
  } catch (e) {
    throw new ForgegateError('FG_INPUT_MISSING', `a test Sigstore needs @sigstore/mock: ${(e as Error).message}`, {
      fix: 'Run it from a clone of forgegate after `npm ci`, which installs the development dependencies.',
    });
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const view = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export class TestSigstore {
  readonly #ca: Ca;
  readonly #tlog: TLog;
  readonly #root: object;

  private constructor(ca: Ca, tlog: TLog, root: object) {
    this.#ca = ca;
    this.#tlog = tlog;
    this.#root = root;
  }

  static async create(): Promise<TestSigstore> {
    const { initializeCA, initializeCTLog, initializeTLog } = await loadMock();
    const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ctKeys = p256();
    const ctlog = await initializeCTLog(ctKeys);
    const ca = await initializeCA(p256(), ctlog);
    const rekorKeys = p256();
    const tlog = await initializeTLog('https://rekor.test', rekorKeys);
    const start = { start: new Date(Date.now() - 60_000).toISOString() };
    const spki = (k: { publicKey: KeyObject }): string => b64(k.publicKey.export({ format: 'der', type: 'spki' }));
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: 'https://rekor.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: spki(rekorKeys), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start },
          logId: { keyId: b64(createHash('sha256').update(tlog.publicKey).digest()) },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: 'https://fulcio.test',
          certChain: { certificates: [{ rawBytes: b64(view(ca.rootCertificate)) }] },
          validFor: start,
        },
      ],
      ctlogs: [
        {
          baseUrl: 'https://ctfe.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: spki(ctKeys), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: start },
          logId: { keyId: b64(view(ctlog.logID)) },
        },
      ],
      timestampAuthorities: [],
    };
    return new TestSigstore(ca, tlog, root);
  }

  /** The trusted_root.json that trusts this instance (and nothing else). */
  get trustedRoot(): object {
    return this.#root;
  }

  /** A bundle (as `F.sigstore.json` holds it) for a CEP 27 statement, signed now by `identity`'s CI job. */
  async attest(subject: Attestation, identity: GitHubIdentity): Promise<BundleJson> {
    const statement = {
      _type: STATEMENT_TYPE,
      subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
      predicateType: CEP27_PREDICATE_TYPE,
      predicate: { targetChannel: subject.targetChannel },
    };
    const payload = Buffer.from(JSON.stringify(statement));
    return this.bundle(payload, identity);
  }

  /** A bundle over any payload bytes (for tests of what the statement must hold). */
  async bundle(payload: Buffer, identity: GitHubIdentity): Promise<BundleJson> {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const base = `https://github.com/${identity.repository}`;
    const caller = `${base}/${identity.workflow}@${identity.ref}`;
    const signer = identity.signerWorkflow ?? caller;
    const claims: [number, string | undefined][] = [
      [8, identity.issuer ?? GITHUB_ISSUER],
      [9, signer],
      [11, identity.runner ?? 'github-hosted'],
      [12, base],
      [13, identity.commit ?? '0123456789abcdef0123456789abcdef01234567'],
      [14, identity.ref],
      [15, identity.repositoryId],
      [17, identity.ownerId],
      [18, caller],
      [20, identity.event],
      [21, `${base}/actions/runs/1/attempts/1`],
      [23, identity.environment],
    ];
    const der = await this.#ca.issueCertificate({
      publicKey: keys.publicKey.export({ format: 'der', type: 'spki' }),
      subjectAltName: signer,
      extensions: claims
        .filter((c): c is [number, string] => c[1] !== undefined)
        .map(([arc, value]) => ({ oid: `${FULCIO}.${arc}`, value })),
    });
    const certificate = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
    const signature = sign('sha256', pae(INTOTO_PAYLOAD_TYPE, payload), keys.privateKey);
    const envelope = {
      payload: b64(payload),
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: b64(signature), keyid: '' }],
    };
    const pem = new X509Certificate(certificate).toString();
    const logged: unknown = await this.#tlog.log({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(JSON.stringify(envelope)) },
        payloadHash: { algorithm: 'sha256', value: sha256(payload) },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(pem)) }],
      },
    });
    const entry = Object.values(logged as Record<string, LoggedEntry>)[0]!;
    const proof = entry.verification.inclusionProof;
    return {
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: {
        certificate: { rawBytes: b64(certificate) },
        tlogEntries: [
          {
            logIndex: String(entry.logIndex),
            logId: { keyId: b64(Buffer.from(entry.logID, 'hex')) },
            kindVersion: { kind: 'dsse', version: '0.0.1' },
            integratedTime: String(entry.integratedTime),
            inclusionPromise: { signedEntryTimestamp: entry.verification.signedEntryTimestamp },
            inclusionProof: {
              logIndex: String(proof.logIndex),
              rootHash: b64(Buffer.from(proof.rootHash, 'hex')),
              treeSize: String(proof.treeSize),
              hashes: proof.hashes,
              checkpoint: { envelope: proof.checkpoint },
            },
            canonicalizedBody: entry.body,
          },
        ],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      dsseEnvelope: envelope,
    };
  }
}
