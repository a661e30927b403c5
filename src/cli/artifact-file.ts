// Verify a built artifact on the local disk (sign, check): opened without following a symlink, sized by fstat.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { verifyArtifact, type VerifyOptions } from '../conda/verify-artifact.js';
import { ForgegateError } from '../errors.js';
import type { ArtifactCheck } from '../model.js';
import { fsError } from '../util/fs-errors.js';

/** A shell pattern character: a path that holds one and does not exist is a glob the shell did not expand. */
const GLOB = /[*?[]/;

/** FG_INPUT_MISSING for a path that does not exist, with the fix for the usual cause (an unmatched glob). */
export function missingInput(path: string): ForgegateError {
  return GLOB.test(path)
    ? new ForgegateError('FG_INPUT_MISSING', `${path} matched no file`, {
        fix:
          'The shell found no match and passed the pattern on as it was: run `shopt -s nullglob` (bash) before the ' +
          'command, so a pattern that matches nothing drops out, or list only patterns that match.',
      })
    : new ForgegateError('FG_INPUT_MISSING', `${path} does not exist`, { fix: 'Check the path.' });
}

export async function verifyArtifactFile(
  path: string,
  expect: { filename: string; subdir: string },
  opts: VerifyOptions = {},
): Promise<ArtifactCheck> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') throw missingInput(path);
    if (code === 'ELOOP')
      throw new ForgegateError('FG_INPUT_INVALID', `${path} is a symbolic link`, {
        fix: 'Pass the artifact file itself, not a link to it.',
      });
    throw fsError(e, path, 'read the artifact');
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new ForgegateError(
        'FG_INPUT_INVALID',
        `${path} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}`,
        { fix: 'Pass the artifact file itself (e.g. build_artifacts/linux-64/*.conda, not the folder).' },
      );
    }
    return await verifyArtifact(fh.createReadStream({ autoClose: false }), { ...expect, size: st.size }, opts);
  } finally {
    await fh.close();
  }
}
