import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
/** The probe a crash or attack test preloads into the CLI (FORGEGATE_FAULT, FORGEGATE_PAUSE). */
export const FAULT_PROBE = join(REPO_ROOT, 'dist', 'test', 'helpers', 'fault-probe.js');

/** node's arguments to run the built CLI, with the fault probe preloaded when the environment asks for one. */
export function cliArgs(cli: string, env: Record<string, string | undefined>): string[] {
  const faults = Boolean(env['FORGEGATE_FAULT']) || Boolean(env['FORGEGATE_PAUSE']);
  return faults ? ['--import', pathToFileURL(FAULT_PROBE).href, cli] : [cli];
}
