// The differential generator: packages written byte by byte, each either a form real writers emit (forgegate must
// accept it and every reader must see the same members) or a trick on which readers are known to differ or that
// breaks a rule (forgegate must refuse it, with the rule named here).
import { compress } from 'zstd-napi';
import { compressBzip2, packageBytes, type PackageSpec } from '../helpers/packages.js';
import { paxRecords, tarData, tarEnd, tarHeader, type TarHeaderFields } from '../../src/conda/tar-write.js';
import {
  centralHeader,
  endOfCentralDirectory,
  localHeader,
  zipStored,
  type ZipEntry,
} from '../../src/conda/zip-write.js';
import { crc32 } from 'node:zlib';

export interface Case {
  id: string;
  why: string;
  /** 'accept', or the rule id forgegate must refuse it with. */
  expect: string;
  filename: string;
  subdir: string;
  bytes: Buffer;
}

const STEM = 'pkg-1.0-h0_0';
const indexJson = (subdir: string): string =>
  JSON.stringify({ name: 'pkg', version: '1.0', build: 'h0_0', build_number: 0, subdir, depends: [] });

// ------------------------------------------------------------------ tar pieces
const member = (fields: TarHeaderFields, content: string | Buffer = ''): Buffer =>
  Buffer.concat([tarHeader({ size: Buffer.byteLength(content), ...fields }), tarData(Buffer.from(content))]);
const file = (name: string, content = 'payload', extra: Partial<TarHeaderFields> = {}): Buffer =>
  member({ name, ...extra }, content);
const dir = (name: string, extra: Partial<TarHeaderFields> = {}): Buffer =>
  member({ name: `${name}/`, typeflag: '5', mode: 0o755, ...extra });
const symlink = (name: string, target: string, extra: Partial<TarHeaderFields> = {}): Buffer =>
  member({ name, typeflag: '2', linkname: target, mode: 0o777, ...extra });
const hardlink = (name: string, target: string, extra: Partial<TarHeaderFields> = {}): Buffer =>
  member({ name, typeflag: '1', linkname: target, ...extra });
const pax = (records: [string, string][], typeflag = 'x'): Buffer => {
  const body = paxRecords(records);
  return Buffer.concat([tarHeader({ name: 'PaxHeader/x', typeflag, size: body.length }), tarData(body)]);
};
const rawPax = (body: string): Buffer =>
  Buffer.concat([
    tarHeader({ name: 'PaxHeader/x', typeflag: 'x', size: Buffer.byteLength(body) }),
    tarData(Buffer.from(body)),
  ]);
const gnuLong = (type: 'L' | 'K', value: string): Buffer => {
  const body = Buffer.from(`${value}\0`);
  return Buffer.concat([
    tarHeader({ name: '././@LongLink', typeflag: type, size: body.length, magic: 'gnu' }),
    tarData(body),
  ]);
};
const end = (...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([body, tarEnd(body.length)]);
};
const indexMember = (subdir: string): Buffer => file('info/index.json', indexJson(subdir));

// ------------------------------------------------------------------ package assembly
interface CondaParts {
  subdir?: string;
  info?: Buffer;
  pkg: Buffer;
  zstd?: (tar: Buffer, part: 'info' | 'pkg') => Buffer;
  zip?: (entries: ZipEntry[]) => Buffer;
  metadata?: boolean;
}
function conda(p: CondaParts): { bytes: Buffer; subdir: string; filename: string } {
  const subdir = p.subdir ?? 'linux-64';
  const z = p.zstd ?? ((t: Buffer) => compress(t, { compressionLevel: 3, checksumFlag: true }));
  const entries: ZipEntry[] = [
    ...(p.metadata === false ? [] : [{ name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') }]),
    { name: `pkg-${STEM}.tar.zst`, data: z(p.pkg, 'pkg') },
    { name: `info-${STEM}.tar.zst`, data: z(p.info ?? end(indexMember(subdir)), 'info') },
  ];
  return { bytes: (p.zip ?? ((e) => zipStored(e, 'local')))(entries), subdir, filename: `${STEM}.conda` };
}
/** A .tar.bz2 whose tar is `parts` after info/index.json (`raw` skips adding the end marker). */
function tarBz2(parts: Buffer[], opts: { subdir?: string; raw?: boolean; bz?: (tar: Buffer) => Buffer } = {}) {
  const subdir = opts.subdir ?? 'linux-64';
  const tar = opts.raw ? Buffer.concat([indexMember(subdir), ...parts]) : end(indexMember(subdir), ...parts);
  const bytes = (opts.bz ?? compressBzip2)(tar);
  return { bytes, subdir, filename: `${STEM}.tar.bz2` };
}
const both = (id: string, why: string, expect: string, parts: Buffer[], subdir?: string): Case[] => [
  { id: `${id} (.conda)`, why, expect, ...conda({ pkg: end(...parts), ...(subdir ? { subdir } : {}) }) },
  { id: `${id} (.tar.bz2)`, why, expect, ...tarBz2(parts, subdir ? { subdir } : {}) },
];

/** A zip built part by part with one local header, central header or end record changed. */
function zipWith(
  entries: ZipEntry[],
  change: { local?: (h: Buffer, i: number) => Buffer; central?: (h: Buffer, i: number) => Buffer; tail?: Buffer },
): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const crc = crc32(e.data);
    const lh = (change.local ?? ((h) => h))(localHeader(e.name, e.data.length, crc, 'local'), i);
    central.push((change.central ?? ((h) => h))(centralHeader(e.name, e.data.length, crc, offset, 'local'), i));
    parts.push(lh, Buffer.from(e.data));
    offset += lh.length + e.data.length;
  });
  const cd = Buffer.concat(central);
  return Buffer.concat([
    ...parts,
    cd,
    endOfCentralDirectory(entries.length, cd.length, offset),
    change.tail ?? Buffer.alloc(0),
  ]);
}

const evilTar = end(file('bin/evil', 'rm -rf ~'));

/** A zstd frame of raw blocks with the window descriptor given (no checksum, no content size). */
function rawZstd(data: Buffer, windowDescriptor: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor])];
  for (let at = 0; at < data.length || at === 0; at += 65536) {
    const block = data.subarray(at, at + 65536);
    const header = Buffer.alloc(3);
    header.writeUIntLE((block.length << 3) | (at + 65536 >= data.length ? 1 : 0), 0, 3);
    parts.push(header, block);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}
const zstd1 = (t: Buffer): Buffer => compress(t, { compressionLevel: 3, checksumFlag: true });

export function generateCases(): Case[] {
  const cases: Case[] = [];
  const add = (c: Case | Case[]): void => void cases.push(...(Array.isArray(c) ? c : [c]));

  // ---------------------------------------------------------------- accepted: real writers' forms
  add(
    both('plain ustar files, directories, symlinks, hard links', 'the everyday package', 'accept', [
      dir('lib'),
      file('lib/libfoo.so.1.2', 'elf'),
      symlink('lib/libfoo.so.1', 'libfoo.so.1.2'),
      symlink('lib/libfoo.so', 'libfoo.so.1'),
      hardlink('lib/libfoo-copy.so', 'lib/libfoo.so.1.2'),
      file('bin/tool', '#!/bin/sh\n', { mode: 0o755 }),
    ]),
  );
  add(
    both('pax long path and long link target', "Python's tarfile (PAX_FORMAT) for names over 100 bytes", 'accept', [
      pax([['path', `share/${'deep/'.repeat(30)}data.txt`]]),
      file('share/truncated', 'deep'),
      pax([['linkpath', `${'deep/'.repeat(30)}data.txt`]]),
      symlink('share/link', 'short'),
    ]),
  );
  add(
    both('pax headers on every member (mtime, uid, uname)', 'conda-package-handling writes one per member', 'accept', [
      pax([['mtime', '1700000000.123456']]),
      file('a.txt', 'a'),
      pax([
        ['uid', '1000'],
        ['gid', '1000'],
        ['uname', 'builder'],
        ['gname', 'staff'],
      ]),
      file('b.txt', 'b'),
    ]),
  );
  add(
    both('GNU long name and long link', "GNU tar's own long names (old conda-build)", 'accept', [
      gnuLong('L', `lib/${'x'.repeat(150)}.so`),
      file('lib/short', 'gnu', { magic: 'gnu' }),
      gnuLong('K', `${'y'.repeat(120)}.so`),
      gnuLong('L', `lib/${'z'.repeat(130)}`),
      symlink('lib/l', 'short', { magic: 'gnu' }),
    ]),
  );
  add(
    both('ustar prefix field', 'POSIX ustar split of a 200-byte path', 'accept', [
      file('name.txt', 'prefixed', { prefix: `share/${'p'.repeat(140)}` }),
    ]),
  );
  add(
    both('UTF-8 names', 'non-ASCII file names are valid in conda packages', 'accept', [
      file('share/café/naïve.txt', 'é'),
    ]),
  );
  add(
    both('base-256 size field', 'GNU/star encoding of large numbers', 'accept', [
      file('big', 'abc', { size: Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]).toString('latin1') }),
    ]),
  );
  add(
    both('12-digit size, 7-digit checksum padding', 'fields filled to their full width', 'accept', [
      file('wide', 'abc', { size: '000000000003' }),
    ]),
  );
  add(
    both('empty file and empty directory', 'zero-size members', 'accept', [
      file('share/empty', ''),
      dir('share/emptydir'),
    ]),
  );
  add(
    both('paths equal ignoring case on linux-64', 'only case-insensitive subdirs refuse them', 'accept', [
      file('share/README'),
      file('share/readme'),
    ]),
  );
  add({
    id: 'empty payload archive',
    why: 'conda-package-handling writes an empty pkg tar for metadata-only packages',
    expect: 'accept',
    ...conda({ pkg: Buffer.alloc(10240) }),
  });
  add({
    id: 'no metadata.json',
    why: 'conda and rattler never read it',
    expect: 'accept',
    ...conda({ pkg: evilTar, metadata: false }),
  });
  add({
    id: 'full zip64 (rattler-build)',
    why: 'zip64 extras in local and central headers, zip64 end record',
    expect: 'accept',
    ...conda({ pkg: evilTar, zip: (e) => zipStored(e, 'full') }),
  });
  add({
    id: 'plain zip (no zip64)',
    why: 'older writers',
    expect: 'accept',
    ...conda({ pkg: evilTar, zip: (e) => zipStored(e, 'none') }),
  });
  add({
    id: 'zstd without content checksum',
    why: 'a valid frame option',
    expect: 'accept',
    ...conda({ pkg: evilTar, zstd: (t) => compress(t, { compressionLevel: 19 }) }),
  });
  add({
    id: 'multi-block .tar.bz2',
    why: 'over 900 kB of payload',
    expect: 'accept',
    ...tarBz2([file('big.bin', Buffer.alloc(2_500_000, 'abcdefgh').toString())]),
  });
  add({
    id: 'noarch package with symlinks inside',
    why: 'noarch: python layout',
    expect: 'accept',
    ...conda({
      subdir: 'noarch',
      pkg: end(file('site-packages/pkg/__init__.py', ''), symlink('site-packages/pkg/alias.py', '__init__.py')),
    }),
  });

  // ---------------------------------------------------------------- real writers' habits, by the project's writers
  const spec = (over: Partial<PackageSpec>): PackageSpec => ({
    name: 'pkg',
    version: '1.0',
    build: 'h0_0',
    subdir: 'linux-64',
    format: 'conda',
    zstdLevel: 3,
    files: {
      'lib/libpkg.so': 'elf',
      [`share/pkg/${'long-directory/'.repeat(8)}data.txt`]: 'deep',
      'bin/p': '#!/bin/sh\n',
    },
    ...over,
  });
  const built = (id: string, why: string, expect: string, s: PackageSpec): Case => {
    const { filename, bytes } = packageBytes(s);
    return { id, why, expect, filename, subdir: s.subdir, bytes };
  };
  for (const format of ['conda', 'tar.bz2'] as const) {
    add(
      built(
        `rattler-build: Rust tar headers with stale name bytes, GNU long names, no depends (.${format})`,
        'clobber-1-0.1.0-h4616a5c_0.tar.bz2, dummy-a-0.1.0-hb0f4dca_0.conda',
        'accept',
        spec({ format, tarStyle: 'gnu-rust', zip64: 'full', indexOverrides: { depends: null } }),
      ),
    );
    add(
      built(
        `conda-package-handling < 2.5: info/licenses in the payload (.${format})`,
        'bzip2-1.0.8-hd590300_5.conda, tzdata-2025b-h78e105d_0.conda',
        'accept',
        spec({ format, infoInPayload: { 'info/licenses/LICENSE': 'BSD', 'info/licenses/sub/NOTICE': 'n' } }),
      ),
    );
    add(
      built(`info/index.json without subdir (.${format})`, 'old conda-build, hand-made packages', 'accept', {
        ...spec({ format }),
        indexOverrides: { subdir: null },
      }),
    );
  }
  add(
    built(
      'zip64 extras with zero sizes beside real 32-bit sizes',
      'pixi foobar-0.1.0-pyhbf21a9e_0.conda',
      'accept',
      spec({ zip64: 'central-zero' }),
    ),
  );
  add(
    built(
      'empty metadata.json',
      'conda_gc_test-2.2.1-py27_3.conda (old converter)',
      'accept',
      spec({ metadataJson: '' }),
    ),
  );
  add(
    built(
      'info/paths.json in the payload',
      'installers would read it, the gate and indexers not',
      'pkg.parts',
      spec({ infoInPayload: { 'info/paths.json': '{"paths": [], "paths_version": 1}' } }),
    ),
  );
  add(
    built(
      'info/link.json in the payload',
      'conda reads entry points from the merged folder',
      'pkg.parts',
      spec({ infoInPayload: { 'info/link.json': '{}' } }),
    ),
  );
  add(
    built(
      'index.json subdir other than the statement',
      'published into the wrong subdir',
      'index.subdir',
      spec({ indexOverrides: { subdir: 'osx-64' } }),
    ),
  );
  add(
    built(
      'depends that is a string',
      'rattler cannot read the record',
      'index.lists',
      spec({ indexOverrides: { depends: 'python' } }),
    ),
  );
  add(
    built(
      'timestamp written as a float',
      'rattler reads i64 only',
      'index.timestamp',
      spec({ indexOverrides: { timestamp: 1700000000.5 } }),
    ),
  );

  // ---------------------------------------------------------------- tar tricks: readers differ or rules break
  add(
    both('pax path and GNU long name on one member', 'readers pick different names', 'tar.extensions', [
      gnuLong('L', 'bin/from-gnu'),
      pax([['path', 'bin/from-pax']]),
      file('bin/from-header'),
    ]),
  );
  add(
    both('two pax headers on one member', 'first vs last wins', 'tar.extensions', [
      pax([['path', 'bin/first']]),
      pax([['path', 'bin/second']]),
      file('x'),
    ]),
  );
  add(
    both('pax global header', 'changes later members for some readers', 'tar.pax-global', [
      pax([['path', 'bin/global']], 'g'),
      file('share/a'),
    ]),
  );
  add(
    both('signed-only checksum', 'Python and GNU tar accept signed sums; others not', 'tar.checksum', [
      file('share/caf\u00e9', 'x', { checksum: 'signed' }),
    ]),
  );
  add(
    both(
      'checksum mismatch on a later member',
      'Python stops silently, GNU tar skips to the next header',
      'tar.checksum',
      [file('share/a'), file('share/hidden-from-python', 'x', { checksum: '0000001\0' }), file('share/after')],
    ),
  );
  add(
    both(
      'numeric fields with leading spaces',
      'historic tars wrote `   644 ` modes; every reader skips blanks',
      'accept',
      [file('a', 'abc', { size: ' 0000000003\0', mode: '   644 \0', uid: '     0 \0' })],
    ),
  );
  add(
    both(
      'a number with bytes after its NUL',
      'libarchive does not recognise the archive when its first header has one',
      'tar.numbers',
      [file('a', 'abc', { size: '0000000003\0x' })],
    ),
  );
  add(
    both('a number with a leading NUL', 'GNU tar skips one leading NUL, Python reads 0', 'tar.numbers', [
      file('a', 'abc', { size: '\u00000000000003' }),
    ]),
  );
  add(
    both('size with trailing garbage', 'libarchive stops at the first non-digit', 'tar.numbers', [
      file('a', 'abc', { size: '00000000003x' }),
    ]),
  );
  add(
    both('uid that is not octal', "Python's header is invalid (it stops reading), others ignore uid", 'tar.numbers', [
      file('share/a'),
      file('share/b', 'x', { uid: 'root\0\0\0\0' }),
      file('share/c'),
    ]),
  );
  add(
    both('member after the end-of-archive marker', 'hidden unless a reader ignores zeros', 'tar.blocks', [
      file('share/a'),
      Buffer.alloc(1024),
      file('bin/hidden'),
    ]),
  );
  add({
    id: 'single zero block then a member (.tar.bz2)',
    why: 'one zero block ends the archive for some readers only',
    expect: 'tar.blocks',
    ...tarBz2([Buffer.alloc(512), file('bin/hidden'), Buffer.alloc(1024)], { raw: true }),
  });
  add({
    id: 'no end-of-archive marker (.tar.bz2)',
    why: 'truncated archives read differently',
    expect: 'tar.blocks',
    ...tarBz2([file('share/a')], { raw: true }),
  });
  add(
    both('symlink carrying data', 'Python does not skip it and reads the data as a header', 'tar.size', [
      member(
        { name: 'share/l', typeflag: '2', linkname: 'a' },
        Buffer.concat([tarHeader({ name: 'bin/hidden', size: 0 })]),
      ),
      file('share/a'),
    ]),
  );
  add(
    both('directory carrying data', 'same, for directories', 'tar.size', [
      member({ name: 'd/', typeflag: '5' }, 'data'),
      file('d/a'),
    ]),
  );
  add(
    both('hard link carrying data', 'pax allows it; readers disagree', 'tar.size', [
      file('a'),
      member({ name: 'b', typeflag: '1', linkname: 'a' }, 'data'),
    ]),
  );
  add(
    both('regular file with a link name', 'libarchive may make it a hard link', 'tar.links', [
      file('share/a'),
      file('share/b', 'x', { linkname: 'share/a' }),
    ]),
  );
  add(
    both('regular file with a pax linkpath', 'libarchive makes it a hard link to anything', 'tar.links', [
      pax([['linkpath', 'etc/passwd']]),
      file('share/b'),
    ]),
  );
  add(
    both('old-style regular file with a trailing slash', 'Python turns it into a directory', 'tar.type', [
      member({ name: 'share/x/', typeflag: '\0' }),
      file('share/y'),
    ]),
  );
  add(
    both('GNU header with atime in the prefix area', 'Python reads it as a path prefix', 'tar.gnu-fields', [
      file('a', 'x', { magic: 'gnu', prefix: '14000000000' }),
    ]),
  );
  add(
    both('ustar prefix beside a pax path', "libarchive's pax writer; every reader takes the pax path", 'accept', [
      pax([['path', 'share/pax']]),
      file('name', 'x', { prefix: 'share/prefix' }),
    ]),
  );
  add(
    both('ustar prefix that is not UTF-8', 'decoded differently per reader', 'tar.prefix', [
      file('name', 'x', { prefix: Buffer.from([0x73, 0xe9]) }),
    ]),
  );
  add(
    both('V7 header without magic', 'legacy format with other field rules', 'tar.magic', [
      file('share/v7', 'x', { magic: Buffer.alloc(8) }),
    ]),
  );
  add(
    both('GNU sparse member', 'readers expand sparse maps differently', 'tar.type', [
      file('share/sparse', 'x', { typeflag: 'S', magic: 'gnu' }),
    ]),
  );
  add(
    both('contiguous file type 7', 'treated as regular by some, refused by others', 'tar.type', [
      file('share/contig', 'x', { typeflag: '7' }),
    ]),
  );
  add(
    both('pax size that disagrees with the header', 'which size frames the data?', 'tar.pax-size', [
      pax([['size', '2']]),
      file('share/a', 'abcd'),
    ]),
  );
  add(
    both('pax size with a plus sign', "Python's int() accepts it, libarchive does not", 'tar.pax', [
      pax([['size', '+4']]),
      file('share/a', 'abcd'),
    ]),
  );
  add(
    both('pax record with a wrong length', 'readers resynchronise differently', 'tar.pax', [
      rawPax('30 path=share/wrong\n'),
      file('share/a'),
    ]),
  );
  add(
    both('pax key twice', 'first vs last wins', 'tar.pax', [
      rawPax('17 path=share/one\n17 path=share/two\n'),
      file('x'),
    ]),
  );
  add(
    both('pax hdrcharset=BINARY', 'changes how Python decodes names', 'tar.pax', [
      pax([['hdrcharset', 'BINARY']]),
      file('share/a'),
    ]),
  );
  add(
    both('pax GNU.sparse.name', 'libarchive renames the member', 'tar.pax', [
      pax([['GNU.sparse.name', 'bin/renamed']]),
      file('share/a'),
    ]),
  );
  add(
    both('pax extended attribute (file capability)', 'bsdtar restores it as root', 'tar.pax', [
      pax([['SCHILY.xattr.security.capability', 'x']]),
      file('bin/a'),
    ]),
  );
  add(
    both('%-encoded libarchive xattr naming a capability', 'libarchive decodes %73 to s', 'tar.pax', [
      pax([['LIBARCHIVE.xattr.%73ecurity.capability', 'AQAAAg']]),
      file('bin/a'),
    ]),
  );
  add(
    both('macOS extended attributes and libarchive metadata keys', 'cph 1.x (libarchive) on macOS', 'accept', [
      pax([
        ['LIBARCHIVE.creationtime', '1700000000'],
        ['LIBARCHIVE.xattr.com.apple.quarantine', 'MDA4MTs2NTRhYmNkZTtTYWZhcmk7'],
        ['SCHILY.dev', '16777220'],
        ['SCHILY.ino', '1234567'],
        ['SCHILY.nlink', '1'],
        ['SCHILY.xattr.com.apple.provenance', '\u0001\u0002\u0000\n\u0003'],
      ]),
      file('lib/libfoo.dylib', 'macho'),
      pax([['SCHILY.xattr.user.origin', 'builder']]),
      file('share/doc.txt', 'doc'),
    ]),
  );
  add(
    both('sticky directory and file-type bits in a mode', 'every reader keeps the low 12 bits', 'accept', [
      dir('share/tmp', { mode: 0o1777 }),
      file('share/tmp/a', 'x', { mode: 0o100644 }),
    ]),
  );
  add(
    both('setgid file', 'installed as root, a privilege escalation', 'tar.mode', [
      file('bin/sg', 'x', { mode: 0o2755 }),
    ]),
  );
  add(
    both('bytes after the name terminator', 'every reader stops the name at its first NUL', 'accept', [
      file('share/a', 'x', { name: Buffer.from('share/a\0bin/evil') }),
    ]),
  );
  add(
    both(
      'bytes after the NUL of link name, uname, gname and prefix',
      'every reader stops each field at its NUL',
      'accept',
      [
        file('share/a'),
        symlink('share/l', 'a', {
          linkname: Buffer.from('a\0../../etc/passwd'),
          uname: Buffer.from('root\0evil'),
          gname: Buffer.from('wheel\0evil'),
          prefix: Buffer.from('\0bin'),
        }),
      ],
    ),
  );
  add(
    both('a GNU long name with bytes after its NUL', 'the Rust tar crate drops only the last NUL', 'tar.longname', [
      Buffer.concat([
        tarHeader({ name: '././@LongLink', typeflag: 'L', size: 17, magic: 'gnu' }),
        tarData(Buffer.from('share/a\0bin/evil\0')),
      ]),
      file('share/a', 'x', { magic: 'gnu' }),
    ]),
  );
  add(
    both('name that is not UTF-8', 'decoded differently per reader', 'tar.strings', [
      file('share/a', 'x', { name: Buffer.from([0x73, 0x2f, 0xe9, 0x2e, 0x74]) }),
    ]),
  );
  add(
    both('setuid binary', 'installed as root, a privilege escalation', 'tar.mode', [
      file('bin/su', 'x', { mode: 0o4755 }),
    ]),
  );
  add(both('device node', 'never installable safely', 'tar.device', [member({ name: 'dev/null', typeflag: '3' })]));
  add(both('FIFO', 'blocks the installer', 'tar.device', [member({ name: 'share/fifo', typeflag: '6' })]));
  add(
    both('hard link to a later member', 'order-dependent extraction', 'tar.links', [
      hardlink('share/h', 'share/a'),
      file('share/a'),
    ]),
  );
  add(
    both('hard link to a symlink', 'libarchive and Python disagree on what it links', 'tar.links', [
      symlink('share/s', 'a'),
      file('share/a'),
      hardlink('share/h', 'share/s'),
    ]),
  );

  // ---------------------------------------------------------------- paths and package-wide rules
  add(both('absolute path', 'writes outside the prefix', 'path.relative', [file('/etc/cron.d/evil')]));
  add(both('.. path', 'writes outside the prefix', 'path.relative', [file('share/../../evil')]));
  add(both('leading ./', 'two spellings of one path', 'path.canonical', [file('./share/a')]));
  add(both('empty path component', 'two spellings of one path', 'path.canonical', [file('share//a')]));
  add(
    both('absolute symlink to /etc/passwd', 'reads outside the prefix', 'path.relative', [
      symlink('share/passwd', '/etc/passwd'),
    ]),
  );
  add(
    both('control characters in a name', 'terminal injection, line-based tools', 'path.characters', [
      file('share/\u001b]0;pwned\u0007'),
    ]),
  );
  add(
    both('duplicate member', 'the last one wins on extraction', 'pkg.unique', [
      file('share/a', 'first'),
      file('share/a', 'second'),
    ]),
  );
  add(
    both('member below a symlink', 'writes through the link', 'pkg.parents', [
      symlink('share/lib', '../../../etc'),
      file('share/lib/cron'),
    ]),
  );
  add(
    both('symlink chain that leaves the prefix', 'each link alone stays inside', 'pkg.symlinks', [
      symlink('d/up', '..'),
      symlink('d/escape', 'up/..'),
    ]),
  );
  add(
    both(
      'names equal ignoring case on noarch',
      'one file on macOS and Windows',
      'pkg.case',
      [file('share/Data'), file('share/data')],
      'noarch',
    ),
  );
  add(
    both(
      'payload under INFO/ on osx',
      'lands in info/ on a case-insensitive disk',
      'pkg.case',
      [file('INFO/run_exports.json', '{}')],
      'osx-64',
    ),
  );
  add(
    both(
      'reserved device name on win-64',
      'CON, NUL, AUX... are devices on Windows',
      'pkg.windows',
      [file('Lib/nul.py')],
      'win-64',
    ),
  );

  // ---------------------------------------------------------------- .conda zip layer
  const entries = (pkg = evilTar): ZipEntry[] => [
    { name: 'metadata.json', data: Buffer.from('{"conda_pkg_format_version": 2}') },
    { name: `pkg-${STEM}.tar.zst`, data: zstd1(pkg) },
    { name: `info-${STEM}.tar.zst`, data: zstd1(end(indexMember('linux-64'))) },
  ];
  const other = zstd1(end(file('bin/other', 'the central directory says this')));
  add({
    id: 'second central directory in the zip comment',
    why: "Python's zipfile and unzip read the last one",
    expect: 'zip.layout',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: (() => {
      const shadow = zipStored([{ name: `pkg-${STEM}.tar.zst`, data: other }]);
      const real = zipStored(entries());
      const withComment = Buffer.from(real);
      withComment.writeUInt16LE(shadow.length, real.length - 2);
      return Buffer.concat([withComment, shadow]);
    })(),
  });
  add({
    id: 'bytes prepended to the zip',
    why: 'Python adjusts offsets; streaming readers do not',
    expect: 'zip.layout',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), zipStored(entries())]),
  });
  add({
    id: 'data after the end record',
    why: 'hidden entries for appending readers',
    expect: 'zip.layout',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: Buffer.concat([zipStored(entries()), zipStored([{ name: 'extra', data: other }])]),
  });
  add({
    id: 'central directory names another entry',
    why: 'streaming (rattler) and central-directory (conda) readers see different parts',
    expect: 'zip.central',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipWith(entries(), {
      central: (h, i) =>
        i === 1
          ? Buffer.from(h.toString('latin1').replace(`pkg-${STEM}`, `pkg-${STEM.replace('pkg', 'pkx')}`), 'latin1')
          : h,
    }),
  });
  add({
    id: 'Info-ZIP Unicode path extra',
    why: 'unzip and libarchive rename the entry',
    expect: 'zip.extra',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipWith(entries(), {
      local: (h, i) => {
        if (i !== 1) return h;
        const up = Buffer.concat([
          Buffer.from([0x75, 0x70]),
          Buffer.alloc(2),
          Buffer.from([1, 0, 0, 0, 0]),
          Buffer.from('metadata.json'),
        ]);
        up.writeUInt16LE(up.length - 4, 2);
        const c = Buffer.concat([h, up]);
        c.writeUInt16LE(h.readUInt16LE(28) + up.length, 28);
        return c;
      },
    }),
  });
  const withCentralExtra = (h: Buffer, extra: Buffer): Buffer => {
    const c = Buffer.concat([h, extra]);
    c.writeUInt16LE(extra.length, 30);
    return c;
  };
  const zip64Values = (...values: number[]): Buffer => {
    const b = Buffer.alloc(4 + 8 * values.length);
    b.writeUInt16LE(1, 0);
    b.writeUInt16LE(8 * values.length, 2);
    values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
    return b;
  };
  add({
    id: 'entry comments in the central directory',
    why: 'every reader frames them by length and ignores them',
    expect: 'accept',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipWith(entries(), {
      central: (h) => {
        const comment = Buffer.from('built by hand');
        const c = Buffer.concat([h, comment]);
        c.writeUInt16LE(comment.length, 32);
        return c;
      },
    }),
  });
  add({
    id: 'a 24-byte zip64 extra whose offset disagrees with the 32-bit one',
    why: 'the Rust zip crate reads the extra, Python and libarchive the 32-bit field',
    expect: 'zip.zip64',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipWith(entries(), {
      central: (h, i) => (i === 1 ? withCentralExtra(h, zip64Values(h.readUInt32LE(24), h.readUInt32LE(20), 0)) : h),
    }),
  });
  add({
    id: 'data descriptor',
    why: 'sizes after the data: readers frame entries differently',
    expect: 'zip.flags',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipWith(entries(), {
      local: (h) => {
        const c = Buffer.from(h);
        c.writeUInt16LE(8, 6);
        return c;
      },
      central: (h) => {
        const c = Buffer.from(h);
        c.writeUInt16LE(8, 8);
        return c;
      },
    }),
  });
  add({
    id: 'a near-name info entry (info-….tar.zst.bak)',
    why: 'conda picks the first name that starts with info-<stem>',
    expect: 'conda.entries',
    subdir: 'linux-64',
    filename: `${STEM}.conda`,
    bytes: zipStored(
      [...entries(), { name: `info-${STEM}.tar.zst.bak`, data: zstd1(end(file('info/index.json', '{}'))) }],
      'local',
    ),
  });

  // ---------------------------------------------------------------- compression layers
  add({
    id: 'zstd: a second frame',
    why: 'python-zstandard (conda) stops after the first; libarchive, the zstd CLI and rattler read on',
    expect: 'zstd.frame',
    ...conda({
      pkg: Buffer.alloc(0),
      zstd: (t, part) =>
        part === 'pkg' ? Buffer.concat([zstd1(file('share/a')), zstd1(end(file('bin/second-frame')))]) : zstd1(t),
    }),
  });
  add({
    id: 'zstd: a skippable frame first',
    why: 'some readers stop at it',
    expect: 'zstd.frame',
    ...conda({
      pkg: end(file('share/a')),
      zstd: (t) => Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]), zstd1(t)]),
    }),
  });
  add({
    id: 'zstd: trailing bytes',
    why: 'ignored by some readers',
    expect: 'zstd.frame',
    ...conda({ pkg: end(file('share/a')), zstd: (t) => Buffer.concat([zstd1(t), Buffer.from('junk')]) }),
  });
  add({
    id: 'zstd: 256 MiB window',
    why: 'past what the zstd CLI and python-zstandard allow by default',
    expect: 'zstd.window',
    ...conda({ pkg: end(file('share/a')), zstd: (t, part) => (part === 'pkg' ? rawZstd(t, 0x90) : zstd1(t)) }),
  });
  add({
    id: 'bzip2: a second concatenated stream',
    why: 'a hidden member for multi-stream readers',
    expect: 'bzip2.stream',
    ...tarBz2([file('share/a')], {
      bz: (t) => Buffer.concat([compressBzip2(t), compressBzip2(end(file('bin/hidden')))]),
    }),
  });
  add({
    id: 'bzip2: trailing garbage',
    why: 'ignored silently by Python',
    expect: 'bzip2.stream',
    ...tarBz2([file('share/a')], {
      bz: (t) => Buffer.concat([compressBzip2(t), Buffer.from('garbage')]),
    }),
  });
  return cases;
}
