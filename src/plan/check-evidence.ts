// Steps 2-6 of each piece of evidence paired with one artifact, after the evidence table (keyless-v1, "Both kinds of
// evidence") chose which pieces count: a `.sig` through upload-statement-v1, a `.sigstore.json` through keyless-v1.
// Pure: the trusted root and the staged bytes' digests are facts the run observed.
import type { RegistryKey, RegistryPublisher } from '../ports/registry.js';
import type { StagedArtifact, StagedSignature } from '../ports/staging.js';
import { feedstockOf } from '../statement/keyless/publisher.js';
import { claimOfBundle, verifyBundleFile, type KeylessContext } from '../statement/keyless/verify-keyless.js';
import type { UploadStatement } from '../statement/statement.js';
import { verifySignatureFile, type VerifyContext } from '../statement/verify.js';
import { sha256Hex } from '../util/digest.js';
import { evidenceCounts, type IgnoredPiece, type Piece } from './evidence.js';
import { artifactKey } from './identity.js';
import { claimedSubject } from './pair-signatures.js';
import type { Observation, PlanSettings } from './types.js';

// Observing and planning both ask; read each bundle's certificate once per run.
const repositories = new WeakMap<StagedSignature, string | null>();

/** The repository (`owner/name`) a bundle's certificate names, unverified: whose registry files to read. */
export function claimedRepository(sig: StagedSignature): string | null {
  if (!repositories.has(sig)) repositories.set(sig, claimOfBundle(sig.content, null).repository);
  return repositories.get(sig)!;
}

export function checkEvidence(
  artifact: StagedArtifact,
  sigs: readonly StagedSignature[],
  obs: Observation,
  settings: PlanSettings,
): { checked: Piece[]; ignored: IgnoredPiece[] } | { wait: string } {
  const registry = obs.registry;
  const sigstore = registry.config.sigstore;
  const fileOf = (feedstock: string) => registry.files?.get(feedstock) ?? null;
  const common = {
    nowMs: obs.nowMs,
    maxSignatureAgeMs: settings.policy.maxSignatureAgeMs,
    clockSkewMs: settings.policy.clockSkewMs,
    targetChannel: settings.targetChannel,
    labels: settings.labels,
  };
  const sigCtx: VerifyContext = {
    ...common,
    keysFor: (f: string): readonly RegistryKey[] | null => registry.keys.get(f) ?? null,
  };
  const checked: Piece[] = [];
  const ignored: IgnoredPiece[] = [];
  // A feedstock without keys or publishers because its keys file is invalid: say so, the fix is the admin's.
  const invalidFile = <R extends { ok: boolean; reason?: string; detail?: string }>(r: R, f: string | null): R => {
    const why = f === null ? undefined : registry.invalidKeyFiles?.get(f);
    return why === undefined || r.ok || (r.reason !== 'KEY_UNKNOWN' && r.reason !== 'PUBLISHER_UNKNOWN')
      ? r
      : { ...r, detail: `${r.detail ?? ''}: its keys file is invalid (${why})` };
  };
  for (const sig of sigs) {
    if ((sig.kind ?? 'sig') === 'sig') {
      // A .sig that fails its own step 2 names no feedstock and is checked (SIGNATURE_MALFORMED).
      const feedstock = claimedSubject(sig)?.feedstock ?? null;
      const why = feedstock === null ? null : evidenceCounts('sig', fileOf(feedstock), sigstore);
      if (why !== null) ignored.push({ evidence: 'sig', file: sig.filename, detail: why });
      else
        checked.push({
          evidence: 'sig',
          file: sig.filename,
          result: invalidFile(verifySignatureFile(sig.content, sigCtx), feedstock),
          sha256: sig.content === null ? '' : sha256Hex(sig.content),
        });
      continue;
    }
    if (sigstore === undefined) {
      ignored.push({
        evidence: 'sigstore.json',
        file: sig.filename,
        detail: evidenceCounts('sigstore.json', null, sigstore)!,
      });
      continue;
    }
    const repository = claimedRepository(sig);
    const feedstock = repository === null ? null : feedstockOf(repository, sigstore);
    const why = feedstock === null ? null : evidenceCounts('sigstore.json', fileOf(feedstock), sigstore);
    if (why !== null) {
      ignored.push({ evidence: 'sigstore.json', file: sig.filename, detail: why });
      continue;
    }
    const digests = obs.keyless?.digests.get(artifactKey(artifact.subdir, artifact.filename));
    if (digests === undefined || 'error' in digests)
      return {
        wait: `the staged bytes could not be read to check ${sig.filename}${digests ? `: ${digests.error}` : ''}`,
      };
    const ctx: KeylessContext = {
      ...common,
      sigstore,
      trust: obs.keyless?.trust ?? null,
      ...(obs.keyless?.unavailable !== undefined ? { trustUnavailable: obs.keyless.unavailable } : {}),
      publishersOf: (f: string): readonly RegistryPublisher[] => fileOf(f)?.publishers ?? [],
      byRepositoryId: registry.publisherIndex ?? new Map(),
    };
    const result = invalidFile(
      verifyBundleFile(sig.content, { filename: artifact.filename, sha256: digests.sha256 }, ctx),
      feedstock,
    );
    const statement: UploadStatement | null = result.ok
      ? {
          name: artifact.filename,
          sha256: result.pass.sha256,
          md5: digests.md5,
          size: digests.size,
          feedstock: result.pass.feedstock,
          targetChannel: result.pass.targetChannel,
          label: result.pass.label,
          subdir: artifact.subdir,
          issuedAt: result.pass.signingTime,
          issuedAtMs: result.pass.signingTimeMs,
          expiresAtMs: null,
          source: {
            repository: result.pass.repository,
            ...(result.pass.commit !== null ? { commit: result.pass.commit } : {}),
            ...(result.pass.runUrl !== null ? { runUrl: result.pass.runUrl } : {}),
          },
        }
      : null;
    checked.push({ evidence: 'sigstore.json', file: sig.filename, result, statement });
  }
  return { checked, ignored };
}
