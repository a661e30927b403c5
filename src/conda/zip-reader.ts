// A streaming reader for the .conda zip container that accepts one unambiguous subset of zip, zip64 included as
// conda-build (Python's zipfile, force_zip64) and rattler-build (the zip crate, large_file) write it. Readers that
// walk local headers (rattler, libarchive on a pipe) and readers that trust the central directory (Python's
// zipfile, conda, unzip) must see the same entries with the same bytes: everything the two views can disagree on
// is either required to agree or refused.
import { crc32 } from 'node:zlib';
import type { ByteSource } from './byte-source.js';
import { broke, type RuleTable } from './problem.js';

export const ZIP_RULES: RuleTable = {
  'zip.layout': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Local entries from byte 0, then the central directory, then (zip64) its end record and locator, then the ' +
      'end record: nothing before, between or after, no archive comment.',
    fix:
      'The .conda was changed after it was built (bytes prepended, appended or a comment added): upload the file ' +
      'exactly as conda-package-handling or rattler-build wrote it.',
  },
  'zip.flags': {
    reason: 'ARTIFACT_INVALID',
    text:
      'General-purpose flags are 0 or UTF-8 names (bit 11) only: no encryption, no data descriptors; version ' +
      'needed ≤ 4.5.',
    fix:
      'The .conda was re-zipped by a tool that streams entries with data descriptors or encrypts them: rebuild ' +
      'it with conda-package-handling (cph transmute) or rattler-build instead of re-zipping.',
  },
  'zip.stored': {
    reason: 'ARTIFACT_INVALID',
    text: 'Every entry is stored (method 0) with equal compressed and uncompressed sizes.',
    fix:
      'The .conda was re-zipped with compression (a .conda stores its entries; the parts are zstd already): ' +
      'rebuild it with conda-package-handling or rattler-build instead of re-zipping.',
  },
  'zip.zip64': {
    reason: 'ARTIFACT_INVALID',
    text:
      'A 32-bit size or offset that says 0xFFFFFFFF has its value in the zip64 extra (in APPNOTE order) and that ' +
      'value is the real one. Values no reader needs are ignored, whatever they hold, except that a zip64 extra ' +
      'of 24 bytes or more must start with the real sizes and offset (the Rust zip crate reads them from there).',
    fix:
      'The zip writer put sizes or offsets in the zip64 extra field that readers take differently: rebuild the ' +
      '.conda with conda-package-handling or rattler-build, and report the writer that made this file to its ' +
      'maintainers.',
  },
  'zip.extra': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Extra fields are well-formed records, each id once, ids only zip64 (0x0001), extended time (0x5455), Unix ' +
      'uid/gid (0x7875), NTFS times (0x000a); no Unicode path (0x7075) or others.',
    fix:
      'The .conda was re-zipped by a tool that adds extra fields readers interpret differently (a Unicode path ' +
      'renames the entry for some): rebuild it with conda-package-handling or rattler-build.',
  },
  'zip.crc': {
    reason: 'ARTIFACT_INVALID',
    text: 'Every entry’s CRC-32 matches its bytes.',
    fix: 'The file is corrupt: re-download it from the build, or re-upload it.',
  },
  'zip.central': {
    reason: 'ARTIFACT_INVALID',
    text:
      'The central directory lists exactly the local entries, in order, with the same name, flags, method, CRC, ' +
      'sizes and offset; a regular-file (or empty) external mode. Entry comments are ignored, as every reader ' +
      'ignores them.',
    fix:
      'The central directory disagrees with the entries (the zip was edited in place or assembled by hand): ' +
      'rebuild the .conda with conda-package-handling or rattler-build.',
  },
  'zip.end': {
    reason: 'ARTIFACT_INVALID',
    text:
      'The end records (and the zip64 ones, when present) give the real count, size and offset of the central ' +
      'directory, on disk 0 of 1.',
    fix:
      'The end of the zip disagrees with its central directory (edited or split archive): rebuild the .conda ' +
      'with conda-package-handling or rattler-build.',
  },
};

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const MAX_ENTRIES = 16;
const ALLOWED_EXTRAS = new Set([0x0001, 0x5455, 0x7875, 0x000a]);

export interface ZipEntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

export interface ZipEntryHandler {
  /** Called for each entry with its name: the sink for its bytes. Throws ArtifactProblem to refuse the entry. */
  open(name: string): ZipEntrySink;
}

interface LocalEntry {
  nameBytes: Buffer;
  name: string;
  offset: number;
  size: number;
  crc: number;
  flags: number;
  version: number;
}

function fail(rule: string, detail: string): never {
  throw broke(ZIP_RULES, rule, detail);
}

async function need(src: ByteSource, n: number, what: string): Promise<Buffer> {
  const b = await src.exact(n);
  if (b === null) fail('zip.layout', `the zip archive ends inside ${what}`);
  return b;
}

/** Extra field records by id; refuses malformed areas, repeated or unknown ids. */
function parseExtras(extra: Buffer, where: string): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = 0;
  while (at < extra.length) {
    if (at + 4 > extra.length) fail('zip.extra', `${where}: a truncated extra field`);
    const id = extra.readUInt16LE(at);
    const len = extra.readUInt16LE(at + 2);
    if (at + 4 + len > extra.length) fail('zip.extra', `${where}: extra field 0x${id.toString(16)} overruns its area`);
    if (!ALLOWED_EXTRAS.has(id))
      fail('zip.extra', `${where}: extra field 0x${id.toString(16).padStart(4, '0')} is not accepted`);
    if (out.has(id)) fail('zip.extra', `${where}: extra field 0x${id.toString(16)} appears twice`);
    out.set(id, extra.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

function u64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('zip.zip64', `${what} is too large`);
  return Number(v);
}

function checkFlags(flags: number, version: number, where: string): void {
  if (flags & 0x1) fail('zip.flags', `${where} is encrypted`);
  if (flags & 0x8) fail('zip.flags', `${where} uses a data descriptor; .conda entries state their sizes up front`);
  if ((flags & ~0x0800) !== 0) fail('zip.flags', `${where} sets general-purpose flags 0x${flags.toString(16)}`);
  if (version > 45) fail('zip.flags', `${where} needs zip version ${version / 10}`);
}

interface Fields32 {
  usize32: number;
  csize32: number;
  /** null in a local header, which has no offset. */
  offset32: number | null;
}

/**
 * The sizes (and offset) of one header, with its zip64 extra read as readers read it. Python's zipfile and
 * libarchive take one value per saturated field, in order, and ignore the rest; the Rust zip crate does the same
 * unless the extra holds 24 bytes or more, when it takes the first three values whatever the 32-bit fields say;
 * astral_async_zip takes the saturated ones and refuses the rest. Where two readings could differ, they must agree.
 */
function zip64(
  extra: Buffer | undefined,
  f: Fields32,
  where: string,
  notes: string[],
): { usize: number; csize: number; offset: number } {
  const saturated = [f.usize32 === MAX32, f.csize32 === MAX32, f.offset32 === MAX32];
  const wanted = saturated.filter(Boolean).length;
  const length = extra?.length ?? 0;
  if (length < wanted * 8)
    fail('zip.zip64', `${where}: a field says 0xFFFFFFFF but its zip64 extra has no value for it`);
  let at = 0;
  const take = (v32: number, isSaturated: boolean, what: string): number =>
    isSaturated ? u64(extra!, (at += 8) - 8, `${where} ${what}`) : v32;
  const usize = take(f.usize32, saturated[0]!, 'size');
  const csize = take(f.csize32, saturated[1]!, 'compressed size');
  const offset = take(f.offset32 ?? 0, saturated[2]!, 'offset');
  if (extra !== undefined && length >= 24) {
    const zipCrate = [u64(extra, 0, where), u64(extra, 8, where), u64(extra, 16, where)];
    if (zipCrate[0] !== usize || zipCrate[1] !== csize || (f.offset32 !== null && zipCrate[2] !== offset)) {
      fail('zip.zip64', `${where}: the Rust zip crate reads other sizes or offset from its ${length}-byte zip64 extra`);
    }
  }
  // astral_async_zip (rattler's central-directory reader) refuses values nobody needs, except a local 16-byte
  // extra that repeats the 32-bit sizes: it fails closed, so this is worth an admin's note, not a refusal.
  const repeatsSizes =
    f.offset32 === null &&
    wanted === 0 &&
    length === 16 &&
    extra!.readBigUInt64LE(0) === BigInt(usize) &&
    extra!.readBigUInt64LE(8) === BigInt(csize);
  const note =
    'zip64 extra fields hold values no reader needs (ignored; astral_async_zip, which rattler uses to read single ' +
    'files from a .conda, refuses such entries)';
  if (length > wanted * 8 && !repeatsSizes && !notes.includes(note)) notes.push(note);
  return { usize, csize, offset };
}

/** Read the zip stream to its end, handing each entry's bytes to the handler's sink. Returns notes for the admin. */
export async function readZipStream(src: ByteSource, handler: ZipEntryHandler): Promise<string[]> {
  const notes: string[] = [];
  const locals: LocalEntry[] = [];
  for (;;) {
    const offset = src.position;
    const sigBytes = await src.exact(4);
    if (sigBytes === null) fail('zip.layout', 'the zip archive ends without a central directory');
    const sig = sigBytes.readUInt32LE(0);
    if (sig === CENTRAL && locals.length > 0) {
      await readCentral(src, locals, offset, notes);
      return notes;
    }
    if (sig !== LOCAL) fail('zip.layout', offset === 0 ? 'not a zip archive' : `unexpected data at byte ${offset}`);
    if (locals.length >= MAX_ENTRIES) fail('zip.layout', 'too many zip entries');
    const h = await need(src, 26, 'a local header');
    const version = h.readUInt16LE(0);
    const flags = h.readUInt16LE(2);
    const method = h.readUInt16LE(4);
    const crc = h.readUInt32LE(10);
    const csize32 = h.readUInt32LE(14);
    const usize32 = h.readUInt32LE(18);
    const nameBytes = Buffer.from(await need(src, h.readUInt16LE(22), 'a name'));
    const extras = parseExtras(Buffer.from(await need(src, h.readUInt16LE(24), 'an extra field')), 'a local header');
    const name = nameBytes.toString('latin1');
    const where = `zip entry ${JSON.stringify(name)}`;
    checkFlags(flags, version, where);
    if (method !== 0) fail('zip.stored', `${where} is compressed (method ${method}); .conda entries are stored`);
    const { usize, csize } = zip64(extras.get(0x0001), { usize32, csize32, offset32: null }, where, notes);
    if (csize !== usize) fail('zip.stored', `${where}: compressed size ${csize} ≠ size ${usize}`);
    if (locals.some((l) => l.name === name)) fail('zip.central', `${where} appears twice`);
    const sink = handler.open(name);
    let running = 0;
    await src.take(csize, (chunk) => {
      running = crc32(chunk, running);
      sink.write(chunk);
    });
    sink.end();
    if (running >>> 0 !== crc) fail('zip.crc', `${where} fails its CRC check`);
    locals.push({ nameBytes, name, offset, size: csize, crc, flags, version });
  }
}

async function readCentral(src: ByteSource, locals: LocalEntry[], cdStart: number, notes: string[]): Promise<void> {
  let sig = CENTRAL;
  let i = 0;
  while (sig === CENTRAL) {
    const h = await need(src, 42, 'a central directory entry');
    const version = h.readUInt16LE(2);
    const flags = h.readUInt16LE(4);
    const method = h.readUInt16LE(6);
    const crc = h.readUInt32LE(12);
    const csize32 = h.readUInt32LE(16);
    const usize32 = h.readUInt32LE(20);
    const nameBytes = await need(src, h.readUInt16LE(24), 'a name');
    const extras = parseExtras(
      Buffer.from(await need(src, h.readUInt16LE(26), 'an extra field')),
      'the central directory',
    );
    const commentLength = h.readUInt16LE(28);
    const disk = h.readUInt16LE(30);
    const external = h.readUInt32LE(34);
    const offset32 = h.readUInt32LE(38);
    const local = locals[i++];
    const where = `central directory entry ${JSON.stringify(nameBytes.toString('latin1'))}`;
    if (local === undefined) fail('zip.central', `${where} has no local entry`);
    if (disk === MAX16) fail('zip.end', `${where} is on another disk`);
    const { usize, csize, offset } = zip64(extras.get(0x0001), { usize32, csize32, offset32 }, where, notes);
    const mode = external >>> 16;
    const same =
      nameBytes.equals(local.nameBytes) &&
      method === 0 &&
      flags === local.flags &&
      version === local.version &&
      crc === local.crc &&
      usize === local.size &&
      csize === local.size &&
      offset === local.offset &&
      disk === 0;
    if (!same) fail('zip.central', `${where} disagrees with the archive's local entry`);
    if ((external & 0xffff) !== 0 || (mode !== 0 && (mode & 0o170000) !== 0o100000 && (mode & 0o170000) !== 0)) {
      fail('zip.central', `${where} has external attributes 0x${external.toString(16)} (not a regular file)`);
    }
    // Entry comments: every reader frames them by their length and ignores them.
    if (commentLength > 0) await need(src, commentLength, 'an entry comment');
    const nextSig = await need(src, 4, 'the central directory');
    sig = nextSig.readUInt32LE(0);
  }
  if (i !== locals.length) fail('zip.central', 'the central directory lists fewer entries than the archive holds');
  const cdSize = src.position - 4 - cdStart;
  let z64: { count: number; size: number; offset: number } | null = null;
  if (sig === END64) {
    const recordAt = src.position - 4;
    const r = await need(src, 52, 'the zip64 end record');
    if (u64(r, 0, 'zip64 end record size') !== 44)
      fail('zip.end', 'the zip64 end record has an extensible data sector');
    if (r.readUInt32LE(12) !== 0 || r.readUInt32LE(16) !== 0)
      fail('zip.end', 'the zip64 end record names another disk');
    z64 = { count: u64(r, 28, 'entry count'), size: u64(r, 36, 'size'), offset: u64(r, 44, 'offset') };
    if (u64(r, 20, 'entry count') !== z64.count) fail('zip.end', 'the zip64 end record counts entries on two disks');
    const l = await need(src, 20, 'the zip64 end locator');
    if (l.readUInt32LE(0) !== LOCATOR64) fail('zip.layout', 'the zip64 end record is not followed by its locator');
    if (l.readUInt32LE(4) !== 0 || u64(l, 8, 'locator offset') !== recordAt || l.readUInt32LE(16) !== 1) {
      fail('zip.end', 'the zip64 end locator does not point at its record on disk 0 of 1');
    }
    if (z64.count !== locals.length || z64.size !== cdSize || z64.offset !== cdStart) {
      fail('zip.end', 'the zip64 end record disagrees with the central directory');
    }
    sig = (await need(src, 4, 'the end record')).readUInt32LE(0);
  }
  if (sig !== END) fail('zip.layout', 'unexpected data after the zip central directory');
  const e = await need(src, 18, 'the end record');
  const agrees = (v: number, max: number, real: number): boolean => v === real || (v === max && z64 !== null);
  if (
    e.readUInt16LE(0) !== 0 ||
    e.readUInt16LE(2) !== 0 ||
    e.readUInt16LE(4) !== e.readUInt16LE(6) ||
    !agrees(e.readUInt16LE(6), MAX16, locals.length) ||
    !agrees(e.readUInt32LE(8), MAX32, cdSize) ||
    !agrees(e.readUInt32LE(12), MAX32, cdStart)
  ) {
    fail('zip.end', 'the end-of-central-directory record disagrees with the archive');
  }
  if (e.readUInt16LE(16) !== 0) fail('zip.layout', 'the zip archive has a comment');
  if ((await src.drain()) > 0) fail('zip.layout', 'trailing data after the end of the zip archive');
}
