// The run's Sigstore trusted root (keyless-v1, "Trusted root"), had once per run and only when a bundle is staged:
// the file `sigstore.trustedRoot` names (tests, the demo), else the public-good root refreshed through TUF into a
// folder beside the ledger. Whatever fails, the run goes on without a root: bundles wait (TRUST_ROOT_UNAVAILABLE),
// and no cached or stale root is ever used.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config/types.js';
import { fetchPublicGoodRoot, trustFromRootBytes, type KeylessTrust } from '../statement/keyless/sigstore.js';

export interface TrustState {
  trust: KeylessTrust | null;
  /** Why there is none (said once by the run). */
  unavailable?: string;
}

/** How long one TUF request may take before the refresh counts as failed. */
const TUF_TIMEOUT_MS = 10_000;

export const tufCacheOf = (config: Pick<Config, 'ledger'>): string => join(dirname(config.ledger), 'sigstore-tuf');

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

/** Where the root comes from: a file, else the public-good root through TUF, cached in `tufCache`. */
export interface TrustSource {
  trustedRoot?: string | undefined;
  tufCache: string;
}

/** A run's source: the config's `sigstore.trustedRoot`, else TUF cached beside the ledger. */
export const trustSourceOf = (config: Pick<Config, 'ledger' | 'sigstore'>): TrustSource => ({
  trustedRoot: config.sigstore?.trustedRoot,
  tufCache: tufCacheOf(config),
});

export async function loadTrust(source: TrustSource): Promise<TrustState> {
  const file = source.trustedRoot;
  if (file !== undefined) {
    try {
      return { trust: trustFromRootBytes(await readFile(file)) };
    } catch (e) {
      return { trust: null, unavailable: `the trusted root ${file} cannot be read: ${reason(e)}` };
    }
  }
  try {
    return { trust: trustFromRootBytes(await fetchPublicGoodRoot(source.tufCache, TUF_TIMEOUT_MS)) };
  } catch (e) {
    return { trust: null, unavailable: `the Sigstore public-good trusted root could not be refreshed: ${reason(e)}` };
  }
}
