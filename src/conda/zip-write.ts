// A minimal zip writer for STORED entries: the container format of `.conda` (conda writes it uncompressed).
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = ((2020 - 1980) << 9) | (1 << 5) | 1; // 2020-01-01: fixed, so output is reproducible

/** Fields shared by a local header (offset 4 on) and a central header (offset 6 on). */
function common(h: Buffer, at: number, name: Buffer, size: number, crc: number): void {
  h.writeUInt16LE(20, at);
  h.writeUInt16LE(0, at + 2);
  h.writeUInt16LE(0, at + 4);
  h.writeUInt16LE(DOS_TIME, at + 6);
  h.writeUInt16LE(DOS_DATE, at + 8);
  h.writeUInt32LE(crc >>> 0, at + 10);
  h.writeUInt32LE(size, at + 14);
  h.writeUInt32LE(size, at + 18);
  h.writeUInt16LE(name.length, at + 22);
}

export function localHeader(nameText: string, size: number, crc: number): Buffer {
  const name = Buffer.from(nameText, 'utf8');
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  common(h, 4, name, size, crc);
  return Buffer.concat([h, name]);
}

export function centralHeader(nameText: string, size: number, crc: number, offset: number): Buffer {
  const name = Buffer.from(nameText, 'utf8');
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  common(h, 6, name, size, crc);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, name]);
}

export function endOfCentralDirectory(count: number, cdSize: number, cdOffset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(cdOffset, 16);
  return end;
}

export function zipStored(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const crc = crc32(e.data);
    const local = localHeader(e.name, e.data.length, crc);
    central.push(centralHeader(e.name, e.data.length, crc, offset));
    parts.push(local, Buffer.from(e.data));
    offset += local.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  return Buffer.concat([...parts, cd, endOfCentralDirectory(entries.length, cd.length, offset)]);
}
