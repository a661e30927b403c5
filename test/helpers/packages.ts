// Real conda packages for tests and benchmarks, in both formats: src/conda/package-writer.ts with a bzip2
// compressor (compressjs, a dev dependency: forgegate itself only reads bzip2).
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import * as writer from '../../src/conda/package-writer.js';
import type { ArtifactFacts, Digests } from '../../src/model.js';
import { verifyArtifact } from '../../src/conda/verify-artifact.js';
import type { QuarantinedCopy } from '../../src/ports/quarantine.js';

const require = createRequire(import.meta.url);
const { Bzip2 } = require('compressjs') as { Bzip2: { compressFile(data: Uint8Array): Uint8Array } };

export type { PackageSpec } from '../../src/conda/package-writer.js';
export { compressZstd } from '../../src/conda/package-writer.js';

/** bzip2 as the `bzip2` CLI writes it (900k blocks), in pure JS. */
export function compressBzip2(data: Uint8Array): Buffer {
  return Buffer.from(Bzip2.compressFile(data));
}

/** A package's file name and bytes, built in memory (.conda or .tar.bz2). */
export function packageBytes(spec: writer.PackageSpec): { filename: string; bytes: Buffer } {
  return writer.packageBytes(spec, { bzip2: compressBzip2 });
}

/** Write a package into `dir`: its path, file name and the digests a statement binds. */
export function writeCondaPackage(
  dir: string,
  spec: writer.PackageSpec,
): Promise<{ path: string; filename: string; digests: Digests }> {
  return writer.writeCondaPackage(dir, spec, { bzip2: compressBzip2 });
}

/** A linux-64 `.conda` written into `dir` and verified as the applier would, ready to hand to a target's publish(). */
export async function verifiedCopy(
  dir: string,
  name: string,
  files: Record<string, string>,
): Promise<{ copy: QuarantinedCopy; facts: ArtifactFacts }> {
  const r = await writeCondaPackage(dir, {
    name,
    version: '1.0',
    build: 'h0_0',
    subdir: 'linux-64',
    format: 'conda',
    files,
  });
  const check = await verifyArtifact(createReadStream(r.path), {
    filename: r.filename,
    subdir: 'linux-64',
    size: r.digests.size,
  });
  if (!check.ok) throw new Error(check.detail);
  return { copy: { subdir: 'linux-64', filename: r.filename, handle: r.path }, facts: check.facts };
}
