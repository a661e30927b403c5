// Hostile artifacts for the bounds benchmark: each is small on disk and huge (or poisonous) unpacked. Built from
// zstd RLE blocks and bzip2 of zeros, so no gigabyte ever exists in the benchmark process either.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compress } from 'zstd-napi';
import { tarData, tarHeader } from '../src/conda/tar-write.js';
import { zipStored } from '../src/conda/zip-write.js';

const STEM = 'bomb-1.0-h0_0';
const INDEX = JSON.stringify({ name: 'bomb', version: '1.0', build: 'h0_0', build_number: 0, subdir: 'linux-64' });
const BLOCK = 128 * 1024;

/** A zstd frame (128 KiB window) from explicit bytes and runs of one byte (RLE blocks of 4 bytes each). */
function zstdFrame(pieces: (Buffer | { byte: number; count: number })[]): Buffer {
  const out: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  const blocks: Buffer[] = [];
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) {
      for (let at = 0; at < p.length; at += BLOCK)
        blocks.push(Buffer.concat([Buffer.alloc(3), p.subarray(at, at + BLOCK)]));
    } else {
      for (let left = p.count; left > 0; left -= BLOCK) {
        const h = Buffer.alloc(4);
        h.writeUIntLE((Math.min(left, BLOCK) << 3) | (1 << 1), 0, 3);
        h[3] = p.byte;
        blocks.push(h);
      }
    }
  }
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    if (b.length === 4 && (b.readUIntLE(0, 3) & 6) === 2) b.writeUIntLE(b.readUIntLE(0, 3) | last, 0, 3);
    else b.writeUIntLE(((b.length - 3) << 3) | last, 0, 3);
    out.push(b);
  });
  return Buffer.concat(out);
}

function conda(pkgFrame: Buffer): Buffer {
  const infoTar = Buffer.concat([
    tarHeader({ name: 'info/index.json', size: INDEX.length }),
    tarData(Buffer.from(INDEX)),
    Buffer.alloc(1024),
  ]);
  return zipStored(
    [
      { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
      { name: `info-${STEM}.tar.zst`, data: compress(infoTar) },
      { name: `pkg-${STEM}.tar.zst`, data: pkgFrame },
    ],
    'local',
  );
}

export interface Bomb {
  name: string;
  path: string;
  unpacks: string;
}

/** Write the three bombs of the issue into `dir`. */
export async function writeBombs(dir: string): Promise<Bomb[]> {
  const GiB = 1024 ** 3;
  // 1. A .conda of ~65 KiB whose payload is one 2 GiB file of zeros.
  const zeros = conda(zstdFrame([tarHeader({ name: 'zeros.bin', size: 2 * GiB }), { byte: 0, count: 2 * GiB + 1024 }]));
  // 2. A .tar.bz2 of well under 1 KiB: bzip2 of 1 GiB of zeros behind a tar header.
  const tar = Buffer.concat([
    tarHeader({ name: 'info/index.json', size: INDEX.length }),
    tarData(Buffer.from(INDEX)),
    tarHeader({ name: 'zeros.bin', size: GiB }),
  ]);
  const bz = execFileSync('sh', ['-c', `{ cat; head -c ${GiB + 1024} /dev/zero; } | bzip2 -9`], {
    input: tar,
    maxBuffer: 1 << 24,
  });
  // 3. 300 pax headers of 4 MiB paths each: 1.2 GB of paths that crashed the heap.
  const poison: (Buffer | { byte: number; count: number })[] = [];
  const value = 4 * 1024 * 1024;
  const len = value + 7 + String(value + 7 + 7).length; // "<len> path=<value>\n", the length counting its digits
  for (let i = 0; i < 300; i++) {
    const head = Buffer.from(`${len} path=`);
    poison.push(tarHeader({ name: 'PaxHeader', typeflag: 'x', size: len }), head, { byte: 0x61, count: value });
    poison.push(Buffer.from('\n'), Buffer.alloc((512 - (len % 512)) % 512), tarHeader({ name: `f${i}` }));
  }
  poison.push(Buffer.alloc(1024));
  const files: [string, string, Buffer, string][] = [
    ['zstd bomb (.conda)', `${STEM}.conda`, zeros, '2 GiB'],
    ['bzip2 bomb (.tar.bz2)', `${STEM}.tar.bz2`, bz, '1 GiB'],
    ['pax poison (.conda)', `poison/${STEM}.conda`, conda(zstdFrame(poison)), '300 × 4 MiB paths'],
  ];
  const out: Bomb[] = [];
  for (const [name, file, bytes, unpacks] of files) {
    const p = join(dir, file);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, bytes);
    out.push({ name: `${name}, ${bytes.length} bytes`, path: p, unpacks });
  }
  return out;
}

/** A valid .tar.bz2 whose payload is `bytes` of varied text, compressed by bzip2 -9 as conda-build's were. */
export async function writeTextTarBz2(dir: string, bytes: number): Promise<{ path: string; size: number }> {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `${i.toString(36)} ${Math.sin(i).toString(36).slice(2, 14)} payload line of a conda package\n`;
    lines.push(line);
    n += line.length;
  }
  const text = Buffer.from(lines.join('')).subarray(0, bytes);
  const tar = Buffer.concat([
    tarHeader({ name: 'info/index.json', size: INDEX.length }),
    tarData(Buffer.from(INDEX)),
    tarHeader({ name: 'share/bomb/text.txt', size: text.length }),
    tarData(text),
    Buffer.alloc(1024),
  ]);
  const path = join(dir, 'text', `${STEM}.tar.bz2`);
  await mkdir(dirname(path), { recursive: true });
  const packed = execFileSync('bzip2', ['-9', '-c'], { input: tar, maxBuffer: 1 << 28 });
  await writeFile(path, packed);
  return { path, size: packed.length };
}
