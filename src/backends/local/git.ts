// The few git plumbing calls the directory registry needs, run with execFile (no shell).
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const IDENTITY = ['-c', 'user.name=forgegate', '-c', 'user.email=forgegate@localhost'];

export async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['-C', dir, ...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** The commit id HEAD names, or null when `dir` is not the top of a git checkout. */
export async function headCommit(dir: string): Promise<string | null> {
  try {
    const top = (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
    const here = (await git(dir, ['rev-parse', '--show-prefix'])).trim();
    if (!top || here !== '') return null;
    return (await git(dir, ['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  } catch {
    return null;
  }
}

/** Read many `<commit>:<path>` blobs through one `git cat-file --batch` process. Missing → null. */
export function readBlobs(dir: string, commit: string, paths: string[]): Promise<Map<string, string | null>> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed (${code}): ${stderr.trim()}`));
      const out = Buffer.concat(chunks);
      const result = new Map<string, string | null>();
      let at = 0;
      for (const path of paths) {
        const nl = out.indexOf(0x0a, at);
        if (nl < 0) return reject(new Error('git cat-file: truncated output'));
        const header = out.subarray(at, nl).toString();
        at = nl + 1;
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
          result.set(path, null);
          continue;
        }
        const [, type, size] = header.split(' ');
        const n = Number(size);
        if (type !== 'blob') {
          result.set(path, null);
        } else {
          result.set(path, out.subarray(at, at + n).toString('utf8'));
        }
        at += n + 1;
      }
      resolve(result);
    });
    child.stdin.end(paths.map((p) => `${commit}:${p}\n`).join(''));
  });
}

/** Names of the blobs directly inside `folder` at `commit` ([] when the folder does not exist). */
export async function listFolder(dir: string, commit: string, folder: string): Promise<string[]> {
  const out = await git(dir, ['ls-tree', '--name-only', commit, `${folder}/`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(folder.length + 1));
}

/** Commit exactly one path with the given message; returns the new HEAD. */
export async function commitPath(dir: string, path: string, message: string): Promise<string> {
  await git(dir, ['add', '--', path]);
  await git(dir, [...IDENTITY, 'commit', '--quiet', '--no-verify', '-m', message, '--', path]);
  return (await git(dir, ['rev-parse', 'HEAD'])).trim();
}
