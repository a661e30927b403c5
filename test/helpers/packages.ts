// Real conda packages for tests and benchmarks, in both formats: src/conda/package-writer.ts with a bzip2
// compressor (compressjs, a dev dependency: forgegate itself only reads bzip2).
import { createRequire } from 'node:module';
import * as writer from '../../src/conda/package-writer.js';
import type { Digests } from '../../src/model.js';

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
