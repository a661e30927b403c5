// Writes real conda packages (.conda and .tar.bz2) for the demo, tests and benchmarks.
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { init as zstdInit, compress as zstdCompress } from '@bokuweb/zstd-wasm';
import { pack } from 'tar-stream';
import type { Digests } from '../model.js';
import { sha256Hex } from '../util/digest.js';
import { createHash } from 'node:crypto';
import { zipStored } from './zip-write.js';

const require = createRequire(import.meta.url);
const { Bzip2 } = require('compressjs') as { Bzip2: { compressFile(data: Uint8Array): Uint8Array } };

export interface PackageEntry {
  name: string;
  type: 'file' | 'symlink' | 'link' | 'directory' | 'character-device';
  content?: string | Uint8Array;
  linkname?: string;
}

export interface PackageSpec {
  name: string;
  version: string;
  build: string;
  build_number?: number;
  subdir: string;
  format: 'conda' | 'tar.bz2';
  depends?: string[];
  noarch?: 'python' | 'generic';
  /** Path inside the install prefix → content. Default: one small file. */
  files?: Record<string, string | Uint8Array>;
  /** Raw tar entries appended to the payload, for tests of unsafe archives. */
  extraEntries?: PackageEntry[];
  /** Override or add info/index.json fields (null deletes one). */
  indexOverrides?: Record<string, unknown>;
  /** ms; fixed by default so the bytes are reproducible. */
  timestamp?: number;
  /** zstd level for .conda parts (default 19, as conda-build uses); benchmarks build thousands with 1. */
  zstdLevel?: number;
}

const MTIME = new Date('2026-01-01T00:00:00Z');
let zstdReady: Promise<void> | null = null;

/** zstd compression; the WASM module is initialised once per process (a second init() resets it). */
export async function compressZstd(data: Uint8Array, level = 19): Promise<Uint8Array> {
  zstdReady ??= zstdInit();
  await zstdReady;
  return zstdCompress(Buffer.from(data), level);
}

function indexJson(spec: PackageSpec): Record<string, unknown> {
  const [platform, arch] = spec.subdir === 'noarch' ? [null, null] : spec.subdir.split('-');
  const index: Record<string, unknown> = {
    arch:
      arch === null ? null : ({ '64': 'x86_64', aarch64: 'aarch64', arm64: 'arm64', ppc64le: 'ppc64le' }[arch] ?? arch),
    build: spec.build,
    build_number: spec.build_number ?? Number(/_(\d+)$/.exec(spec.build)?.[1] ?? 0),
    depends: spec.depends ?? [],
    license: 'BSD-3-Clause',
    name: spec.name,
    platform: platform === 'osx' ? 'osx' : platform,
    subdir: spec.subdir,
    timestamp: spec.timestamp ?? MTIME.getTime(),
    version: spec.version,
  };
  if (spec.noarch) index['noarch'] = spec.noarch;
  for (const [k, v] of Object.entries(spec.indexOverrides ?? {})) {
    if (v === null) Reflect.deleteProperty(index, k);
    else index[k] = v;
  }
  return index;
}

export async function tarOf(entries: PackageEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.from(e.content);
    const header = {
      name: e.name,
      type: e.type,
      mode: e.type === 'directory' ? 0o755 : 0o644,
      mtime: MTIME,
      uid: 0,
      gid: 0,
      ...(e.linkname ? { linkname: e.linkname } : {}),
      ...(body ? { size: body.length } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (body) p.entry(header, body, cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function infoEntries(spec: PackageSpec, payload: PackageEntry[]): PackageEntry[] {
  const files = payload.filter((e) => e.type === 'file' || e.type === 'symlink').map((e) => e.name);
  const paths = payload
    .filter((e) => e.type === 'file')
    .map((e) => ({
      _path: e.name,
      path_type: 'hardlink',
      sha256: sha256Hex(Buffer.from(e.content ?? '')),
      size_in_bytes: Buffer.from(e.content ?? '').length,
    }));
  return [
    { name: 'info/index.json', type: 'file', content: `${JSON.stringify(indexJson(spec), null, 2)}\n` },
    { name: 'info/paths.json', type: 'file', content: `${JSON.stringify({ paths, paths_version: 1 }, null, 2)}\n` },
    { name: 'info/files', type: 'file', content: `${files.join('\n')}\n` },
  ];
}

export async function writeCondaPackage(
  dir: string,
  spec: PackageSpec,
): Promise<{ path: string; filename: string; digests: Digests }> {
  const files = spec.files ?? { [`share/${spec.name}/README`]: `${spec.name} ${spec.version}\n` };
  const payload: PackageEntry[] = [
    ...Object.entries(files).map(([name, content]): PackageEntry => ({ name, type: 'file', content })),
    ...(spec.extraEntries ?? []),
  ];
  const info = infoEntries(
    spec,
    payload.filter((e) => !(spec.extraEntries ?? []).includes(e)),
  );
  const stem = `${spec.name}-${spec.version}-${spec.build}`;
  const filename = `${stem}.${spec.format}`;
  let bytes: Buffer;
  if (spec.format === 'tar.bz2') {
    bytes = Buffer.from(Bzip2.compressFile(await tarOf([...info, ...payload])));
  } else {
    bytes = zipStored([
      { name: 'metadata.json', data: Buffer.from(JSON.stringify({ conda_pkg_format_version: 2 })) },
      { name: `info-${stem}.tar.zst`, data: await compressZstd(await tarOf(info), spec.zstdLevel) },
      { name: `pkg-${stem}.tar.zst`, data: await compressZstd(await tarOf(payload), spec.zstdLevel) },
    ]);
  }
  const path = join(dir, filename);
  await writeFile(path, bytes);
  return {
    path,
    filename,
    digests: { size: bytes.length, sha256: sha256Hex(bytes), md5: createHash('md5').update(bytes).digest('hex') },
  };
}
