// Permission tests need a user that permission bits bind: root ignores them, so under root the CLI runs as
// `nobody` over folders handed to it; any other user runs as itself.
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

/**
 * The operator user must be able to load the CLI from this checkout. A checkout made inside `mktemp -d` (mode 0700,
 * owned by us) is opened to others for traversal and reading; a parent folder that shuts them out is a clear error.
 */
function letOperatorReadCheckout(): void {
  for (let dir = REPO_ROOT; ; dir = dirname(dir)) {
    const st = statSync(dir);
    if ((st.mode & 0o005) !== 0o005) {
      if (dir !== REPO_ROOT) throw new Error(`the permission tests run the CLI as nobody, who cannot enter ${dir}`);
      chmodSync(dir, st.mode | 0o005);
    }
    if (dirname(dir) === dir) return;
  }
}

/** spawn() options that run the CLI as the operator user. */
export function operatorSpawn(): { uid?: number; gid?: number } {
  if (!isRoot) return {};
  letOperatorReadCheckout();
  return { uid: NOBODY, gid: NOBODY };
}

/** Give a folder tree to the operator user (root: chown to nobody), and let it reach the folder's parents. */
export function handToOperator(dir: string, parents: string[] = []): void {
  for (const p of parents) chmodSync(p, statSync(p).mode | 0o755);
  if (!isRoot) return;
  const walk = (p: string): void => {
    chownSync(p, NOBODY, NOBODY);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(dir);
}
