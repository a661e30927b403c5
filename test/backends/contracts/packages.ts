// Real conda packages for the contract suites, built once per process and shared by every backend's run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeCondaPackage } from '../../helpers/packages.js';
import { verifyArtifact } from '../../../src/conda/verify-artifact.js';
import type { ArtifactFacts } from '../../../src/model.js';

export interface BuiltPackage {
  name: string;
  version: string;
  subdir: string;
  filename: string;
  bytes: Buffer;
  /** What a full verification of `bytes` established (digests included): what the applier passes to publish(). */
  facts: ArtifactFacts;
}

export interface PackageRequest {
  name: string;
  version?: string;
  subdir?: string;
  format?: 'conda' | 'tar.bz2';
  /** Payload files: packages that differ only here share a filename but not their bytes. */
  files?: Record<string, string>;
}

const built = new Map<string, Promise<BuiltPackage>>();

async function build(
  r: Required<Omit<PackageRequest, 'files'>> & Pick<PackageRequest, 'files'>,
): Promise<BuiltPackage> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-contract-pkg-'));
  try {
    const out = await writeCondaPackage(dir, {
      name: r.name,
      version: r.version,
      build: 'h0_0',
      subdir: r.subdir,
      format: r.format,
      zstdLevel: 1,
      ...(r.files ? { files: r.files } : {}),
    });
    const bytes = readFileSync(out.path);
    const check = await verifyArtifact(Readable.from([bytes]), {
      filename: out.filename,
      subdir: r.subdir,
      size: bytes.length,
    });
    if (!check.ok) throw new Error(`test package ${out.filename} does not verify: ${check.detail}`);
    return { name: r.name, version: r.version, subdir: r.subdir, filename: out.filename, bytes, facts: check.facts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real, verifiable conda package (default 1.0, linux-64, .conda). Same request → same bytes. */
export function condaPackage(request: PackageRequest): Promise<BuiltPackage> {
  const r = { version: '1.0', subdir: 'linux-64', format: 'conda' as const, ...request };
  const key = JSON.stringify([r.name, r.version, r.subdir, r.format, r.files ?? null]);
  let p = built.get(key);
  if (!p) {
    p = build(r);
    built.set(key, p);
  }
  return p;
}

/** Everything a stream yields, as one buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}
