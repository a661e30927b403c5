// A file-system error met on the operator's side as the error they can act on: a missing input, a directory where a
// file was meant, a permission. Exit 70 stays for bugs.
import { ForgegateError, isForgegateError } from '../errors.js';

const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

export function isPermissionError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && PERMISSION.has(code);
}

/** `what` completes "cannot …", e.g. "read the artifact", "write the step summary". */
export function fsError(e: unknown, path: string, what: string): unknown {
  if (isForgegateError(e)) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return e;
  if (code === 'ENOENT')
    return new ForgegateError('FG_INPUT_MISSING', `cannot ${what}: ${path} does not exist`, {
      fix: 'Check the path (did a shell glob match nothing?).',
    });
  if (code === 'EISDIR' || code === 'ENOTDIR')
    return new ForgegateError('FG_INPUT_INVALID', `cannot ${what}: ${path} is a directory, not a file`, {
      fix: 'Pass the file itself (e.g. build_artifacts/linux-64/*.conda, not the folder).',
    });
  if (PERMISSION.has(code))
    return new ForgegateError('FG_PERMISSION', `cannot ${what}: ${path}: permission denied (${code})`, {
      fix: `Let the user forgegate runs as write there (ls -ld '${path}'; chown or chmod), or change the path.`,
    });
  return e;
}

/** A permission error (EACCES, EPERM, EROFS) met while applying, as FG_PERMISSION; anything else unchanged. */
export function asPermissionError(e: unknown, what: string): unknown {
  if (isForgegateError(e) || !isPermissionError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  const path = err.path ?? 'a folder it works in';
  return new ForgegateError('FG_PERMISSION', `cannot ${what}: ${path}: permission denied (${err.code})`, {
    fix:
      `Let the user forgegate runs as write to ${path} (ls -ld '${path}'; chown or chmod). This is an admin's fix: ` +
      'nothing is reported to maintainers, and the next run retries.',
  });
}
