// keyless-v1 step 4: which feedstock a certificate speaks for, and which registered publisher (if any) it matches.
// Every comparison is of decoded values, whole and exact (repository names without regard to case, as GitHub
// treats them); nothing here is a regular expression over certificate text.
import type { IndexedPublisher, RegistryPublisher, SigstoreRegistryConfig } from '../../ports/registry.js';
import type { ReasonCode } from '../../reasons.js';
import { isGitHubRepository, splitRepoPattern } from '../../registry/layout.js';
import { parseUtcTime } from '../../util/time.js';
import type { CertificateIdentity } from './certificate.js';

const GITHUB = 'https://github.com/';
const FEEDSTOCK_PART = /^[A-Za-z0-9._-]+$/;

/** `R` (`owner/name`) from the repository claim `.1.12`, which must be exactly `https://github.com/<owner>/<name>`. */
export function repositoryOf(identity: CertificateIdentity): string | null {
  const repo = identity.claims.repo;
  if (repo === undefined || !repo.startsWith(GITHUB)) return null;
  const r = repo.slice(GITHUB.length);
  return isGitHubRepository(r) ? r : null;
}

/** The feedstock `R` names through `repoPattern` (whole string, without regard to case), as `R` spells it. */
export function feedstockOf(repository: string, sigstore: SigstoreRegistryConfig): string | null {
  const pattern = splitRepoPattern(sigstore.repoPattern);
  if (pattern === null) return null;
  const { prefix, suffix } = pattern;
  if (repository.length <= prefix.length + suffix.length) return null;
  const lower = repository.toLowerCase();
  if (!lower.startsWith(prefix.toLowerCase()) || !lower.endsWith(suffix.toLowerCase())) return null;
  const feedstock = repository.slice(prefix.length, repository.length - suffix.length);
  return FEEDSTOCK_PART.test(feedstock) ? feedstock : null;
}

/** The rules of step 4's table, by number, that `p` fails for this identity (empty: it matches). */
export function failedRules(
  p: RegistryPublisher,
  id: CertificateIdentity,
  repository: string,
  sigstore: SigstoreRegistryConfig,
): string[] {
  const c = id.claims;
  const failed: string[] = [];
  if (c.issuer !== sigstore.issuer) failed.push('issuer');
  if (
    c.ownerId === undefined ||
    c.ownerId !== p.ownerId ||
    (sigstore.ownerId !== null && c.ownerId !== sigstore.ownerId)
  )
    failed.push('ownerId');
  if (c.repositoryId !== p.repositoryId) failed.push('repositoryId');
  if (repository.toLowerCase() !== p.repository.toLowerCase()) failed.push('repository');
  const base = `${GITHUB}${repository}/${p.workflow}@`;
  const caller =
    c.buildConfig !== undefined &&
    ((c.ref !== undefined && c.buildConfig === base + c.ref) ||
      (c.commit !== undefined && c.buildConfig === base + c.commit));
  if (!caller) failed.push('workflow');
  const san = id.sanUris.length === 1 ? id.sanUris[0] : undefined;
  const signer =
    c.signer !== undefined && san === c.signer && (c.signer === c.buildConfig || p.signerWorkflows.includes(c.signer));
  if (!signer) failed.push('signer workflow');
  if (c.event === undefined || c.event.startsWith('pull_request') || !p.events.includes(c.event)) failed.push('event');
  if (c.ref === undefined || !p.refs.includes(c.ref)) failed.push('ref');
  if (p.environment !== null && c.environment !== p.environment) failed.push('environment');
  if (p.runner !== null && c.runner !== p.runner) failed.push('runner');
  return failed;
}

export type PublisherMatch =
  | { ok: true; publisher: RegistryPublisher }
  | { ok: false; reason: Extract<ReasonCode, `PUBLISHER_${string}`>; detail: string };

const usableAt = (p: RegistryPublisher, nowMs: number): 'usable' | 'revoked' | 'expired' => {
  const revokedAt = p.revokedAt === null ? null : parseUtcTime(p.revokedAt);
  if (revokedAt !== null && revokedAt <= nowMs) return 'revoked';
  const notAfter = p.notAfter === null ? null : parseUtcTime(p.notAfter);
  return notAfter !== null && nowMs >= notAfter ? 'expired' : 'usable';
};

/**
 * Step 4's outcome for a verified identity. `feedstock` is the one `R` names (null: none); `publishers` its file's
 * list; `byRepositoryId` every publisher of the registry by repositoryId (for PUBLISHER_RENAMED).
 */
export function matchPublisher(
  id: CertificateIdentity,
  repository: string | null,
  feedstock: string | null,
  publishers: readonly RegistryPublisher[],
  byRepositoryId: ReadonlyMap<string, readonly IndexedPublisher[]>,
  sigstore: SigstoreRegistryConfig,
  nowMs: number,
): PublisherMatch {
  const r = repository ?? '';
  const scored = feedstock === null ? [] : publishers.map((p) => ({ p, failed: failedRules(p, id, r, sigstore) }));
  const matching = scored.filter((s) => s.failed.length === 0).map((s) => s.p);
  const usable = matching.find((p) => usableAt(p, nowMs) === 'usable');
  if (usable !== undefined) return { ok: true, publisher: usable };
  const revoked = matching.find((p) => usableAt(p, nowMs) === 'revoked');
  if (revoked !== undefined)
    return {
      ok: false,
      reason: 'PUBLISHER_REVOKED',
      detail: `only publisher "${revoked.id}" matches, and it is revoked`,
    };
  const expired = matching.find((p) => usableAt(p, nowMs) === 'expired');
  if (expired !== undefined)
    return {
      ok: false,
      reason: 'PUBLISHER_EXPIRED',
      detail: `only publisher "${expired.id}" matches, and it is past notAfter ${expired.notAfter}`,
    };
  const { repositoryId, ownerId } = id.claims;
  const renamed = (repositoryId === undefined ? [] : (byRepositoryId.get(repositoryId) ?? [])).find(
    (e) => e.publisher.ownerId === ownerId && e.publisher.repository.toLowerCase() !== r.toLowerCase(),
  );
  if (renamed !== undefined)
    return {
      ok: false,
      reason: 'PUBLISHER_RENAMED',
      detail:
        `repository id ${repositoryId} is registered as ${renamed.publisher.repository} (feedstock ` +
        `"${renamed.feedstock}", publisher "${renamed.publisher.id}"), the certificate names ${repository ?? '-'}`,
    };
  if (feedstock === null)
    return {
      ok: false,
      reason: 'PUBLISHER_UNKNOWN',
      detail:
        repository === null
          ? 'the certificate names no https://github.com/<owner>/<name> repository (.1.12)'
          : `repository ${repository} does not match the registry's repoPattern ${sigstore.repoPattern}`,
    };
  if (publishers.length === 0)
    return {
      ok: false,
      reason: 'PUBLISHER_UNKNOWN',
      detail: `feedstock "${feedstock}" (from ${r}) has no publishers in the registry`,
    };
  const closest = [...scored].sort((a, b) => a.failed.length - b.failed.length)[0]!;
  return {
    ok: false,
    reason: 'PUBLISHER_MISMATCH',
    detail:
      `no publisher of "${feedstock}" matches the certificate (${describe(id)}); closest, ` +
      `"${closest.p.id}", fails: ${closest.failed.join(', ')}`,
  };
}

/** The identity, briefly, for a detail (claims are the CI's own words, bounded by the certificate's size). */
function describe(id: CertificateIdentity): string {
  const c = id.claims;
  const show = (v: string | undefined): string => (v === undefined ? '-' : v.slice(0, 200));
  return (
    `workflow ${show(c.buildConfig)}, signer ${show(c.signer)}, event ${show(c.event)}, ref ${show(c.ref)}, ` +
    `environment ${show(c.environment)}, runner ${show(c.runner)}, issuer ${show(c.issuer)}, ` +
    `repository id ${show(c.repositoryId)}, owner id ${show(c.ownerId)}`
  );
}
