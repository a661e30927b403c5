// What forgegate remembers about each (label, subdir) index between runs, in <root>/.forgegate-state/ (0700, never
// in a folder clients read): the identity (inode, size, mtime) of every form it last wrote, so a run can tell that
// nothing else wrote them since and list from the shards without reading repodata.json; and the shards the index
// stopped naming, with when, so each stays for the retention time and then goes.
import { mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { shardFile } from './repodata-shards.js';

export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface IndexState {
  /** Form file name → its identity when forgegate last wrote it (absent forms are null). */
  stamps: Record<string, FileStamp | null>;
  /** sha256 of a shard the index no longer names → when it stopped naming it (ms since the epoch). */
  retired: Record<string, number>;
  /** The `removed` list of repodata.json as forgegate last wrote it. */
  removed?: string[];
}

const STATE_DIR = '.forgegate-state';

export async function stampOf(path: string): Promise<FileStamp | null> {
  const st = await stat(path).catch(() => null);
  return st === null || !st.isFile() ? null : { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

const sameStamp = (a: FileStamp | null | undefined, b: FileStamp | null): boolean =>
  a === undefined
    ? false
    : a === null || b === null
      ? a === b
      : a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

export class ShardState {
  constructor(readonly root: string) {}

  #path(label: string, subdir: string): string {
    return join(this.root, STATE_DIR, `${encodeURIComponent(label)}.${subdir}.json`);
  }

  async read(label: string, subdir: string): Promise<IndexState> {
    try {
      const doc = JSON.parse(await readFile(this.#path(label, subdir), 'utf8')) as Partial<IndexState>;
      const state: IndexState = { stamps: doc.stamps ?? {}, retired: doc.retired ?? {} };
      if (Array.isArray(doc.removed)) state.removed = doc.removed.filter((n) => typeof n === 'string');
      return state;
    } catch {
      return { stamps: {}, retired: {} };
    }
  }

  async write(label: string, subdir: string, state: IndexState, tmpDir: string): Promise<void> {
    await mkdir(join(this.root, STATE_DIR), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#path(label, subdir), `${JSON.stringify(state)}\n`, { tmpDir });
  }

  /** Does every form in `names` still hold what forgegate last wrote (nothing else wrote the index since)? */
  async unchanged(dir: string, state: IndexState, names: readonly string[]): Promise<boolean> {
    for (const name of names) if (!sameStamp(state.stamps[name], await stampOf(join(dir, name)))) return false;
    return true;
  }
}

/**
 * Retire the shards an update stopped naming (now), and delete those retired longer than `retentionMs` ago that the
 * index (`named`) does not name again. Returns how many were deleted.
 */
export async function expireShards(
  dir: string,
  state: IndexState,
  retiredNow: readonly string[],
  named: ReadonlySet<string>,
  retentionMs: number,
  now: number,
): Promise<number> {
  for (const sha of retiredNow) state.retired[sha] ??= now;
  let deleted = 0;
  for (const [sha, since] of Object.entries(state.retired)) {
    if (named.has(sha)) {
      Reflect.deleteProperty(state.retired, sha); // named again: a live shard
      continue;
    }
    if (now - since < retentionMs) continue;
    await unlink(join(dir, shardFile(sha))).catch(() => undefined);
    Reflect.deleteProperty(state.retired, sha);
    deleted++;
  }
  return deleted;
}
