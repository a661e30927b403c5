// Open a file for reading without following a symlink at its final component (staging is hostile).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export async function readStreamNoFollow(path: string): Promise<Readable> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  return fh.createReadStream();
}
