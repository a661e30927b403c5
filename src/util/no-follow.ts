// Open a file for reading as it is now, never something else: no symlink at its final component (O_NOFOLLOW), no
// waiting on a FIFO or a device swapped in after a listing (O_NONBLOCK, then fstat must say: a regular file).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ForgegateError } from '../errors.js';

/** The open handle of a regular file; throws (ELOOP for a symlink, FG_STORE_UNAVAILABLE otherwise) if it is not. */
export async function openRegularNoFollow(path: string): Promise<FileHandle> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new ForgegateError(
        'FG_STORE_UNAVAILABLE',
        `${path} is not a regular file (it changed since it was listed)`,
        {
          transient: true,
        },
      );
    }
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export async function readStreamNoFollow(path: string): Promise<Readable> {
  return (await openRegularNoFollow(path)).createReadStream();
}
