// Every form of one subdir's index, written together: repodata.json and repodata.json.zst always (conda and
// rattler fetch the .zst first), current_repodata.json regenerated when it exists (as the full index: a superset
// of the "current" one, valid for every client), repodata.json.bz2 removed. All temp files are written and synced
// first, in forgegate's own temp folder; a journal names the renames still to do, so a crash between two renames
// is finished by the next run's sweep before anything reads the forms (forms never disagree for long, and no
// form ever names a file that is not there: files are linked before, and unlinked after, the forms change).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { compress, decompress } from 'zstd-napi';
import { sha256Hex } from '../../util/digest.js';
import { probe } from '../../ports/probe.js';
import { emptyRepodata, parseRepodata, type Repodata } from './repodata.js';

const FORMS = {
  json: 'repodata.json',
  zst: 'repodata.json.zst',
  bz2: 'repodata.json.bz2',
  current: 'current_repodata.json',
  currentZst: 'current_repodata.json.zst',
  currentBz2: 'current_repodata.json.bz2',
} as const;

/** zstd level for repodata.json.zst: conda-forge's 228 MiB linux-64 index compresses in ~2 s to ~47 MiB. */
const ZSTD_LEVEL = 3;

interface Journal {
  renames: [string, string][];
  removals: string[];
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY).catch(() => null);
  if (fh === null) return;
  await fh.sync().catch(() => undefined); // not every platform can fsync a folder
  await fh.close();
}

const exists = async (path: string): Promise<boolean> => {
  try {
    await (await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)).close();
    return true;
  } catch {
    return false;
  }
};

/** The serialised index: one JSON text, byte for byte what every form holds. */
function serialiseIndex(repodata: Repodata): Buffer {
  return Buffer.from(`${JSON.stringify(repodata)}\n`, 'utf8');
}

async function readJson(dir: string): Promise<Buffer | null> {
  try {
    return await readFile(join(dir, FORMS.json));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Read a subdir's index from repodata.json (the reference form); a missing one is an empty index. */
export async function readIndex(dir: string, subdir: string): Promise<Repodata> {
  const json = await readJson(dir);
  return json === null ? emptyRepodata(subdir) : parseRepodata(json.toString('utf8'), subdir);
}

/**
 * The index, whether repodata.json exists, and whether every other form present agrees with it byte for byte (a
 * channel another indexer wrote, or a crash, can leave a stale repodata.json.zst that conda and rattler read first).
 */
export async function readIndexAndCheck(
  dir: string,
  subdir: string,
): Promise<{ index: Repodata; present: boolean; agree: boolean }> {
  const json = await readJson(dir);
  if (json === null) return { index: emptyRepodata(subdir), present: false, agree: true };
  // The forms are compared before parsing, so a decompressed .zst is never held beside the parsed index.
  const agree = await formsAgree(dir, sha256Hex(json));
  return { index: parseRepodata(json.toString('utf8'), subdir), present: true, agree };
}

async function formsAgree(dir: string, jsonSha256: string): Promise<boolean> {
  const zst = await readFile(join(dir, FORMS.zst)).catch(() => null);
  if (zst === null || sha256Hex(decompress(zst)) !== jsonSha256) return false;
  for (const [name, packed] of [
    [FORMS.current, false],
    [FORMS.currentZst, true],
  ] as const) {
    const bytes = await readFile(join(dir, name)).catch(() => null);
    if (bytes !== null && sha256Hex(packed ? decompress(bytes) : bytes) !== jsonSha256) return false;
  }
  return !(await exists(join(dir, FORMS.bz2))) && !(await exists(join(dir, FORMS.currentBz2)));
}

/** Replace every form of `dir`'s index with `repodata`, together. Returns the sha256 of the bytes every form holds. */
export async function writeForms(dir: string, repodata: Repodata, tmpDir: string): Promise<string> {
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  await mkdir(dir, { recursive: true });
  const text = serialiseIndex(repodata);
  const id = randomBytes(6).toString('hex');
  const temp = (name: string): string => join(tmpDir, `${id}.${name}`);
  const journal: Journal = { renames: [], removals: [] };
  const put = async (name: string, data: Uint8Array): Promise<void> => {
    await writeSynced(temp(name), data);
    journal.renames.push([temp(name), join(dir, name)]);
  };
  // repodata.json goes last: it is the reference form, and forgegate's own listing reads it.
  await put(FORMS.zst, compress(text, { compressionLevel: ZSTD_LEVEL }));
  if (await exists(join(dir, FORMS.currentZst)))
    await put(FORMS.currentZst, compress(text, { compressionLevel: ZSTD_LEVEL }));
  if (await exists(join(dir, FORMS.current))) await put(FORMS.current, text);
  await put(FORMS.json, text);
  for (const stale of [FORMS.bz2, FORMS.currentBz2])
    if (await exists(join(dir, stale))) journal.removals.push(join(dir, stale));
  const journalPath = join(tmpDir, `${id}.journal.json`);
  await writeSynced(journalPath, Buffer.from(JSON.stringify(journal)));
  probe('forms-written');
  await finish(journal);
  await syncDir(dir);
  await unlink(journalPath);
  return sha256Hex(text);
}

/** Do what a journal says: removals first (a stale form must not outlive the new ones), then the renames. */
async function finish(journal: Journal): Promise<void> {
  for (const path of journal.removals) await rm(path, { force: true });
  for (const [from, to] of journal.renames) {
    try {
      await rename(from, to);
    } catch (e) {
      // Renamed already before a crash: the temp is gone and the form is in place.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    probe('form-renamed');
  }
}

/** Finish every write a crashed run left half done. Called under the run lock, before the temp folder is cleared. */
export async function rollForward(tmpDir: string): Promise<number> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  let finished = 0;
  for (const name of names.filter((n) => n.endsWith('.journal.json')).sort()) {
    const journal = JSON.parse(await readFile(join(tmpDir, name), 'utf8')) as Journal;
    await finish(journal);
    await unlink(join(tmpDir, name));
    finished++;
  }
  return finished;
}

/** Do the forms on disk hold exactly the bytes whose sha256 is given (what this process wrote), every one of them? */
export async function formsHold(dir: string, sha256: string): Promise<boolean> {
  const json = await readFile(join(dir, FORMS.json)).catch(() => null);
  return json !== null && sha256Hex(json) === sha256 && (await formsAgree(dir, sha256));
}
