// keyless-v1 steps 2-6 for one `F.sigstore.json`, in the spec's order: format, cryptography (through the adapter),
// publisher, freshness, binding to the received bytes. Pure, given the run's trusted root.
import { createHash } from 'node:crypto';
import type { IndexedPublisher, RegistryPublisher, SigstoreRegistryConfig } from '../../ports/registry.js';
import type { ReasonCode } from '../../reasons.js';
import { boundText } from '../../util/bound-text.js';
import { toUtcString } from '../../util/time.js';
import { readBundle } from './bundle.js';
import { labelOf, parsePublishStatement } from './cep27.js';
import { readIdentity, type CertificateIdentity } from './certificate.js';
import { feedstockOf, matchPublisher, repositoryOf } from './publisher.js';
import type { KeylessTrust } from './sigstore.js';

export interface KeylessContext {
  nowMs: number;
  maxSignatureAgeMs: number;
  clockSkewMs: number;
  targetChannel: string;
  labels: readonly string[];
  sigstore: SigstoreRegistryConfig;
  /** The run's trusted root; null when it could not be had (then every bundle waits). */
  trust: KeylessTrust | null;
  /** Why there is no trusted root (for the detail). */
  trustUnavailable?: string;
  /** The publishers of a feedstock's keys file ([] when none, or the file is invalid). */
  publishersOf(feedstock: string): readonly RegistryPublisher[];
  /** Every publisher of the registry by repositoryId. */
  byRepositoryId: ReadonlyMap<string, readonly IndexedPublisher[]>;
}

/** What a passing bundle proves, for the plan, the ledger and reports. */
export interface KeylessPass {
  feedstock: string;
  /** The publisher `id` that matched. */
  publisher: string;
  label: string;
  targetChannel: string;
  /** The earliest verified signing time. */
  signingTime: string;
  signingTimeMs: number;
  /** The statement's sha256 (equal to the staged bytes'). */
  sha256: string;
  /** Rekor entries, as the verified bundle lists them. */
  logs: { logId: string; logIndex: string }[];
  /** sha256 of the evidence file's bytes. */
  bundleSha256: string;
  /** sha256 of the trusted root it verified under. */
  rootSha256: string;
  repository: string;
  commit: string | null;
  runUrl: string | null;
}

export type KeylessResult =
  | { ok: true; pass: KeylessPass }
  | {
      ok: false;
      reason: ReasonCode;
      detail: string;
      /** The feedstock the certificate names (unverified unless the failure is past step 3); null when none. */
      feedstock: string | null;
      /** TRUST_ROOT_UNAVAILABLE: checked on a later run, never rejected. */
      waiting?: true;
    };

/** What an unverified bundle claims: only to choose its row of the evidence table and whose registry files to read. */
export interface KeylessClaim {
  repository: string | null;
  feedstock: string | null;
}

/** The repository and feedstock a bundle's certificate names, read before step 3 (never to pass). */
export function claimOfBundle(bytes: Uint8Array | null, sigstore: SigstoreRegistryConfig | null): KeylessClaim {
  const read = readBundle(bytes);
  if (!read.ok) return { repository: null, feedstock: null };
  const id = readIdentity(read.parts.certificate);
  const repository = id.ok ? repositoryOf(id.identity) : null;
  return { repository, feedstock: repository === null || sigstore === null ? null : feedstockOf(repository, sigstore) };
}

/** The staged artifact as forgegate holds it: its name and the sha256 of its bytes. */
export interface Received {
  filename: string;
  sha256: string;
}

export function verifyBundleFile(bytes: Uint8Array | null, received: Received, ctx: KeylessContext): KeylessResult {
  let feedstock: string | null = null;
  const fail = (reason: ReasonCode, detail: string): KeylessResult => ({ ok: false, reason, detail, feedstock });

  // 2. format: the bundle, the certificate, the statement
  const read = readBundle(bytes);
  if (!read.ok) return fail('SIGNATURE_MALFORMED', read.detail);
  const { parts } = read;
  const idRead = readIdentity(parts.certificate);
  if (!idRead.ok) return fail('SIGNATURE_MALFORMED', idRead.detail);
  const identity: CertificateIdentity = idRead.identity;
  const repository = repositoryOf(identity);
  feedstock = repository === null ? null : feedstockOf(repository, ctx.sigstore);
  const parsed = parsePublishStatement(parts.payload);
  if (!parsed.ok) return fail('SIGNATURE_MALFORMED', parsed.detail);
  const statement = parsed.statement;

  // 3. cryptography against the run's trusted root
  if (ctx.trust === null)
    return {
      ok: false,
      reason: 'TRUST_ROOT_UNAVAILABLE',
      detail: `no Sigstore trusted root this run${ctx.trustUnavailable ? ` (${ctx.trustUnavailable})` : ''}`,
      feedstock,
      waiting: true,
    };
  const crypto = ctx.trust.verify(parts.json);
  if (!crypto.ok) return fail(crypto.stage === 'format' ? 'SIGNATURE_MALFORMED' : 'SIGNATURE_INVALID', crypto.detail);

  // 4. the publisher
  const match = matchPublisher(
    identity,
    repository,
    feedstock,
    feedstock === null ? [] : ctx.publishersOf(feedstock),
    ctx.byRepositoryId,
    ctx.sigstore,
    ctx.nowMs,
  );
  if (!match.ok) return fail(match.reason, match.detail);

  // 5. freshness, for every signing time
  const times = crypto.signingTimesMs;
  const future = times.find((t) => t > ctx.nowMs + ctx.clockSkewMs);
  if (future !== undefined) return fail('SIGNATURE_EXPIRED', `signed at ${toUtcString(future)}, in the future`);
  const old = times.find((t) => ctx.nowMs >= t + ctx.maxSignatureAgeMs);
  if (old !== undefined)
    return fail('SIGNATURE_EXPIRED', `signed at ${toUtcString(old)}, older than the maximum signature age`);
  const signingTimeMs = Math.min(...times);

  // 6. binding to what was received
  if (statement.name !== received.filename)
    return fail(
      'SUBJECT_MISMATCH',
      `the statement names ${boundText(statement.name, 300)}, the staged file is ${received.filename}`,
    );
  if (statement.sha256 !== received.sha256)
    return fail(
      'DIGEST_MISMATCH',
      `the statement's sha256 is ${statement.sha256}, the staged bytes' is ${received.sha256}`,
    );
  const label = labelOf(statement.targetChannel, ctx.targetChannel);
  if (label === null)
    return fail(
      'TARGET_MISMATCH',
      `the statement names channel ${boundText(statement.targetChannel, 300)}, this gate publishes to ` +
        `${ctx.targetChannel} (or ${ctx.targetChannel}/label/<label>)`,
    );
  if (!ctx.labels.includes(label))
    return fail(
      'TARGET_MISMATCH',
      `label "${boundText(label, 200)}" is not allowed here (allowed: ${ctx.labels.join(', ')})`,
    );
  return {
    ok: true,
    pass: {
      feedstock: feedstock!,
      publisher: match.publisher.id,
      label,
      targetChannel: statement.targetChannel,
      signingTime: toUtcString(signingTimeMs),
      signingTimeMs,
      sha256: statement.sha256,
      logs: parts.tlog,
      bundleSha256: createHash('sha256').update(bytes!).digest('hex'),
      rootSha256: ctx.trust.rootSha256,
      repository: repository!,
      commit: identity.claims.commit ?? null,
      runUrl: identity.claims.runUrl ?? null,
    },
  };
}
