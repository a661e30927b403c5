// A minimal zip writer for STORED entries: the container format of `.conda` (conda writes it uncompressed), in the
// shapes real writers emit: plain 32-bit headers; `local` zip64 (conda-package-handling's force_zip64:
// 0xFFFFFFFF sizes and a zip64 extra in each local header only); `full` zip64 (the zip crate's large_file, as
// rattler-build uses it: zip64 extras in local and central headers, a zip64 end record and locator);
// `central-zero` (the writer of pixi's foobar-0.1.0-pyhbf21a9e_0.conda: zip64 local headers, and central headers
// with the real 32-bit sizes beside a zip64 extra whose two sizes are zero).
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

export type Zip64Style = 'none' | 'local' | 'full' | 'central-zero';

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1; // 2020-01-01: fixed, so output is reproducible
const MAX32 = 0xffffffff;

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

export function localHeader(nameText: string, size: number, crc: number, style: Zip64Style = 'none'): Buffer {
  const name = Buffer.from(nameText, 'utf8');
  const zip64 = style !== 'none' || size >= MAX32;
  const extra = zip64 ? zip64Extra([size, size]) : Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(zip64 ? 45 : 20, 4);
  h.writeUInt16LE(DOS_TIME, 10);
  h.writeUInt16LE(DOS_DATE, 12);
  h.writeUInt32LE(crc >>> 0, 14);
  h.writeUInt32LE(zip64 ? MAX32 : size, 18);
  h.writeUInt32LE(zip64 ? MAX32 : size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

export function centralHeader(
  nameText: string,
  size: number,
  crc: number,
  offset: number,
  style: Zip64Style = 'none',
): Buffer {
  const name = Buffer.from(nameText, 'utf8');
  const localZip64 = style !== 'none' || size >= MAX32;
  const full = style === 'full';
  const sizes = full || size >= MAX32;
  const off = full || offset >= MAX32;
  const extra =
    sizes || off
      ? zip64Extra([...(sizes ? [size, size] : []), ...(off ? [offset] : [])])
      : style === 'central-zero'
        ? zip64Extra([0, 0])
        : Buffer.alloc(0);
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | (localZip64 ? 45 : 20), 4);
  h.writeUInt16LE(localZip64 ? 45 : 20, 6);
  h.writeUInt16LE(DOS_TIME, 12);
  h.writeUInt16LE(DOS_DATE, 14);
  h.writeUInt32LE(crc >>> 0, 16);
  h.writeUInt32LE(sizes ? MAX32 : size, 20);
  h.writeUInt32LE(sizes ? MAX32 : size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  h.writeUInt32LE(off ? MAX32 : offset, 42);
  return Buffer.concat([h, name, extra]);
}

/** The end of the archive: (zip64 end record + locator when asked for or needed) + the classic end record. */
export function endOfCentralDirectory(
  count: number,
  cdSize: number,
  cdOffset: number,
  style: Zip64Style = 'none',
): Buffer {
  const zip64 = style === 'full' || cdOffset >= MAX32 || cdSize >= MAX32 || count >= 0xffff;
  const parts: Buffer[] = [];
  if (zip64) {
    const r = Buffer.alloc(56);
    r.writeUInt32LE(0x06064b50, 0);
    r.writeBigUInt64LE(44n, 4);
    r.writeUInt16LE((3 << 8) | 45, 12);
    r.writeUInt16LE(45, 14);
    r.writeBigUInt64LE(BigInt(count), 24);
    r.writeBigUInt64LE(BigInt(count), 32);
    r.writeBigUInt64LE(BigInt(cdSize), 40);
    r.writeBigUInt64LE(BigInt(cdOffset), 48);
    const l = Buffer.alloc(20);
    l.writeUInt32LE(0x07064b50, 0);
    l.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    l.writeUInt32LE(1, 16);
    parts.push(r, l);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? MAX32 : cdSize, 12);
  end.writeUInt32LE(zip64 ? MAX32 : cdOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

export function zipStored(entries: ZipEntry[], style: Zip64Style = 'none'): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const crc = crc32(e.data);
    const local = localHeader(e.name, e.data.length, crc, style);
    central.push(centralHeader(e.name, e.data.length, crc, offset, style));
    parts.push(local, Buffer.from(e.data));
    offset += local.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  return Buffer.concat([...parts, cd, endOfCentralDirectory(entries.length, cd.length, offset, style)]);
}
