// forgegate's own tar reader. It accepts one unambiguous subset of tar — the ustar, pax and GNU forms real conda
// writers emit (Python's tarfile, libarchive, GNU tar) — and refuses everything that Python's tarfile, libarchive,
// GNU tar or the Rust tar crate could read differently. Synchronous and push-based: callers feed decompressed bytes
// with write(); memory is one header plus one bounded extension record, whatever the archive holds.
import { createHash, type Hash } from 'node:crypto';
import { MAX_PATH_BYTES, MAX_PAX_HEADER_BYTES, type UnpackBudget } from './limits.js';
import { badCharacter, canonicalPath, checkLinkTarget, utf8Length } from './path-safety.js';
import { ArtifactProblem, broke, type RuleTable } from './problem.js';

/**
 * The accepted subset, one rule per row. Every rule has a test (test/conda/tar-reader.test.ts); why each rule
 * refuses, which readers differ and which writers are known to break it is in docs/package-rules.md.
 */
export const TAR_RULES: RuleTable = {
  'tar.blocks': {
    reason: 'ARTIFACT_INVALID',
    text: 'The archive is whole 512-byte blocks and ends with two zero blocks; after them, only zero bytes.',
    fix:
      'The archive is truncated or has bytes after its end: re-download or re-upload the file; if the builder ' +
      'wrote it so, rebuild with conda-build or rattler-build.',
  },
  'tar.checksum': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Every header checksum is the unsigned sum of its bytes ' +
      '(the signed sum, which Python and GNU tar accept but the Rust tar crate refuses, is refused).',
    fix:
      'The file is corrupt, or its tar writer computes signed checksums (pre-1988 tars did): rebuild with ' +
      'conda-build or rattler-build.',
  },
  'tar.magic': {
    reason: 'ARTIFACT_INVALID',
    text: 'Every header is POSIX ustar (`ustar\\0` `00`, with pax) or GNU (`ustar  \\0`); no V7 or other headers.',
    fix:
      'The archive was written in the V7 or another pre-POSIX tar format: rebuild with conda-build, ' +
      'conda-package-handling or rattler-build, which write ustar, pax or GNU headers.',
  },
  'tar.gnu-fields': {
    reason: 'ARTIFACT_INVALID',
    text: 'A GNU header has no atime, ctime, multi-volume offset or sparse map (bytes 345–500 are zero).',
    fix:
      'The archive was written with GNU tar options (--atime-preserve with incremental dumps, --sparse, ' +
      '--multi-volume) that conda packages never need: rebuild with conda-build or rattler-build.',
  },
  'tar.strings': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Member names and link names, where they give the path or target, are valid UTF-8; each text field ' +
      '(name, link name, uname, gname, prefix) ends at its first NUL and the bytes after it are ignored, as every ' +
      'reader ignores them.',
    fix:
      'A file name in the package is not UTF-8 (a Latin-1 or other legacy encoding): rename the file in the ' +
      'recipe (or convert its name to UTF-8) and rebuild.',
  },
  'tar.numbers': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Numeric fields are octal digits, optionally after spaces (historic tars wrote them), then only spaces or ' +
      'NULs; or positive base-256. Nothing else, so every reader reads the same number.',
    fix:
      'The tar writer put something other than an octal number in a header field: rebuild with conda-build or ' +
      'rattler-build, and report the writer that made this file to its maintainers.',
  },
  'tar.type': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Types are file (`0`), hard link (`1`), symlink (`2`), directory (`5`), plus `x`, `L`, `K`; no global pax, ' +
      'sparse, multi-volume, contiguous or vendor types; only a directory ends in `/`.',
    fix:
      'The package holds a sparse, contiguous or vendor-specific member: rebuild without GNU tar --sparse (or ' +
      'the tool that wrote it); conda packages hold only files, directories and links.',
  },
  'tar.device': {
    reason: 'ARTIFACT_UNSAFE',
    text: 'No device nodes or FIFOs (`3`, `4`, `6`).',
    fix: 'Remove the device node or FIFO from the package (the build copied it from the build machine).',
  },
  'tar.mode': {
    reason: 'ARTIFACT_UNSAFE',
    text:
      'No setuid or setgid bit. The sticky bit is accepted, and file-type bits in the mode field are ignored ' +
      '(forgegate keeps the low 12 bits), as every reader ignores them.',
    fix:
      'Remove the setuid/setgid bit in the recipe (chmod u-s,g-s): a conda install must never create ' +
      'privileged executables.',
  },
  'tar.size': {
    reason: 'ARTIFACT_INVALID',
    text: 'Only regular files carry data: links and directories have size 0.',
    fix: 'The tar writer gave a link or directory a data size: rebuild with conda-build or rattler-build.',
  },
  'tar.pax': {
    reason: 'ARTIFACT_INVALID',
    text:
      `A pax header (\`x\`) is at most ${MAX_PAX_HEADER_BYTES} bytes of well-formed \`<len> <key>=<value>\\n\` ` +
      'records, each key once. Keys readers act on: path, linkpath, size, mtime, atime, ctime, uid, gid, uname, ' +
      'gname, comment (values non-empty, numbers plain decimal). Keys readers ignore or keep as metadata, any ' +
      'value: SCHILY.dev, SCHILY.ino, SCHILY.nlink, LIBARCHIVE.creationtime, and extended attributes ' +
      '(SCHILY.xattr.*, LIBARCHIVE.xattr.*) outside the security., trusted. and system. namespaces.',
    fix:
      'The archive carries a pax key that changes what some reader extracts (sparse maps, a header charset, ' +
      'ACLs, file flags, security extended attributes such as file capabilities): rebuild without them ' +
      '(conda-build, conda-package-handling and rattler-build never write them; bsdtar --no-xattrs --no-acls ' +
      '--no-fflags).',
  },
  'tar.pax-global': {
    reason: 'ARTIFACT_INVALID',
    text: 'No pax global header (`g`): it would change every later member for some readers only.',
    fix:
      'The archive starts with a pax global header (git archive writes one): rebuild the package with ' +
      'conda-build or rattler-build instead of repacking an existing tar.',
  },
  'tar.longname': {
    reason: 'ARTIFACT_INVALID',
    text:
      'A GNU long name or long link (`L`, `K`) holds one path ended by one NUL, its last byte (the Rust tar ' +
      'crate drops only that last NUL where other readers stop at the first).',
    fix:
      'The tar writer put bytes after the NUL of a GNU long name: rebuild with conda-build or rattler-build, and ' +
      'report the writer that made this file to its maintainers.',
  },
  'tar.extensions': {
    reason: 'ARTIFACT_INVALID',
    text:
      'A member has at most one pax header or at most one `L` and one `K`, never pax mixed with `L`/`K`, and an ' +
      'extension is always followed by its member.',
    fix:
      'Two extension headers name one member differently (readers pick different ones): rebuild with ' +
      'conda-build or rattler-build instead of concatenating or patching archives.',
  },
  'tar.prefix': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Where the ustar prefix gives the path, it is valid UTF-8 and joined to the name with `/`; beside a pax ' +
      'path or GNU long name the prefix (and the name field) is ignored, as every reader ignores it.',
    fix: 'The ustar prefix is not valid UTF-8: rename the file in the recipe and rebuild.',
  },
  'tar.links': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Only links have a link name, and a link has a non-empty one; a hard link names an earlier regular file ' +
      'of the same archive.',
    fix:
      'A link has no target, a file has a link name, or a hard link points forward or at a non-file: rebuild ' +
      'with conda-build or rattler-build (old Anaconda conversion tooling wrote empty symlink targets; the ' +
      '.tar.bz2 of such a build is usually fine).',
  },
  'tar.pax-size': {
    reason: 'ARTIFACT_INVALID',
    text: 'A pax size equals the header size (or the header says 0 because the size needs more than 11 octal digits).',
    fix: 'The pax size and the header size disagree: rebuild with conda-build or rattler-build.',
  },
};

export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface TarMember {
  /** Canonical relative path (directories without a trailing slash). */
  path: string;
  type: MemberType;
  size: number;
  /** Symlink target as written, or the hard link's target path; null otherwise. */
  linkTarget: string | null;
  mode: number;
  /** sha256 of the content when hashing is on (regular files only). */
  sha256: string | null;
}

export interface TarReaderOptions {
  budget: UnpackBudget;
  /** Paths whose content is kept whole, with a byte cap each. */
  keep?: Readonly<Record<string, number>>;
  /** Told of each member as soon as it is read (its sha256, when hashed, is set once its data has passed). */
  onMember?: (member: TarMember) => void;
  /** Hash every regular file's content (the differential tests compare them). */
  hashContents?: boolean;
  /** Names this archive in messages: "the info archive", "the payload archive". */
  label: string;
}

const BLOCK = 512;
const ZERO_BLOCK = new Uint8Array(BLOCK);
const MAX_OCTAL_SIZE = 0o77777777777;
/** pax keys readers act on: their values are checked. */
const PAX_KEYS = new Set([
  'path',
  'linkpath',
  'size',
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
  'comment',
]);
/** pax keys every reader ignores or keeps as metadata only (libarchive writes them): any value. */
const PAX_IGNORED_KEYS = new Set(['SCHILY.dev', 'SCHILY.ino', 'SCHILY.nlink', 'LIBARCHIVE.creationtime']);
/** Extended attributes, as GNU tar / star (`SCHILY.xattr.`) and libarchive (`LIBARCHIVE.xattr.`) write them. */
const XATTR_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.'];
/** Namespaces whose attributes grant privileges or set policy when bsdtar (or GNU tar --xattrs) restores them. */
const PRIVILEGED_XATTR = /^(security|trusted|system)\./;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const PAX_TIME = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

interface Pending {
  pax: Map<string, string> | null;
  longName: string | null;
  longLink: string | null;
}

type State =
  | { kind: 'header' }
  | { kind: 'data'; left: number; pad: number; member: TarMember; hash: Hash | null; kept: Buffer[] | null }
  | { kind: 'extension'; type: 'x' | 'L' | 'K'; left: number; pad: number; parts: Buffer[] }
  | { kind: 'end'; zeroBlocks: number };

export class TarReader {
  readonly members: TarMember[] = [];
  /** Content of the kept paths (see options.keep). */
  readonly kept = new Map<string, Buffer>();
  #opts: TarReaderOptions;
  #state: State = { kind: 'header' };
  #header = Buffer.alloc(BLOCK);
  #headerFill = 0;
  #pending: Pending = { pax: null, longName: null, longLink: null };
  #regularFiles = new Set<string>();
  #offset = 0;

  constructor(opts: TarReaderOptions) {
    this.#opts = opts;
  }

  #fail(rule: string, detail: string): ArtifactProblem {
    return broke(TAR_RULES, rule, `${this.#opts.label}, at byte ${this.#offset}: ${detail}`);
  }

  /** Feed the next decompressed bytes. Throws ArtifactProblem at the first broken rule. */
  write(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const s = this.#state;
      if (s.kind === 'header') {
        const n = Math.min(BLOCK - this.#headerFill, chunk.length - at);
        this.#header.set(chunk.subarray(at, at + n), this.#headerFill);
        this.#headerFill += n;
        at += n;
        if (this.#headerFill === BLOCK) {
          this.#headerFill = 0;
          this.#onHeader(this.#header);
          this.#offset += BLOCK;
        }
      } else if (s.kind === 'data') {
        if (s.left > 0) {
          const n = Math.min(s.left, chunk.length - at);
          const piece = chunk.subarray(at, at + n);
          s.hash?.update(piece);
          if (s.kept !== null) s.kept.push(Buffer.from(piece));
          s.left -= n;
          at += n;
          this.#offset += n;
        }
        if (s.left === 0) {
          const n = Math.min(s.pad, chunk.length - at);
          s.pad -= n;
          at += n;
          this.#offset += n;
          if (s.pad === 0) this.#endData(s);
        }
      } else if (s.kind === 'extension') {
        const n = Math.min(s.left + s.pad, chunk.length - at);
        const body = Math.min(s.left, n);
        if (body > 0) s.parts.push(Buffer.from(chunk.subarray(at, at + body)));
        s.left -= body;
        s.pad -= n - body;
        at += n;
        this.#offset += n;
        if (s.left === 0 && s.pad === 0) this.#onExtension(s.type, Buffer.concat(s.parts));
      } else {
        for (let i = at; i < chunk.length; i++) {
          if (chunk[i] !== 0) {
            throw this.#fail('tar.blocks', `data after the end-of-archive marker (byte ${this.#offset + i - at})`);
          }
        }
        const total = this.#headerFill + (chunk.length - at);
        s.zeroBlocks += Math.floor(total / BLOCK);
        this.#headerFill = total % BLOCK;
        this.#offset += chunk.length - at;
        at = chunk.length;
      }
    }
  }

  #endData(s: Extract<State, { kind: 'data' }>): void {
    if (s.hash !== null) s.member.sha256 = s.hash.digest('hex');
    if (s.kept !== null) this.kept.set(s.member.path, Buffer.concat(s.kept));
    this.#state = { kind: 'header' };
  }

  /** The archive is over: it must have ended cleanly (end marker, whole blocks). */
  end(): void {
    const s = this.#state;
    if (s.kind !== 'end') {
      throw this.#fail(
        'tar.blocks',
        s.kind === 'header' && this.#headerFill === 0 ? 'no end-of-archive marker' : 'truncated',
      );
    }
    if (this.#headerFill !== 0) throw this.#fail('tar.blocks', 'the archive is not a whole number of 512-byte blocks');
    if (s.zeroBlocks < 2) throw this.#fail('tar.blocks', 'the end-of-archive marker is one zero block, not two');
  }

  #onHeader(h: Buffer): void {
    if (h.equals(ZERO_BLOCK)) {
      if (this.#pending.pax !== null || this.#pending.longName !== null || this.#pending.longLink !== null) {
        throw this.#fail('tar.extensions', 'an extension header is followed by the end-of-archive marker');
      }
      this.#state = { kind: 'end', zeroBlocks: 1 };
      return;
    }
    this.#checkChecksum(h);
    const gnu = this.#checkMagic(h);
    const type = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const size = this.#number(h, 124, 12, 'size', true);
    const mode = this.#number(h, 100, 8, 'mode', false);
    for (const [off, len, field] of [
      [108, 8, 'uid'],
      [116, 8, 'gid'],
      [136, 12, 'mtime'],
    ] as const) {
      this.#number(h, off, len, field, true);
    }
    this.#number(h, 329, 8, 'devmajor', false, true);
    this.#number(h, 337, 8, 'devminor', false, true);
    if (type === 'x' || type === 'L' || type === 'K') {
      this.#startExtension(h, type, size);
      return;
    }
    if (type === 'g') throw this.#fail('tar.pax-global', 'a pax global header');
    if (type === '3' || type === '4' || type === '6') {
      throw broke(TAR_RULES, 'tar.device', `${this.#opts.label}: a ${type === '6' ? 'FIFO' : 'device node'} member`);
    }
    if (!'0125'.includes(type)) throw this.#fail('tar.type', `type flag ${JSON.stringify(type)} is not accepted`);
    this.#onMember(h, gnu, type as '0' | '1' | '2' | '5', size, mode);
  }

  #checkChecksum(h: Buffer): void {
    const stored = this.#number(h, 148, 8, 'checksum', false);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== stored)
      throw this.#fail('tar.checksum', `header checksum ${stored} does not match the header (${sum})`);
  }

  /** true for a GNU header, false for POSIX ustar. */
  #checkMagic(h: Buffer): boolean {
    const magic = h.toString('latin1', 257, 265);
    if (magic === 'ustar\u000000') return false;
    if (magic === 'ustar  \u0000') {
      for (let i = 345; i < 500; i++) {
        if (h[i] !== 0)
          throw this.#fail('tar.gnu-fields', 'a GNU header uses atime, ctime, multi-volume or sparse fields');
      }
      return true;
    }
    throw this.#fail('tar.magic', `header magic ${JSON.stringify(magic)} is neither POSIX ustar nor GNU`);
  }

  #number(h: Buffer, off: number, len: number, field: string, base256: boolean, emptyIsZero = false): number {
    if (h[off] === 0x80 && base256) {
      let v = 0;
      for (let i = off + 1; i < off + len; i++) v = v * 256 + h[i]!;
      if (!Number.isSafeInteger(v)) throw this.#fail('tar.numbers', `${field} is too large`);
      return v;
    }
    // Leading spaces (historic tars wrote them), octal digits, then spaces or NULs to the end of the field: on
    // exactly these forms Python (strip), the Rust tar crate (cut at NUL, trim), GNU tar (skip blanks, need a blank
    // or NUL after the digits) and libarchive read the same number. libarchive refuses to recognise an archive whose
    // first header has anything else (tabs, or bytes after a NUL) in a numeric field.
    const end = off + len;
    let i = off;
    while (i < end && h[i] === 0x20) i++;
    const digits = i;
    let v = 0;
    while (i < end && h[i]! >= 0x30 && h[i]! <= 0x37) v = v * 8 + (h[i++]! - 0x30);
    if (i === digits) {
      if (emptyIsZero && i === off && h.subarray(off, end).every((b) => b === 0)) return 0;
      throw this.#fail(
        'tar.numbers',
        `${field} is not an octal number (${JSON.stringify(h.toString('latin1', off, end))})`,
      );
    }
    for (; i < end; i++) {
      if (h[i] !== 0 && h[i] !== 0x20) {
        throw this.#fail(
          'tar.numbers',
          `${field} has ${JSON.stringify(h.toString('latin1', off, end))}, not octal digits and padding`,
        );
      }
    }
    return v;
  }

  /** A NUL-terminated text field: the bytes before its first NUL (every reader ignores the rest). */
  #stringField(h: Buffer, off: number, len: number): Buffer {
    const end = h.indexOf(0, off);
    return h.subarray(off, end === -1 || end >= off + len ? off + len : end);
  }

  #text(bytes: Buffer, rule: 'tar.strings' | 'tar.prefix' | 'tar.longname' | 'tar.pax', what: string): string {
    try {
      return decoder.decode(bytes);
    } catch {
      throw this.#fail(rule, `${what} is not valid UTF-8`);
    }
  }

  /** The path a ustar or GNU header gives by itself: prefix (already read) and name. */
  #headerPath(h: Buffer, prefix: string): string {
    const name = this.#text(this.#stringField(h, 0, 100), 'tar.strings', 'the member name');
    return prefix === '' ? name : `${prefix}/${name}`;
  }

  #startExtension(h: Buffer, type: 'x' | 'L' | 'K', size: number): void {
    const p = this.#pending;
    if (type === 'x') {
      if (p.pax !== null) throw this.#fail('tar.extensions', 'two pax headers for one member');
      if (p.longName !== null || p.longLink !== null)
        throw this.#fail('tar.extensions', 'a pax header mixed with GNU long names');
      if (size > MAX_PAX_HEADER_BYTES)
        throw this.#fail('tar.pax', `a pax header of ${size} bytes (limit ${MAX_PAX_HEADER_BYTES})`);
    } else {
      if (p.pax !== null) throw this.#fail('tar.extensions', 'a GNU long name mixed with a pax header');
      if ((type === 'L' ? p.longName : p.longLink) !== null)
        throw this.#fail('tar.extensions', `two GNU ${type} records for one member`);
      if (size < 2 || size > MAX_PATH_BYTES + 1)
        throw this.#fail('tar.longname', `a GNU long name record of ${size} bytes`);
    }
    this.#state = { kind: 'extension', type, left: size, pad: padding(size), parts: [] };
  }

  #onExtension(type: 'x' | 'L' | 'K', body: Buffer): void {
    if (type === 'x') this.#pending.pax = this.#parsePax(body);
    else {
      if (body[body.length - 1] !== 0 || body.indexOf(0) !== body.length - 1) {
        throw this.#fail('tar.longname', 'a GNU long name record is not one path ended by one NUL');
      }
      const name = this.#text(body.subarray(0, body.length - 1), 'tar.strings', 'a GNU long name');
      if (type === 'L') this.#pending.longName = name;
      else this.#pending.longLink = name;
    }
    this.#state = { kind: 'header' };
  }

  #parsePax(body: Buffer): Map<string, string> {
    const records = new Map<string, string>();
    let at = 0;
    while (at < body.length) {
      const space = body.indexOf(0x20, at);
      const lenText = space === -1 ? '' : body.toString('latin1', at, space);
      if (!/^[1-9][0-9]*$/.test(lenText))
        throw this.#fail('tar.pax', 'a pax record does not start with its decimal length');
      const end = at + Number(lenText);
      if (end > body.length || body[end - 1] !== 0x0a)
        throw this.#fail('tar.pax', 'a pax record length does not match its newline');
      const record = body.subarray(space + 1, end - 1);
      const eq = record.indexOf(0x3d);
      if (eq <= 0) throw this.#fail('tar.pax', 'a pax record has no key=value');
      const key = this.#text(record.subarray(0, eq), 'tar.pax', 'a pax key');
      if (records.has(key)) throw this.#fail('tar.pax', `pax key ${key} appears twice`);
      if (!PAX_KEYS.has(key)) {
        // Metadata no reader uses to decide what it extracts: the value may be any bytes (xattr values are binary).
        this.#ignoredPaxKey(key);
        records.set(key, '');
        at = end;
        continue;
      }
      const value = this.#text(record.subarray(eq + 1), 'tar.pax', `pax ${key}`);
      if (value.length === 0 || value.includes('\n') || value.includes('\u0000')) {
        throw this.#fail('tar.pax', `pax ${key} is empty or holds a newline or NUL`);
      }
      if ((key === 'size' || key === 'uid' || key === 'gid') && !DECIMAL.test(value)) {
        throw this.#fail('tar.pax', `pax ${key} ${JSON.stringify(value)} is not a plain decimal number`);
      }
      if ((key === 'mtime' || key === 'atime' || key === 'ctime') && !PAX_TIME.test(value)) {
        throw this.#fail('tar.pax', `pax ${key} ${JSON.stringify(value)} is not a plain decimal time`);
      }
      records.set(key, value);
      at = end;
    }
    return records;
  }

  /** A pax key outside PAX_KEYS is accepted only when every reader ignores it or keeps it as harmless metadata. */
  #ignoredPaxKey(key: string): void {
    if (PAX_IGNORED_KEYS.has(key)) return;
    const prefix = XATTR_PREFIXES.find((p) => key.startsWith(p));
    const name = prefix === undefined ? '' : key.slice(prefix.length);
    // libarchive %-decodes LIBARCHIVE.xattr names and GNU tar SCHILY.xattr ones: judge the raw and decoded name.
    const decoded = percentDecode(name);
    if (prefix === undefined || name === '' || badCharacter(decoded) !== null || decoded.includes('\u0000')) {
      throw this.#fail('tar.pax', `pax key ${JSON.stringify(key)} is not accepted`);
    }
    if (PRIVILEGED_XATTR.test(name) || PRIVILEGED_XATTR.test(decoded)) {
      throw this.#fail(
        'tar.pax',
        `pax key ${JSON.stringify(key)}: the extended attribute would be restored as root (file capabilities, ACLs, ` +
          'security labels)',
      );
    }
  }

  #onMember(h: Buffer, gnu: boolean, typeFlag: '0' | '1' | '2' | '5', headerSize: number, mode: number): void {
    const { pax, longName, longLink } = this.#pending;
    this.#pending = { pax: null, longName: null, longLink: null };
    const type: MemberType = { '0': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' }[typeFlag] as MemberType;
    this.#opts.budget.member();

    // A pax path or GNU long name replaces the header's prefix and name in every reader: those are read only when used.
    const raw =
      pax?.get('path') ??
      longName ??
      this.#headerPath(h, gnu ? '' : this.#text(this.#stringField(h, 345, 155), 'tar.prefix', 'the ustar prefix'));
    if (raw.endsWith('/') && type !== 'directory') {
      // Python's tarfile makes such a member a directory; other readers do not.
      throw broke(
        TAR_RULES,
        'tar.type',
        `${this.#opts.label}: ${type} ${JSON.stringify(raw)} has a directory's trailing "/"`,
      );
    }
    const path = canonicalPath(raw, 'member', type === 'directory');
    if (path instanceof ArtifactProblem) throw path;

    // File-type bits in the mode field are dropped by every reader (the type comes from the type flag).
    if (mode & 0o6000) throw this.#fail('tar.mode', `${path} has mode ${mode.toString(8)} (setuid or setgid)`);

    const paxSize = pax?.get('size');
    let size = headerSize;
    if (paxSize !== undefined) {
      size = Number(paxSize);
      if (!Number.isSafeInteger(size)) throw this.#fail('tar.pax', `pax size of ${path} is too large`);
      if (headerSize !== size && !(headerSize === 0 && size > MAX_OCTAL_SIZE)) {
        throw this.#fail('tar.pax-size', `${path}: pax size ${size} but header size ${headerSize}`);
      }
    }
    if (type !== 'file' && size !== 0) throw this.#fail('tar.size', `${type} ${path} carries ${size} bytes of data`);

    const linkField = (): string | null => {
      const bytes = this.#stringField(h, 157, 100);
      return bytes.length === 0 ? null : this.#text(bytes, 'tar.strings', 'the link name');
    };
    const linkRaw = pax?.get('linkpath') ?? longLink ?? linkField();
    let linkTarget: string | null = null;
    if (type === 'symlink' || type === 'hardlink') {
      if (linkRaw === null) throw this.#fail('tar.links', `${type} ${path} has an empty target`);
      if (type === 'symlink') {
        const problem = checkLinkTarget(path, linkRaw);
        if (problem) throw problem;
        linkTarget = linkRaw;
      } else {
        const target = canonicalPath(linkRaw, `hard link ${path} target`);
        if (target instanceof ArtifactProblem) throw target;
        if (!this.#regularFiles.has(target)) {
          throw this.#fail('tar.links', `hard link ${path} names ${target}, which is not an earlier regular file`);
        }
        linkTarget = target;
      }
      this.#opts.budget.keepPath(utf8Length(linkTarget));
    } else if (linkRaw !== null) {
      throw this.#fail('tar.links', `${type} ${path} has a link name (some readers would make it a hard link)`);
    }
    this.#opts.budget.keepPath(utf8Length(path));

    const member: TarMember = { path, type, size, linkTarget, mode: mode & 0o7777, sha256: null };
    this.members.push(member);
    this.#opts.onMember?.(member);
    if (type !== 'file') return;
    this.#regularFiles.add(path);
    const cap = this.#opts.keep?.[path];
    if (cap !== undefined && size > cap) {
      throw this.#fail('tar.size', `${path} is ${size} bytes; forgegate reads at most ${cap} bytes of it`);
    }
    const hash = this.#opts.hashContents ? createHash('sha256') : null;
    const s: State = {
      kind: 'data',
      left: size,
      pad: padding(size),
      member,
      hash,
      kept: cap === undefined ? null : [],
    };
    if (size === 0) this.#endData(s);
    else this.#state = s;
  }
}

/** %XX escapes decoded as libarchive's url_decode does; anything else kept as it is. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
