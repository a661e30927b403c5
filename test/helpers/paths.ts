import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file with a package.json (works from source and from dist/). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** Test data kept in the repository (test/data/README.md says where each file came from). */
export const DATA_DIR = join(REPO_ROOT, 'test', 'data');
/** The spec's test vectors: upload statement v1 at the top, keyless evidence in `keyless/`. */
export const VECTORS_DIR = join(DATA_DIR, 'vectors');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
