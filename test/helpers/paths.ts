import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file with a package.json (works from source and from dist/). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** `shared/` sits beside the checkout (../shared), as in CI. */
export const SHARED_DIR = process.env['FORGEGATE_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
export const SPEC_DIR = join(SHARED_DIR, 'spec');
export const DATA_DIR = join(SHARED_DIR, 'data');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
