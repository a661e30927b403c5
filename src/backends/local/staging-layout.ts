// The folder layout a staging area must have before forgegate reads it: uploaders may add and replace their own
// files in a subdir, never rename or replace a subdir (that is how a deletion in `staging/zz/` could be aimed at the
// channel). Each problem comes with the exact command that fixes it.
import { lstat, readdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { isSubdir } from '../../conda/filename.js';
import { ForgegateError } from '../../errors.js';

/** What lstat says about one folder. */
export interface FolderFacts {
  path: string;
  kind: 'folder' | 'symlink' | 'other';
  uid: number;
  mode: number;
}

export interface Me {
  uid: number;
  name: string;
}

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

const quote = (path: string): string => `'${path.replace(/'/g, `'\\''`)}'`;
const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

/**
 * The problems of a staging root and the subdir folders in it, each with its fix. Pure. The root must be owned by
 * forgegate (or root) and writable by nobody else; each subdir owned by forgegate (it deletes files uploaders own),
 * and sticky wherever others may write, so that nobody replaces another's file.
 */
export function judgeStagingLayout(
  root: FolderFacts,
  subdirs: FolderFacts[],
  me: Me,
): { problem: string; fix: string }[] {
  const out: { problem: string; fix: string }[] = [];
  if (root.kind === 'symlink')
    return [
      { problem: `${root.path} is a symlink`, fix: `point staging.store.path at $(realpath ${quote(root.path)})` },
    ];
  if (root.kind !== 'folder')
    return [{ problem: `${root.path} is not a folder`, fix: 'point staging.store.path at a folder' }];
  if (root.uid !== me.uid && root.uid !== 0)
    out.push({
      problem: `${root.path} is owned by uid ${root.uid}, not by ${me.name}`,
      fix: `chown ${me.name} ${quote(root.path)}`,
    });
  if ((root.mode & WRITABLE_BY_OTHERS) !== 0)
    out.push({
      problem: `${root.path} (mode ${octal(root.mode)}) lets group or others rename and replace its subdirs`,
      fix: `chmod go-w ${quote(root.path)}`,
    });
  for (const d of subdirs) {
    if (d.kind === 'symlink') {
      out.push({ problem: `${d.path} is a symlink`, fix: `rm ${quote(d.path)} && mkdir -m 1777 ${quote(d.path)}` });
      continue;
    }
    if (d.kind !== 'folder') continue;
    if (d.uid !== me.uid)
      out.push({
        problem: `${d.path} is owned by uid ${d.uid}, not by ${me.name}`,
        fix: `chown ${me.name} ${quote(d.path)}`,
      });
    if ((d.mode & WRITABLE_BY_OTHERS) !== 0 && (d.mode & STICKY) === 0)
      out.push({
        problem: `${d.path} (mode ${octal(d.mode)}) lets one uploader delete or replace another's files`,
        fix: `chmod +t ${quote(d.path)}`,
      });
  }
  return out;
}

async function facts(path: string): Promise<FolderFacts> {
  const st = await lstat(path);
  return {
    path,
    kind: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'folder' : 'other',
    uid: st.uid,
    mode: st.mode,
  };
}

function me(): Me | null {
  const uid = process.geteuid?.();
  if (uid === undefined) return null; // no POSIX ownership to check (Windows)
  let name = String(uid);
  try {
    name = userInfo().username;
  } catch {
    // a uid without a passwd entry (containers): chown takes the number as well
  }
  return { uid, name };
}

/** Throw FG_UNSAFE_LAYOUT with every problem and the commands that fix them. A missing root is left to list(). */
export async function checkStagingLayout(root: string): Promise<void> {
  const who = me();
  if (who === null) return;
  const rootFacts = await facts(root).catch(() => null);
  if (rootFacts === null) return;
  const subdirs: FolderFacts[] = [];
  if (rootFacts.kind === 'folder') {
    for (const e of await readdir(root, { withFileTypes: true })) {
      if ((e.isDirectory() || e.isSymbolicLink()) && isSubdir(e.name)) subdirs.push(await facts(join(root, e.name)));
    }
  }
  const found = judgeStagingLayout(rootFacts, subdirs, who);
  if (found.length === 0) return;
  const problems = found.map((f) => `\n  - ${f.problem}`).join('');
  throw new ForgegateError(
    'FG_UNSAFE_LAYOUT',
    `the staging folder ${root} lets uploaders replace what forgegate lists:${problems}`,
    {
      fix: `${found.map((f) => f.fix).join(' && ')} (docs/operations.md: "Operating a folder staging area").`,
    },
  );
}
