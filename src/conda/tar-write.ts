// A small tar writer in the two shapes real conda writers emit: `pax` (Python's tarfile, as conda-build and
// conda-package-handling use it: POSIX headers, a pax header only when a path or link is too long for ustar) and
// `gnu-rust` (the Rust tar crate, as rattler-build uses it: GNU headers, `././@LongLink` records for long names,
// and a name field that keeps the tail of `././@LongLink` after the NUL of a shorter name). Used to build real
// packages (demo, tests, benchmarks); `tarHeader` is exported so tests can build malformed archives field by field.
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  content?: string | Uint8Array;
  linkname?: string;
  mode?: number;
}

/** Every field of a header, as bytes or values; anything left out gets the canonical default. */
export interface TarHeaderFields {
  name: string | Uint8Array;
  mode?: number | string;
  uid?: number | string;
  gid?: number | string;
  size?: number | string;
  mtime?: number | string;
  typeflag?: string;
  linkname?: string | Uint8Array;
  magic?: 'ustar' | 'gnu' | Uint8Array;
  uname?: string | Uint8Array;
  gname?: string | Uint8Array;
  devmajor?: number | string;
  devminor?: number | string;
  prefix?: string | Uint8Array;
  /** Bytes written over the header after the fields, at this offset (before the checksum is computed). */
  patch?: { at: number; bytes: Uint8Array }[];
  /** 'unsigned' (default), 'signed' (what some readers also accept), or a literal field value. */
  checksum?: string;
}

export const BLOCK = 512;
const MTIME = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000);

function put(h: Buffer, at: number, len: number, v: string | Uint8Array): void {
  const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
  bytes.subarray(0, len).copy(h, at);
}

/** An octal field: digits zero-padded to width-1, then NUL (Python's tarfile); strings are written as given. */
function octal(h: Buffer, at: number, len: number, v: number | string): void {
  // Literal field values are written byte for byte (latin1), so tests can write base-256 and junk.
  Buffer.from(typeof v === 'string' ? v : `${v.toString(8).padStart(len - 1, '0')}\0`, 'latin1')
    .subarray(0, len)
    .copy(h, at);
}

export function tarHeader(f: TarHeaderFields): Buffer {
  const h = Buffer.alloc(BLOCK);
  put(h, 0, 100, f.name);
  octal(h, 100, 8, f.mode ?? 0o644);
  octal(h, 108, 8, f.uid ?? 0);
  octal(h, 116, 8, f.gid ?? 0);
  octal(h, 124, 12, f.size ?? 0);
  octal(h, 136, 12, f.mtime ?? MTIME);
  h.write(f.typeflag ?? '0', 156, 'latin1');
  put(h, 157, 100, f.linkname ?? '');
  const magic = f.magic ?? 'ustar';
  put(h, 257, 8, magic === 'ustar' ? 'ustar\u000000' : magic === 'gnu' ? 'ustar  \u0000' : magic);
  put(h, 265, 32, f.uname ?? '');
  put(h, 297, 32, f.gname ?? '');
  octal(h, 329, 8, f.devmajor ?? 0);
  octal(h, 337, 8, f.devminor ?? 0);
  put(h, 345, 155, f.prefix ?? '');
  for (const p of f.patch ?? []) Buffer.from(p.bytes).copy(h, p.at);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += f.checksum === 'signed' ? (h[i]! << 24) >> 24 : h[i]!;
  const literal = f.checksum !== undefined && f.checksum !== 'signed' && f.checksum !== 'unsigned';
  put(h, 148, 8, literal ? f.checksum! : `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** Data padded to whole blocks. */
export function tarData(data: Uint8Array): Buffer {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([Buffer.from(data), Buffer.alloc(pad)]);
}

/** The body of a pax header: `<len> <key>=<value>\n` records, the length counting itself. */
export function paxRecords(records: [string, string][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      const bodyLength = Buffer.byteLength(body);
      let len = bodyLength + 1;
      while (String(len).length + bodyLength !== len) len = String(len).length + bodyLength;
      return Buffer.from(`${len}${body}`, 'utf8');
    }),
  );
}

/** The end of an archive: two zero blocks, padded to a 10 KiB record as tarfile and GNU tar do. */
export function tarEnd(written: number): Buffer {
  const end = written + 2 * BLOCK;
  return Buffer.alloc(2 * BLOCK + ((10240 - (end % 10240)) % 10240));
}

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  directory: '5',
  fifo: '6',
};

export type TarStyle = 'pax' | 'gnu-rust';

const LONG_LINK = '././@LongLink';

/** A GNU `L`/`K` record as the Rust tar crate writes it: the path and one NUL, in a GNU header. */
function gnuLongRecord(type: 'L' | 'K', value: string): Buffer {
  const body = Buffer.from(`${value}\0`, 'utf8');
  return Buffer.concat([
    tarHeader({ name: LONG_LINK, typeflag: type, size: body.length, magic: 'gnu' }),
    tarData(body),
  ]);
}

/**
 * A name field as the Rust tar crate leaves it: the crate's GNU header starts from one that held `././@LongLink`
 * and copies the name and its NUL over it, so a name shorter than 12 bytes keeps the tail (`k`, `gLink`, …).
 */
function rustNameField(name: Uint8Array): Buffer {
  const field = Buffer.alloc(100);
  field.write(LONG_LINK, 'latin1');
  Buffer.from(name).copy(field);
  if (name.length < field.length) field[name.length] = 0;
  return field;
}

/** A canonical archive of `entries`, in order, in the shape of one real writer. */
export function tarOf(entries: TarEntry[], style: TarStyle = 'pax'): Buffer {
  const parts: Buffer[] = [];
  let written = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    written += b.length;
  };
  for (const e of entries) {
    const body = e.content === undefined ? Buffer.alloc(0) : Buffer.from(e.content);
    const name = e.type === 'directory' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const link = e.linkname ?? '';
    if (style === 'gnu-rust') {
      if (Buffer.byteLength(name) > 100) push(gnuLongRecord('L', name));
      if (Buffer.byteLength(link) > 100) push(gnuLongRecord('K', link));
      push(
        tarHeader({
          name: rustNameField(Buffer.from(name).subarray(0, 100)),
          mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
          size: body.length,
          typeflag: TYPEFLAG[e.type],
          linkname: Buffer.from(link).subarray(0, 100),
          magic: 'gnu',
        }),
      );
      if (body.length > 0) push(tarData(body));
      continue;
    }
    const pax: [string, string][] = [];
    if (Buffer.byteLength(name) > 99) pax.push(['path', name]);
    if (Buffer.byteLength(link) > 99) pax.push(['linkpath', link]);
    if (pax.length > 0) {
      const records = paxRecords(pax);
      push(tarHeader({ name: 'PaxHeader', typeflag: 'x', size: records.length }));
      push(tarData(records));
    }
    push(
      tarHeader({
        name: Buffer.byteLength(name) > 99 ? Buffer.from(name).subarray(0, 99) : name,
        mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644),
        size: body.length,
        typeflag: TYPEFLAG[e.type],
        linkname: Buffer.byteLength(link) > 99 ? Buffer.from(link).subarray(0, 99) : link,
      }),
    );
    if (body.length > 0) push(tarData(body));
  }
  // The Rust tar crate ends with the two zero blocks alone; tarfile and GNU tar pad to a 10 KiB record.
  push(style === 'gnu-rust' ? Buffer.alloc(2 * BLOCK) : tarEnd(written));
  return Buffer.concat(parts);
}
