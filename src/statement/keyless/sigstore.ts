// The one adapter around the Sigstore libraries (keyless-v1 step 3): @sigstore/verify 3.1.x, @sigstore/bundle 4.0,
// @sigstore/core 3.2 and @sigstore/tuf 4.0, the last line for Node 20. Nothing else in forgegate imports @sigstore/*,
// so moving to the 4.x line (Node 22, Rekor v2 entries) replaces this file only. Its callers have already done
// step 2 (bundle.ts); the library's own identity policy is never used (its SAN check is an unanchored regex).
import { createHash } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { initTUF } from '@sigstore/tuf';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';

/** What step 3 says about one bundle. */
export type CryptoVerdict =
  | {
      ok: true;
      /** Every verified signing time (keyless-v1 3.1), in ms: RFC 3161 times and integrated times with a SET. */
      signingTimesMs: number[];
    }
  /** `format`: the library could not read the bundle at all (step 2); `crypto`: it does not verify (step 3). */
  | { ok: false; stage: 'format' | 'crypto'; detail: string };

/** A trusted root, parsed once per run: verifies bundles against it. */
export interface KeylessTrust {
  /** sha256 of the trusted_root.json bytes the run uses (recorded in the plan and the ledger). */
  readonly rootSha256: string;
  verify(bundle: unknown): CryptoVerdict;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

class LibraryTrust implements KeylessTrust {
  readonly rootSha256: string;
  readonly #verifier: Verifier;

  constructor(rootJson: unknown, rootSha256: string) {
    this.rootSha256 = rootSha256;
    this.#verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(rootJson)));
  }

  verify(json: unknown): CryptoVerdict {
    let entity: ReturnType<typeof toSignedEntity>;
    let bundle: ReturnType<typeof bundleFromJSON>;
    try {
      bundle = bundleFromJSON(json);
      entity = toSignedEntity(bundle);
    } catch (e) {
      return { ok: false, stage: 'format', detail: `not a Sigstore bundle the verifier reads: ${message(e)}` };
    }
    try {
      this.#verifier.verify(entity);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return { ok: false, stage: 'crypto', detail: `${typeof code === 'string' ? `${code}: ` : ''}${message(e)}` };
    }
    // The verifier checked every SET and every RFC 3161 timestamp it was given, and threw on any failure, but it
    // returns none of the times: recompute them from what it verified. An integrated time without a SET is no
    // signing time (the checkpoint does not sign it).
    const times: number[] = [];
    for (const entry of bundle.verificationMaterial.tlogEntries)
      if (entry.inclusionPromise !== undefined) times.push(Number(entry.integratedTime) * 1000);
    for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [])
      times.push(RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime.getTime());
    if (times.length === 0 || times.some((t) => !Number.isFinite(t)))
      return { ok: false, stage: 'crypto', detail: 'TIMESTAMP_ERROR: no verified signing time' };
    return { ok: true, signingTimesMs: times };
  }
}

/** A trusted root from the bytes of a trusted_root.json; throws (with the library's words) when it is not one. */
export function trustFromRootBytes(bytes: Uint8Array): KeylessTrust {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const json: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  return new LibraryTrust(json, sha256);
}

/**
 * The Sigstore public-good trusted root through TUF: a refresh of root, timestamp, snapshot and targets from the
 * embedded seed into `cachePath`, then trusted_root.json. Throws when any of it fails or has expired: the caller then
 * has no root (a cached or stale one is never used).
 */
export async function fetchPublicGoodRoot(cachePath: string, timeoutMs: number): Promise<Uint8Array> {
  // initTUF refreshes the metadata (throwing on any failure or expiry); getTarget then reads the target it lists,
  // checked against the refreshed targets metadata.
  const client = await initTUF({ cachePath, timeout: timeoutMs, retry: { retries: 1 }, forceCache: false });
  return Buffer.from(await client.getTarget('trusted_root.json'), 'utf8');
}
