// Every path a package installs must stay inside the install prefix: no absolute paths, no `..`, no links out.
import { posix } from 'node:path';
import { unsafe, type ArtifactProblem } from './problem.js';

/** The normalised relative path, or a problem. */
export function checkEntryPath(name: string): string | ArtifactProblem {
  if (name.length === 0) return unsafe('an entry has an empty path');
  if (name.includes('\0')) return unsafe(`path ${JSON.stringify(name)} contains a NUL byte`);
  if (name.includes('\\')) return unsafe(`path ${JSON.stringify(name)} contains a backslash`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return unsafe(`absolute path ${JSON.stringify(name)}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return unsafe(`path ${JSON.stringify(name)} contains ".."`);
  if (parts.length === 0) return unsafe(`path ${JSON.stringify(name)} names the prefix itself`);
  return parts.join('/');
}

export function checkSymlink(path: string, target: string): ArtifactProblem | null {
  if (target.length === 0 || target.includes('\0') || target.includes('\\'))
    return unsafe(`symlink ${path} has an unusable target`);
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target))
    return unsafe(`symlink ${path} points to absolute path ${JSON.stringify(target)}`);
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  if (resolved === '..' || resolved.startsWith('../') || resolved.startsWith('/'))
    return unsafe(`symlink ${path} points outside the prefix (${JSON.stringify(target)})`);
  return null;
}

export function checkHardlink(path: string, target: string): ArtifactProblem | null {
  const t = checkEntryPath(target);
  return typeof t === 'string'
    ? null
    : unsafe(`hard link ${path} points outside the prefix (${JSON.stringify(target)})`);
}
