// Every path a package installs must be one canonical relative path inside the install prefix, spelled so that
// every reader and every file system sees the same one. Used for archive members, link targets and the path
// lists in info/ (installers act on those too).
import { MAX_COMPONENT_BYTES, MAX_PATH_BYTES } from './limits.js';
import { broke, type ArtifactProblem, type RuleTable } from './problem.js';

export const PATH_RULES: RuleTable = {
  'path.relative': {
    reason: 'ARTIFACT_UNSAFE',
    text: 'Relative: no leading `/`, no drive letter (`C:`), no `..` component.',
    fix: 'Fix the recipe so every file and link target stays inside the install prefix (relative, no `..` out).',
  },
  'path.canonical': {
    reason: 'ARTIFACT_INVALID',
    text: 'Canonical: no empty or `.` component (`a//b`, `./a`), no trailing `/` except once on a directory.',
    fix:
      'Rebuild with conda-build or rattler-build: the archive spells a path with `./`, `//` or a trailing `/`, ' +
      'which readers normalise differently.',
  },
  'path.characters': {
    reason: 'ARTIFACT_UNSAFE',
    text: 'Valid UTF-8 with no NUL, no control character (U+0000–U+001F, U+007F) and no backslash.',
    fix:
      'Rename the file in the recipe: control characters and backslashes in paths are refused (a backslash ' +
      'is a path separator on Windows).',
  },
  'path.length': {
    reason: 'ARTIFACT_INVALID',
    text: `At most ${MAX_PATH_BYTES} bytes (PATH_MAX), each component at most ${MAX_COMPONENT_BYTES} bytes (NAME_MAX).`,
    fix: 'Shorten the path in the recipe: it is longer than Linux allows (4096 bytes, 255 per name).',
  },
};

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const encoder = new TextEncoder();

/** UTF-8 byte length of a JS string (paths are compared and bounded in bytes, as file systems do). */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** Characters a path may not hold (it was decoded from strict UTF-8); null when clean. */
export function badCharacter(text: string): string | null {
  if (CONTROL.test(text)) return 'contains a control character';
  if (text.includes('\\')) return 'contains a backslash';
  return null;
}

/**
 * The canonical path of a member (directories without their one trailing slash), or the rule it breaks.
 * `what` names the path in the message (`member`, `info/files entry`, …).
 */
export function canonicalPath(raw: string, what: string, isDirectory = false): string | ArtifactProblem {
  const shown = JSON.stringify(raw.length > 200 ? `${raw.slice(0, 200)}…` : raw);
  const chars = badCharacter(raw);
  if (chars !== null) return broke(PATH_RULES, 'path.characters', `${what} ${shown} ${chars}`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
    return broke(PATH_RULES, 'path.relative', `${what} ${shown} is absolute`);
  const path = isDirectory && raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const parts = path.split('/');
  if (parts.includes('..')) return broke(PATH_RULES, 'path.relative', `${what} ${shown} contains ".."`);
  if (parts.some((p) => p === '' || p === '.')) {
    return broke(PATH_RULES, 'path.canonical', `${what} ${shown} has an empty or "." component or a trailing "/"`);
  }
  if (utf8Length(path) > MAX_PATH_BYTES || parts.some((p) => utf8Length(p) > MAX_COMPONENT_BYTES)) {
    return broke(PATH_RULES, 'path.length', `${what} ${shown.slice(0, 80)}… is longer than the file system allows`);
  }
  return path;
}

/** A symlink target as written: non-empty, relative, clean characters, bounded. Where it leads is checked later. */
export function checkLinkTarget(path: string, target: string): ArtifactProblem | null {
  const shown = JSON.stringify(target.length > 200 ? `${target.slice(0, 200)}…` : target);
  if (target.length === 0) return broke(PATH_RULES, 'path.canonical', `symlink ${path} has an empty target`);
  const chars = badCharacter(target);
  if (chars !== null) return broke(PATH_RULES, 'path.characters', `symlink ${path} target ${shown} ${chars}`);
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) {
    return broke(PATH_RULES, 'path.relative', `symlink ${path} points to absolute path ${shown}`);
  }
  if (utf8Length(target) > MAX_PATH_BYTES) {
    return broke(PATH_RULES, 'path.length', `symlink ${path} has a target longer than ${MAX_PATH_BYTES} bytes`);
  }
  return null;
}
