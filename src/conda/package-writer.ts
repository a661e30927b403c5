// Writes real conda packages for the demo, tests and benchmarks: .conda here; .tar.bz2 with a bzip2 compressor the
// caller passes (forgegate itself only ever reads bzip2, so it ships no compressor: test/helpers/packages.ts has one).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compress } from 'zstd-napi';
import type { Digests } from '../model.js';
import { digestBytes, sha256Hex } from '../util/digest.js';
import { tarOf, type TarEntry, type TarStyle } from './tar-write.js';
import { zipStored, type Zip64Style } from './zip-write.js';

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
  extraEntries?: TarEntry[];
  /** Override or add info/index.json fields (null deletes one). */
  indexOverrides?: Record<string, unknown>;
  /** Other info/ files (e.g. `run_exports.json`), name under info/ → content. */
  infoFiles?: Record<string, string>;
  /** ms; fixed by default so the bytes are reproducible. */
  timestamp?: number;
  /** zstd level for .conda parts (default 19, as conda-build uses); benchmarks build thousands with 1. */
  zstdLevel?: number;
  /** Zip64 headers as conda-build (`local`) or rattler-build (`full`) write them; default `local`. */
  zip64?: Zip64Style;
  /** Tar headers as Python's tarfile (`pax`, default: conda-build, cph) or rattler-build (`gnu-rust`) write them. */
  tarStyle?: TarStyle;
  /**
   * info/ files (path → content) that conda-package-handling < 2.5 left in the payload part of a .conda (it kept
   * only a fixed list of names in the info part): e.g. `info/licenses/LICENSE`. In a .tar.bz2 they are ordinary
   * members.
   */
  infoInPayload?: Record<string, string | Uint8Array>;
  /** info/index.json byte for byte, instead of the one built from the fields above (tests of unusual JSON). */
  indexJsonText?: string;
  /** The .conda's metadata.json: its exact bytes ('' for an empty one, as old converters wrote), or null for none. */
  metadataJson?: string | null;
}

const MTIME_MS = Date.parse('2026-01-01T00:00:00Z');

/** zstd compression through libzstd (zstd-napi), with a content checksum as the zstd CLI writes by default. */
export function compressZstd(data: Uint8Array, level = 19): Uint8Array {
  return compress(data, { compressionLevel: level, checksumFlag: true });
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
    timestamp: spec.timestamp ?? MTIME_MS,
    version: spec.version,
  };
  if (spec.noarch) index['noarch'] = spec.noarch;
  for (const [k, v] of Object.entries(spec.indexOverrides ?? {})) {
    if (v === null) Reflect.deleteProperty(index, k);
    else index[k] = v;
  }
  return index;
}

function infoEntries(spec: PackageSpec, payload: TarEntry[]): TarEntry[] {
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
    {
      name: 'info/index.json',
      type: 'file',
      content: spec.indexJsonText ?? `${JSON.stringify(indexJson(spec), null, 2)}\n`,
    },
    { name: 'info/paths.json', type: 'file', content: `${JSON.stringify({ paths, paths_version: 1 }, null, 2)}\n` },
    { name: 'info/files', type: 'file', content: `${files.join('\n')}\n` },
    ...Object.entries(spec.infoFiles ?? {}).map(([name, content]): TarEntry => ({
      name: `info/${name}`,
      type: 'file',
      content,
    })),
  ];
}

export interface WriterOptions {
  /** bzip2 compression, for a .tar.bz2 (none is needed for a .conda). */
  bzip2?: (data: Uint8Array) => Uint8Array;
}

/** A package's file name and bytes, built in memory. */
export function packageBytes(spec: PackageSpec, opts: WriterOptions = {}): { filename: string; bytes: Buffer } {
  const files = spec.files ?? { [`share/${spec.name}/README`]: `${spec.name} ${spec.version}\n` };
  const listed: TarEntry[] = Object.entries(files).map(([name, content]): TarEntry => ({
    name,
    type: 'file',
    content,
  }));
  const strayInfo: TarEntry[] = Object.entries(spec.infoInPayload ?? {}).map(([name, content]): TarEntry => ({
    name,
    type: 'file',
    content,
  }));
  const payload: TarEntry[] = [...listed, ...(spec.extraEntries ?? [])];
  const info = infoEntries(spec, listed);
  const style = spec.tarStyle ?? 'pax';
  const stem = `${spec.name}-${spec.version}-${spec.build}`;
  const filename = `${stem}.${spec.format}`;
  let bytes: Buffer;
  if (spec.format === 'tar.bz2') {
    if (opts.bzip2 === undefined) throw new Error(`writing ${filename} needs a bzip2 compressor (opts.bzip2)`);
    bytes = Buffer.from(opts.bzip2(tarOf([...info, ...strayInfo, ...payload], style)));
  } else {
    bytes = zipStored(
      [
        ...(spec.metadataJson === null
          ? []
          : [
              {
                name: 'metadata.json',
                data: Buffer.from(spec.metadataJson ?? JSON.stringify({ conda_pkg_format_version: 2 })),
              },
            ]),
        { name: `info-${stem}.tar.zst`, data: compressZstd(tarOf(info, style), spec.zstdLevel) },
        { name: `pkg-${stem}.tar.zst`, data: compressZstd(tarOf([...strayInfo, ...payload], style), spec.zstdLevel) },
      ],
      spec.zip64 ?? 'local',
    );
  }
  return { filename, bytes };
}

export async function writeCondaPackage(
  dir: string,
  spec: PackageSpec,
  opts: WriterOptions = {},
): Promise<{ path: string; filename: string; digests: Digests }> {
  const { filename, bytes } = packageBytes(spec, opts);
  const path = join(dir, filename);
  await writeFile(path, bytes);
  return { path, filename, digests: digestBytes(bytes) };
}
