// Crash-safe writes: a reader never sees a half-written file, and nothing published is overwritten.
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { probe } from '../ports/probe.js';
import { readStreamNoFollow } from './no-follow.js';

/**
 * Where a temp file is written: beside the destination, or in `tmpDir` (same file system, so rename and link stay
 * atomic) when the destination folder is one that others read and must never see half a file in.
 */
export interface AtomicOptions {
  tmpDir?: string;
}

/**
 * Temp file names: `.forgegate-<24 hex>.tmp`, 39 bytes whatever the destination is called. A name built from the
 * destination's would pass NAME_MAX (255 bytes) for long artifact names and fail every run that met one.
 */
export const TEMP_NAME = /^\.forgegate-[0-9a-f]{24}\.tmp$/;

function tempName(): string {
  return `.forgegate-${randomBytes(12).toString('hex')}.tmp`;
}

async function tempPath(dest: string, opts: AtomicOptions): Promise<string> {
  if (opts.tmpDir !== undefined) await mkdir(opts.tmpDir, { recursive: true, mode: 0o700 });
  return join(opts.tmpDir ?? dirname(dest), tempName());
}

async function fsyncPath(path: string, flags: number = constants.O_RDONLY): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  await fsyncPath(dir).catch(() => undefined); // not every platform can fsync a folder
}

export async function mkdirp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** temp file in the same folder → write → fsync → rename over the target → fsync the folder. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicOptions = {},
): Promise<void> {
  await mkdirp(dirname(path));
  const tmp = await tempPath(path, opts);
  await writeSynced(tmp, data, 'w');
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** writeFileAtomic for output too large to hold: `lines` stream to the temp file, each ending in a newline. */
export async function writeLinesAtomic(path: string, lines: AsyncIterable<string> | Iterable<string>): Promise<number> {
  await mkdirp(dirname(path));
  const tmp = await tempPath(path, {});
  let count = 0;
  try {
    const out = createWriteStream(tmp, { mode: 0o644 });
    await pipeline(
      (async function* () {
        for await (const line of lines) {
          count++;
          yield `${line}\n`;
        }
      })(),
      out,
    );
    await fsyncPath(tmp);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
  return count;
}

/** Write `data` to the temp file `tmp` and fsync it (`wx`: the temp file must be new). */
async function writeSynced(tmp: string, data: string | Uint8Array, flag: 'w' | 'wx'): Promise<void> {
  const fh = await open(tmp, flag, 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  probe('temp-written');
}

/**
 * Make dest appear with the bytes `fill` puts in a temp file (fsynced), without ever replacing an existing dest:
 * link(2) fails with EEXIST if something is already there. The caller compares what is there when it must.
 */
async function placeNoClobber(
  dest: string,
  opts: AtomicOptions,
  fill: (tmp: string) => Promise<void>,
): Promise<'created' | 'exists'> {
  await mkdirp(dirname(dest));
  const tmp = await tempPath(dest, opts);
  try {
    await fill(tmp);
    try {
      await link(tmp, dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw e;
    }
    await fsyncDir(dirname(dest));
    return 'created';
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Write `data` at dest without ever replacing an existing dest (placeNoClobber). */
export function writeFileAtomicNoClobber(
  dest: string,
  data: Uint8Array,
  opts: AtomicOptions = {},
): Promise<'created' | 'exists'> {
  return placeNoClobber(dest, opts, (tmp) => writeSynced(tmp, data, 'wx'));
}

/** Copy src (never through a symlink) to dest without ever replacing an existing dest (placeNoClobber). */
export function copyFileAtomicNoClobber(
  src: string,
  dest: string,
  opts: AtomicOptions = {},
): Promise<'created' | 'exists'> {
  return placeNoClobber(dest, opts, async (tmp) => {
    await pipeline(await readStreamNoFollow(src), createWriteStream(tmp, { mode: 0o644 }));
    await fsyncPath(tmp);
    probe('temp-written');
  });
}
