// The attestations a folder channel serves beside a package file F, in the form conda clients read today (CEP draft
// conda/ceps#142, rattler-index and `rattler upload` since conda/rattler#2773):
//   F.sigs            a non-empty JSON array of Sigstore bundles, each element exactly the bytes that verified
//   F.sigs.<sha256>   the same bytes under their own sha256 (rattler-index requires it, with identical bytes)
// and `attestations_sha256` (the sha256 of F.sigs, lowercase hex) in F's record in every index form; absent, the
// package has no attestations. Both files are write-once: the same bytes again are nothing to do (a rerun), other
// bytes are a failure that writes nothing more. They are placed before any index form advertises them.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ForgegateError } from '../../errors.js';
import type { ServedBundle } from '../../ports/target.js';
import { writeFileAtomicNoClobber, copyFileAtomicNoClobber } from '../../util/atomic-write.js';
import { digestFile, sha256Hex } from '../../util/digest.js';

export const SIGS_SUFFIX = '.sigs';
/** The record field that advertises F.sigs (rattler's PackageRecord field of the same name). */
export const ATTESTATIONS_FIELD = 'attestations_sha256';

export const sidecarName = (filename: string): string => `${filename}${SIGS_SUFFIX}`;
export const immutableSidecarName = (filename: string, sha256: string): string => `${sidecarName(filename)}.${sha256}`;

/**
 * The bytes of F.sigs: `[`, each bundle's bytes as verified, `,` between, `]`. Each bundle passed keyless-v1's strict
 * JSON rule (UTF-8, one value, no BOM, no duplicate key), so the array is JSON and each element reads back as the
 * very object that verified. Throws, writing nothing, when a bundle's bytes are not the ones verified.
 */
export function sidecarBytes(filename: string, bundles: readonly ServedBundle[]): Buffer {
  if (bundles.length === 0) throw new Error(`no bundle to serve beside ${filename} (bug)`);
  const parts: Buffer[] = [Buffer.from('[')];
  for (const [i, b] of bundles.entries()) {
    // The last moment before the bytes are served: they must be the ones verification hashed.
    const actual = sha256Hex(b.bytes);
    if (actual !== b.sha256)
      throw new Error(
        `refusing to serve the attestation of ${filename}: its bundle bytes hash to ${actual}, not the verified ` +
          `${b.sha256}; nothing was published, the next run re-plans`,
      );
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(Buffer.from(b.bytes));
  }
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}

function differs(dir: string, name: string, sha256: string): ForgegateError {
  return new ForgegateError(
    'FG_STORE_CONFLICT',
    `${join(dir, name)} already exists with other bytes than the verified attestation (sha256 ${sha256}); ` +
      'nothing is ever overwritten, so nothing was published',
    {
      fix:
        'An admin finds out who wrote it: a sidecar no index record advertises may be removed, then the next run ' +
        'publishes; one a record advertises belongs to a published file and stays.',
      transient: true,
    },
  );
}

/** Place `bytes` at dir/name unless that exact content is there already; other bytes there throw. */
async function placeOnce(
  dir: string,
  name: string,
  place: () => Promise<'created' | 'exists'>,
  sha256: string,
): Promise<void> {
  if ((await place()) === 'exists' && (await digestFile(join(dir, name))).sha256 !== sha256)
    throw differs(dir, name, sha256);
}

/**
 * Write F.sigs.<sha256> and then F.sigs in `dir` (the immutable copy first, as rattler's uploader does), each
 * write-once; returns the sha256 the record advertises.
 */
export async function placeSidecar(
  dir: string,
  filename: string,
  bundles: readonly ServedBundle[],
  tmpDir: string,
): Promise<string> {
  const bytes = sidecarBytes(filename, bundles);
  const sha256 = sha256Hex(bytes);
  for (const name of [immutableSidecarName(filename, sha256), sidecarName(filename)])
    await placeOnce(dir, name, () => writeFileAtomicNoClobber(join(dir, name), bytes, { tmpDir }), sha256);
  return sha256;
}

/** The sha256 a record advertises its sidecar by, or null when it advertises none. */
export function advertisedSidecar(record: Record<string, unknown>): string | null {
  const v = record[ATTESTATIONS_FIELD];
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : null;
}

/** Does `dir` serve F.sigs with exactly the advertised bytes? */
export async function servesSidecar(dir: string, filename: string, sha256: string): Promise<boolean> {
  const held = await digestFile(join(dir, sidecarName(filename))).catch(() => null);
  return held !== null && held.sha256 === sha256;
}

/** Copy F's sidecar files to another folder (a yank), write-once; the source must hold the advertised bytes. */
export async function copySidecar(
  from: string,
  to: string,
  filename: string,
  sha256: string,
  tmpDir: string,
): Promise<void> {
  if (!(await servesSidecar(from, filename, sha256)))
    throw new Error(`${join(from, sidecarName(filename))} does not hold the attestations its record advertises`);
  for (const name of [immutableSidecarName(filename, sha256), sidecarName(filename)])
    await placeOnce(
      to,
      name,
      () => copyFileAtomicNoClobber(join(from, sidecarName(filename)), join(to, name), { tmpDir }),
      sha256,
    );
}

/** Remove F's sidecar files from `dir` once no form names F there, only if they are the advertised bytes. */
export async function removeSidecar(dir: string, filename: string, sha256: string): Promise<void> {
  for (const name of [sidecarName(filename), immutableSidecarName(filename, sha256)]) {
    const held = await digestFile(join(dir, name)).catch(() => null);
    if (held !== null && held.sha256 === sha256) await unlink(join(dir, name)).catch(() => undefined);
  }
}
