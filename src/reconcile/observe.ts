// Observe the world afresh each run (level-based, like a Kubernetes controller): staging, target, registry, ledger.
import { artifactTwin, parseArtifactFilename } from '../conda/filename.js';
import { ForgegateError, isForgegateError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RegistrySource } from '../ports/registry.js';
import type { StagedSignature, StagingListing } from '../ports/staging.js';
import type { Digests } from '../model.js';
import { claimedRepository } from '../plan/check-evidence.js';
import type { TrustState } from './trust-root.js';
import type { Stores } from '../ports/stores.js';
import type { TargetListing } from '../ports/target.js';
import { artifactKey, sightingsOf } from '../plan/identity.js';
import { claimedSubject, pairSignatures } from '../plan/pair-signatures.js';
import pLimit from 'p-limit';
import type { Observation } from '../plan/types.js';
import { noLedgerFacts, type LedgerFacts } from '../ports/ledger-facts.js';
import { indexStaging, type StagedIndex } from '../plan/staged-index.js';

function storeError(what: string, e: unknown): ForgegateError {
  if (isForgegateError(e)) return e;
  return new ForgegateError('FG_STORE_UNAVAILABLE', `cannot list ${what}: ${(e as Error).message}`, {
    transient: true,
    cause: e,
  });
}

export async function observe(
  stores: Stores,
  registry: RegistrySource,
  ledger: Ledger | null,
  nowMs: number,
  onProgress?: (done: number, total: number) => void,
  /** The run's Sigstore trusted root, asked for only when a bundle is staged (at most once per run). */
  trustRoot: () => Promise<TrustState> = () => Promise.resolve({ trust: null, unavailable: 'no trusted root given' }),
): Promise<{ observation: Observation; index: StagedIndex; sightings: string[] }> {
  let staging: StagingListing;
  // The machine clock, even for a plan at another time: what is not in the ledger is first seen now.
  const observedAtMs = Date.now();
  try {
    onProgress?.(0, 3);
    staging = await stores.staging.list();
  } catch (e) {
    throw storeError('staging', e);
  }
  let read = 1;
  onProgress?.(read, 3);
  const names = new Set<string>();
  for (const a of staging.artifacts) {
    const parsed = parseArtifactFilename(a.filename);
    if (parsed) names.add(parsed.name);
  }
  // What each signature claims: whose keys to read, and (for crash debris) which publications to look up.
  const feedstocks = new Set<string>();
  const keys = new Set(staging.artifacts.map((a) => artifactKey(a.subdir, a.filename)));
  // The other format of each staged name-version-build is the same package: the target and the ledger are asked
  // about it too.
  const focus = staging.artifacts.flatMap((a) => [
    { subdir: a.subdir, filename: a.filename },
    { subdir: a.subdir, filename: artifactTwin(a.filename) },
  ]);
  for (const f of focus) keys.add(artifactKey(f.subdir, f.filename));
  // A bundle's certificate names a repository: the registry maps it to the feedstock whose keys file is read.
  const bundles = staging.signatures.filter((s) => s.kind === 'sigstore.json');
  const repositories = new Set<string>();
  for (const b of bundles) {
    const repository = claimedRepository(b);
    if (repository !== null) repositories.add(repository);
  }
  for (const s of staging.signatures) {
    const claim = claimedSubject(s);
    if (!claim) continue;
    feedstocks.add(claim.feedstock);
    keys.add(artifactKey(claim.subdir, claim.filename));
  }
  stores.target.focus?.(focus);
  const [target, snapshot] = await Promise.all([
    stores.target.list().then(
      (t) => {
        onProgress?.(++read, 3);
        return t;
      },
      (e: unknown): TargetListing => {
        throw storeError('target', e);
      },
    ),
    registry
      .snapshot({
        names: [...names].sort(),
        feedstocks: [...feedstocks].sort(),
        ...(bundles.length > 0 ? { repositories: [...repositories].sort(), publisherIndex: true } : {}),
      })
      .then((snap) => {
        onProgress?.(++read, 3);
        return snap;
      })
      .catch((e: unknown) => {
        if (isForgegateError(e)) throw e;
        throw new ForgegateError(
          'FG_REGISTRY_UNAVAILABLE',
          `cannot read the registry (${registry.description}): ${(e as Error).message}`,
          { transient: true, cause: e },
        );
      }),
  ]);
  const sightings = sightingsOf(staging);
  const facts: LedgerFacts = ledger ? ledger.lookup(keys, sightings) : noLedgerFacts();
  const index: StagedIndex = indexStaging(staging);
  const keyless =
    bundles.length > 0 && snapshot.config.sigstore !== undefined
      ? await observeKeyless(stores, staging, bundles, index, trustRoot)
      : undefined;
  return {
    observation: {
      nowMs,
      observedAtMs,
      staging,
      target,
      registry: snapshot,
      ledger: facts,
      ...(keyless !== undefined ? { keyless } : {}),
    },
    index,
    sightings,
  };
}

/**
 * What checking bundles needs beyond the listing: the trusted root, and the digests of each artifact a bundle lies
 * beside (a bundle binds a sha256 only; the applier checks the quarantined copy against these digests again).
 */
async function observeKeyless(
  stores: Stores,
  staging: StagingListing,
  bundles: StagedSignature[],
  index: StagedIndex,
  trustRoot: () => Promise<TrustState>,
): Promise<NonNullable<Observation['keyless']>> {
  const digests = new Map<string, Digests | { error: string }>();
  const keys = pairSignatures(staging.artifacts, bundles).byArtifact.keys();
  const limit = pLimit(4);
  const [state] = await Promise.all([
    trustRoot(),
    ...[...keys].map((key) =>
      limit(async () => {
        const artifact = index.artifacts.get(key);
        if (artifact === undefined) return;
        try {
          digests.set(key, await stores.staging.digest(artifact));
        } catch (e) {
          digests.set(key, { error: (e as Error).message.split('\n')[0]!.slice(0, 300) });
        }
      }),
    ),
  ]);
  return {
    trust: state.trust,
    ...(state.unavailable !== undefined ? { unavailable: state.unavailable } : {}),
    digests,
  };
}
