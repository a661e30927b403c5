// Permission tests need a user that permission bits bind: root ignores them, so under root the CLI runs as
// `nobody` over folders handed to it; any other user runs as itself.
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

/** spawn() options that run the CLI as the operator user. */
export function operatorSpawn(): { uid?: number; gid?: number } {
  return isRoot ? { uid: NOBODY, gid: NOBODY } : {};
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
