// Quarantine on a folder only forgegate writes: staged bytes are copied here, verified here, published from here.
// The folder is checked, never repaired: a symlink, another owner or a mode other than 0700 means someone else
// could change verified bytes before they are published, so the run stops instead.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ForgegateError } from '../../errors.js';
import type { Quarantine, QuarantinedCopy } from '../../ports/quarantine.js';
import type { StagedArtifact } from '../../ports/staging.js';
import { copyFileAtomicNoClobber } from '../../util/atomic-write.js';
import { readStreamNoFollow } from '../../util/no-follow.js';

/** Written into every entry admit() creates: sweep() removes only entries that carry it, so never someone else's. */
const MARKER = '.forgegate-quarantine';
const ENTRY = /^[0-9a-f]{16}$/;
const markerText = (entry: string): string => `forgegate quarantine entry ${entry}\n`;

const quote = (path: string): string => `'${path.replace(/'/g, `'\\''`)}'`;

function unsafe(root: string, problem: string, fix: string): ForgegateError {
  return new ForgegateError('FG_UNSAFE_LAYOUT', `the quarantine ${root} ${problem}`, {
    fix: `${fix} (the quarantine must be a folder only forgegate can use: owned by it, mode 0700).`,
  });
}

function myName(uid: number): string {
  try {
    return userInfo().username;
  } catch {
    return String(uid);
  }
}

export class LocalQuarantine implements Quarantine {
  readonly kind = 'directory';
  #root: string;
  #ready: Promise<void> | null = null;

  constructor(root: string) {
    this.#root = root;
  }

  /** Create the folder (0700) if it is missing; refuse it unless it is a real folder of ours with mode 0700. */
  preflight(): Promise<void> {
    this.#ready ??= this.#check();
    return this.#ready;
  }

  async #check(): Promise<void> {
    const root = this.#root;
    let st = await lstat(root).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    });
    if (st === null) {
      await mkdir(root, { recursive: true, mode: 0o700 });
      st = await lstat(root);
    }
    if (st.isSymbolicLink()) throw unsafe(root, 'is a symlink', `rm ${quote(root)} and let forgegate create it`);
    if (!st.isDirectory()) throw unsafe(root, 'is not a folder', `rm ${quote(root)} and let forgegate create it`);
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid)
      throw unsafe(root, `is owned by uid ${st.uid}, not by ${myName(uid)}`, `chown ${myName(uid)} ${quote(root)}`);
    if ((st.mode & 0o777) !== 0o700)
      throw unsafe(root, `has mode 0${(st.mode & 0o777).toString(8)}`, `chmod 700 ${quote(root)}`);
  }

  async admit(artifact: StagedArtifact): Promise<QuarantinedCopy> {
    await this.preflight();
    const entry = randomBytes(8).toString('hex');
    const folder = join(this.#root, entry);
    await mkdir(folder, { mode: 0o700 });
    await writeFile(join(folder, MARKER), markerText(entry), { mode: 0o600, flag: 'wx' });
    const path = join(folder, artifact.subdir, artifact.filename);
    // O_NOFOLLOW inside copyFileAtomicNoClobber: a symlink swapped into staging cannot redirect the read.
    await copyFileAtomicNoClobber(artifact.handle, path);
    return { subdir: artifact.subdir, filename: artifact.filename, handle: path };
  }

  async open(copy: QuarantinedCopy): Promise<Readable> {
    return readStreamNoFollow(copy.handle);
  }

  async discard(copy: QuarantinedCopy): Promise<void> {
    const folder = copy.handle.slice(0, copy.handle.length - `/${copy.subdir}/${copy.filename}`.length);
    if (!folder.startsWith(`${this.#root}/`)) return;
    await rm(folder, { recursive: true, force: true });
  }

  /** Remove the entries a crashed run left: only folders of ours that carry forgegate's marker. */
  async sweep(): Promise<void> {
    await this.preflight();
    const uid = process.geteuid?.();
    for (const name of await readdir(this.#root)) {
      if (!ENTRY.test(name)) continue;
      const folder = join(this.#root, name);
      const st = await lstat(folder).catch(() => null);
      if (st === null || !st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      if ((await readMarker(join(folder, MARKER))) !== markerText(name)) continue;
      await rm(folder, { recursive: true, force: true });
    }
  }
}

/** The marker's text, or null unless it is a small regular file (never followed through a symlink). */
async function readMarker(path: string): Promise<string | null> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (fh === null) return null;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > 256) return null;
    return (await fh.readFile()).toString('utf8');
  } finally {
    await fh.close();
  }
}
