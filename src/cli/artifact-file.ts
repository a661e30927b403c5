// Verify a built artifact on the local disk (sign, check): opened without following a symlink, sized by fstat.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { verifyArtifact, type VerifyOptions } from '../conda/verify-artifact.js';
import { ForgegateError } from '../errors.js';
import type { ArtifactCheck } from '../model.js';

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
    throw new ForgegateError('FG_INPUT_INVALID', `cannot read ${path} (${code})`, {
      fix:
        code === 'ENOENT' ? 'Check the path: no such file (did a shell glob match nothing?).' : 'Pass a regular file.',
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new ForgegateError('FG_INPUT_INVALID', `${path} is not a regular file`, {
        fix: 'Pass the artifact file itself.',
      });
    }
    return await verifyArtifact(fh.createReadStream({ autoClose: false }), { ...expect, size: st.size }, opts);
  } finally {
    await fh.close();
  }
}
