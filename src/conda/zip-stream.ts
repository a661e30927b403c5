// A streaming reader for the .conda zip container: local headers in order, STORED entries only, every CRC
// checked, then the central directory must describe exactly what the stream held (no parser differentials).
import { crc32 } from 'node:zlib';
import type { ByteSource } from './byte-source.js';
import { invalid } from './problem.js';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const MAX_ENTRIES = 16;

interface Seen {
  name: string;
  offset: number;
  size: number;
  crc: number;
}

export interface ZipEntryHandler {
  /** Called for each entry with its name; returns the sink for its bytes (or throws ArtifactProblem to refuse it). */
  open(name: string): { write(chunk: Buffer): Promise<void> | void; end(): Promise<void> | void };
}

export async function readZipStream(src: ByteSource, handler: ZipEntryHandler): Promise<void> {
  const seen: Seen[] = [];
  for (;;) {
    const offset = src.position;
    const sig = await src.exact(4);
    if (sig === null) throw invalid('zip archive ends without a central directory');
    const kind = sig.readUInt32LE(0);
    if (kind === CENTRAL) return readCentralDirectory(src, seen, offset);
    if (kind !== LOCAL)
      throw invalid(offset === 0 ? 'not a zip archive' : `unexpected data at byte ${offset} of the zip archive`);
    if (seen.length >= MAX_ENTRIES) throw invalid('too many zip entries');
    const h = (await src.exact(26))!;
    const flags = h.readUInt16LE(2);
    const method = h.readUInt16LE(4);
    const crc = h.readUInt32LE(10);
    const csize = h.readUInt32LE(14);
    const usize = h.readUInt32LE(18);
    const name = (await src.exact(h.readUInt16LE(22)))!.toString('utf8');
    await src.exact(h.readUInt16LE(24));
    if (flags & 0x1) throw invalid(`zip entry ${name} is encrypted`);
    if (flags & 0x8) throw invalid(`zip entry ${name} uses a data descriptor; .conda entries must state their sizes`);
    if (method !== 0) throw invalid(`zip entry ${name} is compressed (method ${method}); .conda entries are stored`);
    if (csize !== usize || csize === 0xffffffff) throw invalid(`zip entry ${name} has inconsistent or zip64 sizes`);
    if (seen.some((s) => s.name === name)) throw invalid(`zip entry ${name} appears twice`);
    const sink = handler.open(name);
    let running = 0;
    await src.take(csize, async (chunk) => {
      running = crc32(chunk, running);
      await sink.write(chunk);
    });
    await sink.end();
    if (running >>> 0 !== crc) throw invalid(`zip entry ${name} fails its CRC check`);
    seen.push({ name, offset, size: csize, crc });
  }
}

async function readCentralDirectory(src: ByteSource, seen: Seen[], cdStart: number): Promise<void> {
  let i = 0;
  let sig = CENTRAL;
  while (sig === CENTRAL) {
    const h = (await src.exact(42))!;
    const name = (await src.exact(h.readUInt16LE(24)))!.toString('utf8');
    await src.exact(h.readUInt16LE(26) + h.readUInt16LE(28));
    const local = seen[i++];
    const same =
      local !== undefined &&
      local.name === name &&
      h.readUInt16LE(6) === 0 &&
      h.readUInt32LE(12) === local.crc &&
      h.readUInt32LE(16) === local.size &&
      h.readUInt32LE(20) === local.size &&
      h.readUInt16LE(30) === 0 &&
      h.readUInt32LE(38) === local.offset;
    if (!same)
      throw invalid(`the zip central directory entry ${JSON.stringify(name)} disagrees with the archive's contents`);
    const next = await src.exact(4);
    if (next === null) throw invalid('zip archive has no end-of-central-directory record');
    sig = next.readUInt32LE(0);
  }
  if (i !== seen.length) throw invalid('the zip central directory lists fewer entries than the archive holds');
  if (sig !== END) throw invalid('unexpected data after the zip central directory (zip64 is not supported)');
  const e = (await src.exact(18))!;
  const cdSize = src.position - 22 - cdStart;
  if (
    e.readUInt16LE(0) !== 0 ||
    e.readUInt16LE(2) !== 0 ||
    e.readUInt16LE(4) !== seen.length ||
    e.readUInt16LE(6) !== seen.length ||
    e.readUInt32LE(8) !== cdSize ||
    e.readUInt32LE(12) !== cdStart
  ) {
    throw invalid('the zip end-of-central-directory record disagrees with the archive');
  }
  const comment = e.readUInt16LE(16);
  await src.exact(comment);
  if ((await src.drain()) > 0) throw invalid('trailing data after the end of the zip archive');
}
