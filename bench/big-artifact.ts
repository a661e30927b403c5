// Writes a large, valid .conda without holding it in memory: a random payload in a zstd frame of raw blocks
// (what zstd itself emits for incompressible data), inside the stored zip that .conda uses.
import { createReadStream, createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { compressZstd } from '../test/helpers/packages.js';
import { centralHeader, endOfCentralDirectory, localHeader, type Zip64Style } from '../src/conda/zip-write.js';

const BLOCK = 128 * 1024;

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(Date.parse('2026-01-01') / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

async function put(out: WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** A zstd frame of raw blocks around `tar` bytes produced by `produce`. Returns size and crc of the frame. */
async function writeRawZstd(
  path: string,
  produce: (emit: (b: Buffer) => Promise<void>) => Promise<void>,
): Promise<{ size: number; crc: number }> {
  const out = createWriteStream(path);
  let size = 0;
  let crc = 0;
  const emit = async (b: Buffer): Promise<void> => {
    size += b.length;
    crc = crc32(b, crc);
    await put(out, b);
  };
  await emit(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])); // magic, no checksum/FCS, window 128 KiB
  let pending = Buffer.alloc(0);
  const block = async (data: Buffer, last: boolean): Promise<void> => {
    const header = Buffer.alloc(3);
    header.writeUIntLE((data.length << 3) | (last ? 1 : 0), 0, 3);
    await emit(Buffer.concat([header, data]));
  };
  await produce(async (b) => {
    pending = Buffer.concat([pending, b]);
    while (pending.length > BLOCK) {
      await block(pending.subarray(0, BLOCK), false);
      pending = pending.subarray(BLOCK);
    }
  });
  await block(pending, true);
  out.end();
  await once(out, 'finish');
  return { size, crc: crc >>> 0 };
}

export async function writeBigConda(
  dir: string,
  payloadBytes: number,
  style: Zip64Style = 'none',
): Promise<{ path: string; filename: string; size: number }> {
  const stem = 'bigpkg-1.0-h0_0';
  const filename = `${stem}.conda`;
  const index = JSON.stringify({
    name: 'bigpkg',
    version: '1.0',
    build: 'h0_0',
    build_number: 0,
    subdir: 'linux-64',
    depends: [],
  });
  const infoTar = Buffer.concat([
    tarHeader('info/index.json', index.length),
    Buffer.from(index),
    Buffer.alloc((512 - (index.length % 512)) % 512),
    Buffer.alloc(1024),
  ]);
  const info = Buffer.from(compressZstd(infoTar, 3));
  const pkgZst = join(dir, 'pkg.tar.zst');
  const pkg = await writeRawZstd(pkgZst, async (emit) => {
    await emit(tarHeader('lib/big.bin', payloadBytes));
    for (let left = payloadBytes; left > 0; left -= 1 << 20) await emit(randomBytes(Math.min(left, 1 << 20)));
    await emit(Buffer.alloc(((512 - (payloadBytes % 512)) % 512) + 1024));
  });
  const entries = [
    { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}'), size: 0, crc: 0 },
    { name: `info-${stem}.tar.zst`, data: info, size: 0, crc: 0 },
  ].map((e) => ({ ...e, size: e.data.length, crc: crc32(e.data) >>> 0 }));
  const path = join(dir, filename);
  const out = createWriteStream(path);
  let offset = 0;
  const central: Buffer[] = [];
  for (const e of entries) {
    central.push(centralHeader(e.name, e.size, e.crc, offset, style));
    const b = Buffer.concat([localHeader(e.name, e.size, e.crc, style), e.data]);
    await put(out, b);
    offset += b.length;
  }
  const pkgName = `pkg-${stem}.tar.zst`;
  central.push(centralHeader(pkgName, pkg.size, pkg.crc, offset, style));
  const lh = localHeader(pkgName, pkg.size, pkg.crc, style);
  await put(out, lh);
  for await (const c of createReadStream(pkgZst)) await put(out, c as Buffer);
  offset += lh.length + pkg.size;
  const cd = Buffer.concat(central);
  const end = endOfCentralDirectory(central.length, cd.length, offset, style);
  await put(out, Buffer.concat([cd, end]));
  out.end();
  await once(out, 'finish');
  await rm(pkgZst);
  return { path, filename, size: offset + cd.length + end.length };
}
