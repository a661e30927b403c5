// The third-party readers the differential tests compare forgegate with, each reduced to one listing shape:
// Python (conda-package-streaming, tarfile, zipfile), libarchive's bsdtar (seeking and streaming zip modes),
// GNU tar (with Info-ZIP's unzip and the zstd CLI for the .conda layers), and two extractions as conda installs
// (conda_package_streaming.extract and conda-package-handling's `cph x`: both parts into one folder). Debian
// packages: python3, python3-conda-package-streaming, conda-package-handling, libarchive-tools, tar, zstd, unzip.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PackageListing } from '../../src/conda/verify-artifact.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** One member as every reader reports it: directories without a trailing slash, size and sha256 for files. */
export interface Member {
  path: string;
  type: string;
  link: string | null;
  size: number;
  sha256?: string;
}

/** A package as one reader saw it: the zip entries (for .conda) and the members of each archive. */
export interface Listing {
  zip?: { name: string; size: number; sha256?: string }[];
  info?: Member[];
  pkg?: Member[];
  tar?: Member[];
  /** info/index.json (mode `index`). */
  index?: Record<string, unknown>;
  /** The extracted folder: every file and symlink, sorted by path (a hard link is a file with its target's bytes). */
  extracted?: Member[];
}

export type Verdict = { members: Listing } | { error: string };

/** forgegate's own listing (verifyArtifact's `listing` option) in the readers' shape. */
export function listingOf(listing: PackageListing, conda: boolean): Listing {
  const byPart = (part: string): Member[] =>
    listing.members
      .filter((m) => m.part === part)
      .map((m) => ({
        path: m.path,
        type: m.type,
        link: m.linkTarget,
        size: m.type === 'file' ? m.size : 0,
        ...(m.type === 'file' ? { sha256: m.sha256 ?? '' } : {}),
      }));
  const files = new Map(listing.members.filter((m) => m.type === 'file').map((m) => [m.path, m]));
  const extracted = listing.members
    .filter((m) => m.type !== 'directory')
    .map((m): Member => {
      if (m.type === 'symlink') return { path: m.path, type: 'symlink', link: m.linkTarget, size: 0 };
      const f = m.type === 'hardlink' ? files.get(m.linkTarget!)! : m;
      return { path: m.path, type: 'file', link: null, size: f.size, sha256: f.sha256 ?? '' };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return conda
    ? { zip: listing.zipEntries.map((e) => ({ ...e })), info: byPart('info'), pkg: byPart('pkg'), extracted }
    : { tar: byPart('tar'), extracted };
}

/** Debian's python3 (where python3-conda-package-streaming installs), unless told otherwise. */
export const PYTHON =
  process.env['FORGEGATE_DIFF_PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const LIST_PY = join(REPO_ROOT, 'test', 'differential', 'readers', 'list.py');

const run = (cmd: string, args: string[], input?: Buffer): Buffer => {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30 });
  if (r.status !== 0)
    throw new Error(`${cmd} exited ${r.status}: ${r.stderr.toString().trim().split('\n').slice(-2).join(' / ')}`);
  return r.stdout;
};

/** Python readers for many files at once (one process): `package` is exactly conda's own read path. */
export function python(mode: 'package' | 'zip' | 'tar' | 'index' | 'extract', paths: string[]): Verdict[] {
  if (paths.length === 0) return [];
  return JSON.parse(execFileSync(PYTHON, [LIST_PY, mode, ...paths], { maxBuffer: 1 << 30 }).toString()) as Verdict[];
}

/** libarchive's view of an archive, rewritten by bsdtar as a canonical pax tar and listed by tarfile. */
function bsdtarNormalised(args: string[], input?: Buffer): Member[] {
  const dir = mkdtempSync(join(tmpdir(), 'fg-bsdtar-'));
  try {
    const out = join(dir, 'out.tar');
    run('bsdtar', ['-c', '-f', out, '--format', 'pax', ...args], input);
    const [v] = python('tar', [out]);
    if (!v || 'error' in v) throw new Error(`normalised archive unreadable: ${v ? v.error : 'no output'}`);
    return v.members.tar ?? [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function bsdtar(path: string, mode: 'seek' | 'stream'): Verdict {
  try {
    if (path.endsWith('.tar.bz2')) return { members: { tar: bsdtarNormalised([`@${path}`]) } };
    // The zip layer: libarchive reads the central directory from a file, local headers from a pipe.
    const entries = mode === 'seek' ? bsdtarNormalised([`@${path}`]) : bsdtarNormalised(['@-'], readFileSync(path));
    const listing: Listing = {
      zip: entries.map((e) => ({ name: e.path, size: e.size, ...(e.sha256 ? { sha256: e.sha256 } : {}) })),
    };
    const dir = mkdtempSync(join(tmpdir(), 'fg-bsdtar-zip-'));
    try {
      for (const part of ['info', 'pkg'] as const) {
        const name = entries.find((e) => e.path.startsWith(`${part}-`) && e.path.endsWith('.tar.zst'))?.path;
        if (name === undefined) throw new Error(`no ${part} entry`);
        const inner = join(dir, `${part}.tar.zst`);
        writeFileSync(
          inner,
          run(
            'bsdtar',
            ['-x', '-O', '-f', mode === 'seek' ? path : '-', name],
            mode === 'seek' ? undefined : readFileSync(path),
          ),
        );
        listing[part] = bsdtarNormalised([`@${inner}`]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { members: listing };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** GNU tar's C-quoted names ("caf\303\251") back to text. */
function unquote(q: string): string {
  const bytes: number[] = [];
  const body = q.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = body[++i]!;
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else
      bytes.push(({ n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

const Q = '"(?:[^"\\\\]|\\\\.)*"';
const LINE = new RegExp(`^(\\S)\\S* +\\S+ +(\\d+) +\\S+ +\\S+ +(${Q})(?: -> (${Q})| link to (${Q}))?$`);

/** GNU tar on a plain tar: `tar -tv` for types and links, `--to-command` for each file's sha256. */
function gnuTarList(tarPath: string, flags: string[] = []): Member[] {
  const env = { ...process.env, LC_ALL: 'C' };
  const list = spawnSync(
    'tar',
    ['-t', '-v', '--numeric-owner', '--full-time', '--quoting-style=c', ...flags, '-f', tarPath],
    { env },
  );
  if (list.status !== 0) throw new Error(`tar -t exited ${list.status}: ${list.stderr.toString().trim()}`);
  const hashes = new Map<string, string>();
  const x = spawnSync(
    'tar',
    [
      '-x',
      ...flags,
      '-f',
      tarPath,
      '--to-command',
      'sh -c \'printf "%s %s\\n" "$(sha256sum | cut -c1-64)" "$TAR_FILENAME"\'',
    ],
    {
      env,
      cwd: tmpdir(),
    },
  );
  if (x.status !== 0) throw new Error(`tar -x exited ${x.status}: ${x.stderr.toString().trim()}`);
  for (const l of x.stdout.toString().split('\n').filter(Boolean)) hashes.set(l.slice(65), l.slice(0, 64));
  return list.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l): Member => {
      const m = LINE.exec(l);
      if (!m) throw new Error(`unparsed tar -tv line: ${l}`);
      const type = { '-': 'file', d: 'directory', l: 'symlink', h: 'hardlink' }[m[1]!] ?? `other:${m[1]}`;
      const raw = unquote(m[3]!);
      const path = type === 'directory' ? raw.replace(/\/+$/, '') : raw;
      const link = m[4] ? unquote(m[4]) : m[5] ? unquote(m[5]) : null;
      const member: Member = { path, type, link, size: type === 'file' ? Number(m[2]) : 0 };
      if (type === 'file') member.sha256 = hashes.get(raw) ?? '(no content)';
      return member;
    });
}

export function gnuTar(path: string): Verdict {
  try {
    if (path.endsWith('.tar.bz2')) return { members: { tar: gnuTarList(path, ['-j']) } };
    const dir = mkdtempSync(join(tmpdir(), 'fg-gnutar-'));
    try {
      const listing: Listing = {};
      const names = run('unzip', ['-Z1', path]).toString().split('\n').filter(Boolean);
      listing.zip = names.map((name) => ({ name, size: run('unzip', ['-p', path, name]).length }));
      for (const part of ['info', 'pkg'] as const) {
        const name = names.find((n) => n.startsWith(`${part}-`) && n.endsWith('.tar.zst'));
        if (name === undefined) throw new Error(`no ${part} entry`);
        const tar = join(dir, `${part}.tar`);
        writeFileSync(tar, run('zstd', ['-d', '-c', '-q'], run('unzip', ['-p', path, name])));
        listing[part] = gnuTarList(tar);
      }
      return { members: listing };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Every file and symlink below `root` (directories left out: extraction makes every parent), sorted by path. */
function walkTree(root: string): Member[] {
  const out: Member[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const rel = full.slice(root.length + 1);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push({ path: rel, type: 'symlink', link: readlinkSync(full), size: 0 });
      else if (st.isDirectory()) visit(full);
      else if (st.isFile()) {
        const data = readFileSync(full);
        const sha256 = createHash('sha256').update(data).digest('hex');
        out.push({ path: rel, type: 'file', link: null, size: data.length, sha256 });
      } else out.push({ path: rel, type: 'other', link: null, size: 0 });
    }
  };
  visit(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** conda-package-handling's CLI (`cph x`), as conda extracts a package into its cache: one folder, both parts. */
export function cph(path: string): Verdict {
  const dir = mkdtempSync(join(tmpdir(), 'fg-cph-'));
  try {
    run('cph', ['x', path, '--dest', join(dir, 'out')]);
    return { members: { extracted: walkTree(join(dir, 'out')) } };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Are the tools there? The suite says what is missing instead of failing obscurely. */
export function missingTools(): string[] {
  const missing: string[] = [];
  for (const [cmd, args] of [
    ['bsdtar', ['--version']],
    ['tar', ['--version']],
    ['zstd', ['--version']],
    ['unzip', ['-v']],
    ['cph', ['--version']],
    [PYTHON, ['-c', 'import conda_package_streaming, zstandard']],
  ] as const) {
    if (spawnSync(cmd, [...args]).status !== 0) missing.push(cmd);
  }
  return missing;
}
