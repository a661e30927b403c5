// One test per rule of the tar reader's accepted subset (TAR_RULES and PATH_RULES), plus what it must accept.
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNPACK_LIMITS, UnpackBudget } from '../../src/conda/limits.js';
import { PATH_RULES } from '../../src/conda/path-safety.js';
import { ArtifactProblem } from '../../src/conda/problem.js';
import { TAR_RULES, TarReader, type TarMember } from '../../src/conda/tar-reader.js';
import { paxRecords, tarData, tarEnd, tarHeader, type TarHeaderFields } from '../../src/conda/tar-write.js';

function read(bytes: Buffer, chunk = bytes.length): TarReader {
  const r = new TarReader({
    budget: new UnpackBudget(DEFAULT_UNPACK_LIMITS, bytes.length),
    label: 'the archive',
    hashContents: true,
    keep: { 'info/index.json': 1024 },
  });
  for (let at = 0; at < bytes.length; at += chunk) r.write(bytes.subarray(at, at + chunk));
  r.end();
  return r;
}

/** The rule id the reader refuses `bytes` with (throws if it accepts them). */
function refusal(bytes: Buffer): string {
  try {
    read(bytes);
  } catch (e) {
    if (e instanceof ArtifactProblem) return e.rule;
    throw e;
  }
  throw new Error('the reader accepted the archive');
}

const member = (fields: TarHeaderFields, content = ''): Buffer =>
  Buffer.concat([tarHeader({ size: Buffer.byteLength(content), ...fields }), tarData(Buffer.from(content))]);
const file = (name: string, content = 'x', extra: Partial<TarHeaderFields> = {}): Buffer =>
  member({ name, ...extra }, content);
const pax = (records: [string, string][], extra: Partial<TarHeaderFields> = {}): Buffer => {
  const body = paxRecords(records);
  return Buffer.concat([tarHeader({ name: 'PaxHeader', typeflag: 'x', size: body.length, ...extra }), tarData(body)]);
};
const gnuLong = (type: 'L' | 'K', value: Buffer | string, name = '././@LongLink'): Buffer => {
  const body = typeof value === 'string' ? Buffer.from(`${value}\0`) : value;
  return Buffer.concat([tarHeader({ name, typeflag: type, size: body.length, magic: 'gnu' }), tarData(body)]);
};
function archive(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([body, tarEnd(body.length)]);
}
const ok = archive(file('a'));

/** For every rule: archives that break it, each refused with exactly that rule. */
const REFUSED: Record<string, [string, Buffer][]> = {
  'tar.blocks': [
    ['no end-of-archive marker', file('a')],
    ['a single zero block at the end', Buffer.concat([file('a'), Buffer.alloc(512)])],
    ['a member after the end marker', Buffer.concat([ok, file('hidden')])],
    ['a stray byte after the end marker', Buffer.concat([ok, Buffer.from([1])])],
    ['not whole blocks', Buffer.concat([ok, Buffer.alloc(100)])],
    ['truncated inside the data', file('a', 'x'.repeat(600)).subarray(0, 800)],
  ],
  'tar.checksum': [
    ['a wrong checksum', archive(file('a', 'x', { checksum: '0000001\0' }))],
    ['only the signed checksum matches', archive(file('caf\u00e9', 'x', { checksum: 'signed' }))],
  ],
  'tar.magic': [
    ['a V7 header (no magic)', archive(file('a', 'x', { magic: Buffer.alloc(8) }))],
    ['ustar with another version', archive(file('a', 'x', { magic: Buffer.from('ustar\u00000 ') }))],
  ],
  'tar.gnu-fields': [
    ['a GNU header with an atime', archive(file('a', 'x', { magic: 'gnu', prefix: '00000000001' }))],
    [
      'a GNU header with a sparse map',
      archive(file('a', 'x', { magic: 'gnu', patch: [{ at: 386, bytes: Buffer.from('1') }] })),
    ],
  ],
  'tar.strings': [
    ['a name that is not UTF-8', archive(file('a', 'x', { name: Buffer.from([0x61, 0xff]) }))],
    [
      'a link name that is not UTF-8',
      archive(member({ name: 'l', typeflag: '2', linkname: Buffer.from([0x61, 0xe9, 0x62]) })),
    ],
    ['a GNU long name that is not UTF-8', archive(gnuLong('L', Buffer.from([0x61, 0xff, 0])), file('a'))],
  ],
  'tar.numbers': [
    ['a size with a tab before it', archive(file('a', 'x', { size: '\t0000000001\0' }))],
    ['a size with bytes after its NUL', archive(file('a', 'x', { size: '0000000001\0x' }))],
    ['a size with a leading NUL', archive(file('a', 'x', { size: '\u00000000000001' }))],
    ['a size with a trailing letter', archive(file('a', 'x', { size: '0000000001x\0' }))],
    ['a size with a space inside', archive(file('a', 'x', { size: '00000 00001\0' }))],
    [
      'a negative base-256 size',
      archive(file('a', 'x', { size: Buffer.from([0xff, ...Array(11).fill(0xff)]).toString('latin1') })),
    ],
    ['an empty mode', archive(file('a', 'x', { mode: '\0\0\0\0\0\0\0\0' }))],
    ['a size with a plus sign', archive(file('a', 'x', { size: '+000000001\0' }))],
  ],
  'tar.type': [
    ['a sparse member (S)', archive(file('a', 'x', { typeflag: 'S', magic: 'gnu' }))],
    ['a multi-volume continuation (M)', archive(file('a', 'x', { typeflag: 'M', magic: 'gnu' }))],
    ['a volume label (V)', archive(member({ name: 'vol', typeflag: 'V', magic: 'gnu' }))],
    ['a contiguous file (7)', archive(file('a', 'x', { typeflag: '7' }))],
    ['a GNU dump directory (D)', archive(member({ name: 'd/', typeflag: 'D', magic: 'gnu' }))],
    ['a vendor type (A)', archive(file('a', 'x', { typeflag: 'A' }))],
    ['a regular file whose name ends in /', archive(file('dir/', '', { typeflag: '0' }))],
    ['an old-style regular file whose name ends in /', archive(member({ name: 'dir/', typeflag: '\0' }))],
  ],
  'tar.device': [
    ['a character device', archive(member({ name: 'dev/null', typeflag: '3' }))],
    ['a block device', archive(member({ name: 'dev/sda', typeflag: '4' }))],
    ['a FIFO', archive(member({ name: 'fifo', typeflag: '6' }))],
  ],
  'tar.mode': [
    ['a setuid file', archive(file('bin/su', 'x', { mode: 0o4755 }))],
    ['a setgid file', archive(file('bin/sg', 'x', { mode: 0o2755 }))],
    ['a setuid bit beside file-type bits', archive(file('bin/su', 'x', { mode: 0o104755 }))],
  ],
  'tar.size': [
    ['a symlink with data', archive(member({ name: 'l', typeflag: '2', linkname: 'a' }, 'hidden header'))],
    ['a directory with data', archive(member({ name: 'd/', typeflag: '5' }, 'x'))],
    ['a hard link with data', archive(file('a'), member({ name: 'h', typeflag: '1', linkname: 'a' }, 'x'))],
    ['a kept file over its cap', archive(file('info/index.json', 'x'.repeat(2000)))],
  ],
  'tar.pax': [
    ['an oversized pax header', archive(pax([['comment', 'x'.repeat(70_000)]]), file('a'))],
    ['a sparse keyword', archive(pax([['GNU.sparse.size', '10']]), file('a'))],
    ['a header charset keyword', archive(pax([['hdrcharset', 'BINARY']]), file('a'))],
    ['a file capability', archive(pax([['SCHILY.xattr.security.capability', 'x']]), file('a'))],
    ['a trusted. attribute', archive(pax([['LIBARCHIVE.xattr.trusted.overlay', 'eA']]), file('a'))],
    ['a %-encoded security attribute', archive(pax([['LIBARCHIVE.xattr.%73ecurity.ima', 'eA']]), file('a'))],
    ['a POSIX ACL', archive(pax([['SCHILY.acl.access', 'user::rwx']]), file('a'))],
    ['file flags', archive(pax([['SCHILY.fflags', 'schg']]), file('a'))],
    ['an xattr name with a control character', archive(pax([['SCHILY.xattr.user.a\u0001', 'x']]), file('a'))],
    ['an unknown key', archive(pax([['SUN.holesdata', '0 10']]), file('a'))],
    [
      'a key twice',
      archive(
        pax([
          ['path', 'a'],
          ['path', 'b'],
        ]),
        file('c'),
      ),
    ],
    ['a size with a plus sign', archive(pax([['size', '+1']]), file('a'))],
    ['a size with a leading zero', archive(pax([['size', '01']]), file('a'))],
    ['a size in exponent notation', archive(pax([['size', '1e0']]), file('a'))],
    ['an mtime in exponent notation', archive(pax([['mtime', '1e9']]), file('a'))],
    ['an empty value', archive(pax([['path', '']]), file('a'))],
    [
      'a record whose length is wrong',
      archive(
        Buffer.concat([tarHeader({ name: 'P', typeflag: 'x', size: 12 }), tarData(Buffer.from('11 path=ab\n\n'))]),
        file('a'),
      ),
    ],
    [
      'a record without its newline',
      archive(
        Buffer.concat([tarHeader({ name: 'P', typeflag: 'x', size: 10 }), tarData(Buffer.from('10 path=ab'))]),
        file('a'),
      ),
    ],
    [
      'a length with a leading zero',
      archive(
        Buffer.concat([tarHeader({ name: 'P', typeflag: 'x', size: 11 }), tarData(Buffer.from('011 path=a\n'))]),
        file('a'),
      ),
    ],
  ],
  'tar.pax-global': [['a pax global header', archive(pax([['comment', 'x']], { typeflag: 'g' }), file('a'))]],
  'tar.longname': [
    ['an L record without its NUL', archive(gnuLong('L', Buffer.from('long')), file('a', 'x', { magic: 'gnu' }))],
    ['an L record with a NUL inside', archive(gnuLong('L', Buffer.from('lo\0ng\0')), file('a', 'x', { magic: 'gnu' }))],
    ['an L record longer than PATH_MAX', archive(gnuLong('L', 'a'.repeat(5000)), file('a', 'x', { magic: 'gnu' }))],
  ],
  'tar.extensions': [
    ['two pax headers for one member', archive(pax([['path', 'a']]), pax([['path', 'b']]), file('c'))],
    [
      'a pax header and a GNU long name',
      archive(pax([['mtime', '1']]), gnuLong('L', 'long'), file('a', 'x', { magic: 'gnu' })),
    ],
    ['a GNU long name and a pax header', archive(gnuLong('L', 'long'), pax([['path', 'other']]), file('a'))],
    ['two GNU long names', archive(gnuLong('L', 'one'), gnuLong('L', 'two'), file('a', 'x', { magic: 'gnu' }))],
    ['a long name before the end marker', archive(gnuLong('L', 'dangling'))],
  ],
  'tar.prefix': [['a ustar prefix that is not UTF-8', archive(file('name', 'x', { prefix: Buffer.from([0xe9]) }))]],
  'tar.links': [
    ['a regular file with a link name', archive(file('a', 'x', { linkname: 'b' }))],
    ['a regular file with a pax linkpath', archive(pax([['linkpath', 'b']]), file('a'))],
    ['a hard link to a later file', archive(member({ name: 'h', typeflag: '1', linkname: 'a' }), file('a'))],
    ['a hard link to nothing', archive(member({ name: 'h', typeflag: '1', linkname: 'nowhere' }))],
    [
      'a hard link to a directory',
      archive(member({ name: 'd/', typeflag: '5' }), member({ name: 'h', typeflag: '1', linkname: 'd' })),
    ],
    ['a symlink without a target', archive(member({ name: 'l', typeflag: '2' }))],
  ],
  'tar.pax-size': [['a pax size that disagrees with the header', archive(pax([['size', '3']]), file('a', 'x'))]],
  'path.relative': [
    ['an absolute path', archive(file('/etc/passwd'))],
    ['a ".." path', archive(file('../x'))],
    ['a ".." inside a path', archive(file('a/../../x'))],
    ['a drive letter', archive(file('C:/x'))],
    ['an absolute symlink', archive(member({ name: 'l', typeflag: '2', linkname: '/etc/passwd' }))],
    ['a hard link to an absolute path', archive(member({ name: 'h', typeflag: '1', linkname: '/etc/passwd' }))],
  ],
  'path.canonical': [
    ['an empty component', archive(file('a//b'))],
    ['a leading ./', archive(file('./a'))],
    ['a . component', archive(file('a/./b'))],
  ],
  'path.characters': [
    ['a backslash', archive(file('a\\b'))],
    ['a newline', archive(file('a\nb'))],
    ['an escape character in a pax path', archive(pax([['path', 'a\u001b[31m']]), file('x'))],
    ['a control character in a symlink target', archive(member({ name: 'l', typeflag: '2', linkname: 'a\rb' }))],
  ],
  'path.length': [
    ['a path longer than PATH_MAX', archive(pax([['path', `${'d/'.repeat(2100)}f`]]), file('x'))],
    ['a component longer than NAME_MAX', archive(pax([['path', 'a'.repeat(256)]]), file('x'))],
  ],
};

describe('tar reader: every rule of the accepted subset refuses what breaks it', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(REFUSED).sort()).toEqual([...Object.keys(TAR_RULES), ...Object.keys(PATH_RULES)].sort());
  });
  for (const [rule, cases] of Object.entries(REFUSED)) {
    for (const [name, bytes] of cases) {
      it(`${rule}: refuses ${name}`, () => {
        expect(refusal(bytes)).toBe(rule);
      });
    }
  }
});

const listing = (r: TarReader): Pick<TarMember, 'path' | 'type' | 'linkTarget' | 'size'>[] =>
  r.members.map(({ path, type, linkTarget, size }) => ({ path, type, linkTarget, size }));

/** What each member reads as: `path`, `path -> target`, plus `(mode)` where the case is about modes. */
const seen = (r: TarReader, modes = false): string[] =>
  r.members.map(
    (m) => `${m.path}${m.linkTarget === null ? '' : ` -> ${m.linkTarget}`}${modes ? ` (${m.mode.toString(8)})` : ''}`,
  );

/** For every rule: the borderline forms it accepts, and what the reader makes of them (as every reader does). */
const ACCEPTED: Record<string, [string, Buffer, string[], boolean?][]> = {
  'tar.blocks': [['two zero blocks padded with zeros to a 10 KiB record', archive(file('a')), ['a']]],
  'tar.checksum': [['unsigned checksums', archive(file('a'), file('caf\u00e9')), ['a', 'caf\u00e9']]],
  'tar.magic': [
    ['ustar and GNU headers side by side', archive(file('a'), file('b', 'x', { magic: 'gnu' })), ['a', 'b']],
  ],
  'tar.gnu-fields': [['a GNU header whose bytes 345–500 are zero', archive(file('g', 'x', { magic: 'gnu' })), ['g']]],
  'tar.strings': [
    [
      'stale bytes after the NUL of name, link name, uname, gname and prefix (the Rust tar crate)',
      archive(
        file('clobber.txt', 'x', { name: Buffer.from('clobber.txt\0k'), uname: Buffer.from('u\0ser'), magic: 'gnu' }),
        member({
          name: Buffer.from('l\0/@LongLink'),
          typeflag: '2',
          linkname: Buffer.from('clobber.txt\0old'),
          gname: Buffer.from('g\0x'),
          prefix: Buffer.from('\0stale'),
        }),
      ),
      ['clobber.txt', 'l -> clobber.txt'],
    ],
  ],
  'tar.numbers': [
    [
      'leading spaces, full-width digits, trailing space padding and base-256',
      archive(
        file('a', 'abc', { size: '   00000003 ', mode: '   644 \0', mtime: '  1000000000' }),
        file('b', 'abc', { size: Buffer.from([0x80, ...Array(10).fill(0), 3]).toString('latin1') }),
      ),
      ['a', 'b'],
    ],
  ],
  'tar.type': [
    [
      'a file, a directory, a symlink and a hard link',
      archive(
        member({ name: 'd/', typeflag: '5' }),
        file('d/f'),
        member({ name: 's', typeflag: '2', linkname: 'd/f' }),
        member({ name: 'h', typeflag: '1', linkname: 'd/f' }),
      ),
      ['d', 'd/f', 's -> d/f', 'h -> d/f'],
    ],
  ],
  'tar.device': [['a regular file under dev/', archive(file('dev/null')), ['dev/null']]],
  'tar.mode': [
    [
      'a sticky directory and file-type bits in a mode, kept as the low 12 bits',
      archive(member({ name: 'tmp/', typeflag: '5', mode: 0o1777 }), file('tmp/a', 'x', { mode: 0o100755 })),
      ['tmp (1777)', 'tmp/a (755)'],
      true,
    ],
  ],
  'tar.size': [
    [
      'a symlink and a directory of size 0',
      archive(member({ name: 'd/', typeflag: '5' }), member({ name: 'l', typeflag: '2', linkname: 'd' })),
      ['d', 'l -> d'],
    ],
  ],
  'tar.pax': [
    [
      'macOS extended attributes and libarchive metadata keys (libarchive-built packages)',
      archive(
        pax([
          ['LIBARCHIVE.creationtime', '1700000000'],
          ['LIBARCHIVE.xattr.com.apple.quarantine', 'MDA4MTs2NTRhYmNk'],
          ['SCHILY.dev', '16777220'],
          ['SCHILY.ino', '42'],
          ['SCHILY.nlink', '1'],
          ['SCHILY.xattr.com.apple.provenance', '\u0001\u0000\n'],
          ['SCHILY.xattr.user.note', ''],
        ]),
        file('lib/a.dylib'),
      ),
      ['lib/a.dylib'],
    ],
  ],
  'tar.pax-global': [['a pax header local to one member', archive(pax([['comment', 'x']]), file('a')), ['a']]],
  'tar.longname': [
    [
      'one path ended by one NUL, under any header name',
      archive(gnuLong('L', `${'d/'.repeat(60)}f`, 'anything'), file('t', 'x', { magic: 'gnu' })),
      [`${'d/'.repeat(60)}f`],
    ],
  ],
  'tar.extensions': [
    [
      'one L and one K for a member',
      archive(
        gnuLong('L', `${'n/'.repeat(60)}l`),
        gnuLong('K', `${'t/'.repeat(60)}x`),
        member({ name: 'l', typeflag: '2', linkname: 'x', magic: 'gnu' }),
      ),
      [`${'n/'.repeat(60)}l -> ${'t/'.repeat(60)}x`],
    ],
  ],
  'tar.prefix': [
    [
      "a ustar prefix beside a pax path (libarchive's pax writer): the pax path wins, as in every reader",
      archive(pax([['path', 'share/from-pax']]), file('name', 'x', { prefix: Buffer.from([0xe9]) })),
      ['share/from-pax'],
    ],
  ],
  'tar.links': [
    [
      'a hard link to an earlier file and a relative symlink',
      archive(
        file('a'),
        member({ name: 'h', typeflag: '1', linkname: 'a' }),
        member({ name: 's', typeflag: '2', linkname: 'a' }),
      ),
      ['a', 'h -> a', 's -> a'],
    ],
  ],
  'tar.pax-size': [['a pax size equal to the header size', archive(pax([['size', '1']]), file('a', 'x')), ['a']]],
  'path.relative': [
    [
      'a relative symlink that climbs inside the archive',
      archive(member({ name: 'a/l', typeflag: '2', linkname: '../b' })),
      ['a/l -> ../b'],
    ],
  ],
  'path.canonical': [
    ['a directory with its one trailing slash', archive(member({ name: 'd/', typeflag: '5' })), ['d']],
  ],
  'path.characters': [
    ['UTF-8 names and spaces', archive(file('share/café/naïve file.txt')), ['share/café/naïve file.txt']],
  ],
  'path.length': [
    ['a component of exactly 255 bytes', archive(pax([['path', 'a'.repeat(255)]]), file('x')), ['a'.repeat(255)]],
  ],
};

describe('tar reader: every rule of the accepted subset accepts its borderline forms', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(ACCEPTED).sort()).toEqual([...Object.keys(TAR_RULES), ...Object.keys(PATH_RULES)].sort());
  });
  for (const [rule, cases] of Object.entries(ACCEPTED)) {
    for (const [name, bytes, expected, modes] of cases) {
      it(`${rule}: accepts ${name}`, () => {
        expect(seen(read(bytes), modes)).toEqual(expected);
      });
    }
  }
});

describe('tar reader: what it accepts, it reads exactly', () => {
  it('reads files, directories, symlinks and hard links, with sizes and content hashes', () => {
    const r = read(
      archive(
        member({ name: 'lib/', typeflag: '5', mode: 0o755 }),
        file('lib/a.so', 'hello'),
        member({ name: 'lib/b.so', typeflag: '2', linkname: 'a.so' }),
        member({ name: 'lib/c.so', typeflag: '1', linkname: 'lib/a.so' }),
      ),
    );
    expect(listing(r)).toEqual([
      { path: 'lib', type: 'directory', linkTarget: null, size: 0 },
      { path: 'lib/a.so', type: 'file', linkTarget: null, size: 5 },
      { path: 'lib/b.so', type: 'symlink', linkTarget: 'a.so', size: 0 },
      { path: 'lib/c.so', type: 'hardlink', linkTarget: 'lib/a.so', size: 0 },
    ]);
    expect(r.members[1]!.sha256).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('joins the ustar prefix and name', () => {
    expect(listing(read(archive(file('name.txt', 'x', { prefix: 'some/long/prefix' }))))[0]!.path).toBe(
      'some/long/prefix/name.txt',
    );
  });

  it('takes a pax path and linkpath over the header fields', () => {
    const long = `${'sub/'.repeat(40)}file`;
    const r = read(
      archive(
        pax([['path', long]]),
        file('trunc'),
        pax([['linkpath', long]]),
        member({ name: 'l', typeflag: '2', linkname: 'x' }),
      ),
    );
    expect(listing(r).map((m) => [m.path, m.linkTarget])).toEqual([
      [long, null],
      ['l', long],
    ]);
  });

  it('takes GNU long names and long links (GNU headers)', () => {
    const long = `${'deep/'.repeat(30)}f`;
    const r = read(
      archive(
        gnuLong('L', long),
        file('trunc', 'x', { magic: 'gnu' }),
        gnuLong('K', long),
        gnuLong('L', `${long}.link`),
        member({ name: 'l', typeflag: '2', linkname: 'x', magic: 'gnu' }),
      ),
    );
    expect(listing(r).map((m) => [m.path, m.linkTarget])).toEqual([
      [long, null],
      [`${long}.link`, long],
    ]);
  });

  it('accepts the header forms real writers use: base-256 size, 12-digit size, NUL devices, both checksum paddings', () => {
    const base256 = Buffer.alloc(12);
    base256[0] = 0x80;
    base256[11] = 3;
    const r = read(
      archive(
        file('a', 'abc', { size: base256.toString('latin1') }),
        file('b', 'abc', { size: '000000000003' }),
        file('c', 'abc', { devmajor: '\0\0\0\0\0\0\0\0', devminor: '\0\0\0\0\0\0\0\0' }),
        file('d', 'abc', { magic: 'gnu' }),
        pax([
          ['mtime', '1700000000.123456'],
          ['uid', '1000'],
          ['gname', 'staff'],
          ['size', '3'],
        ]),
        file('e', 'abc'),
      ),
    );
    expect(listing(r).map((m) => [m.path, m.size])).toEqual([
      ['a', 3],
      ['b', 3],
      ['c', 3],
      ['d', 3],
      ['e', 3],
    ]);
  });

  it('reads an empty archive (zero blocks only), as conda-package-handling writes an empty payload', () => {
    expect(read(Buffer.alloc(10240)).members).toEqual([]);
  });

  it('reads the same archive fed one byte at a time', () => {
    const bytes = archive(
      file('info/index.json', '{"a":1}'),
      pax([['path', `${'x/'.repeat(60)}y`]]),
      file('b', 'z'.repeat(700)),
    );
    const whole = read(bytes);
    const bytewise = read(bytes, 1);
    expect(listing(bytewise)).toEqual(listing(whole));
    expect(bytewise.kept.get('info/index.json')?.toString()).toBe('{"a":1}');
  });
});
