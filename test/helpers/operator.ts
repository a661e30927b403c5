// Permission tests need a user that permission bits bind: root ignores them, so under root the CLI runs as `nobody`
// over folders handed to it; any other user runs as itself. `nobody` may not be able to enter the checkout (a clone
// under `mktemp -d` or /root sits below a 0700 folder), and the checkout's permissions are the user's business: so
// `nobody` runs a copy of the built CLI placed in a fresh temp folder it can read.
import { chmodSync, chownSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { copyBuiltCli } from './install.js';

const NOBODY = 65534;
export const isRoot = process.getuid?.() === 0;

let copied: { root: string; main: string } | null = null;
// Imported only by test files: this registers on the importing file's root suite.
afterAll(() => {
  if (copied !== null) rmSync(copied.root, { recursive: true, force: true });
  copied = null;
});

/** The CLI copy `nobody` runs: made once per test file, removed after its last test. */
function operatorCli(): string {
  if (copied !== null) return copied.main;
  const root = mkdtempSync(join(tmpdir(), 'fg-operator-cli-'));
  copied = { root, main: '' };
  const main = copyBuiltCli(root);
  // Our own fresh folder, not the checkout: readable and traversable by everyone, written by nobody else.
  const open = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return; // never follow a link out of the copy
    chmodSync(p, st.isDirectory() || (st.mode & 0o100) !== 0 ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of readdirSync(p)) open(join(p, e));
  };
  open(root);
  for (let dir = dirname(root); dirname(dir) !== dir; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0)
      throw new Error(
        `the permission tests run the CLI as nobody from ${root}, but nobody cannot enter ${dir}: set TMPDIR`,
      );
  }
  copied.main = main;
  return main;
}

/** runCli() options that run the CLI as the operator user: under root, `nobody` running its own copy of the CLI. */
export function operatorSpawn(): { uid?: number; gid?: number; cli?: string } {
  if (!isRoot) return {};
  return { uid: NOBODY, gid: NOBODY, cli: operatorCli() };
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
