// Reads a tar stream entry by entry (bounded memory): checks every path and link, keeps info/index.json.
import { once } from 'node:events';
import { extract, type Header } from 'tar-stream';
import { checkEntryPath, checkHardlink, checkSymlink } from './path-safety.js';
import { ArtifactProblem, invalid, unsafe } from './problem.js';

const MAX_INDEX_JSON = 1024 * 1024;
const ALLOWED = new Set(['file', 'directory', 'symlink', 'link']);

// tar-stream's typings promise strings; at run time a header without a link target holds null.
function linkTarget(h: Header): string {
  const target: unknown = h.linkname;
  return typeof target === 'string' ? target : '';
}
function entryType(h: Header): string {
  const type: unknown = h.type;
  return typeof type === 'string' ? type : 'file';
}

export type TarRole = 'info' | 'pkg' | 'both';

export class TarInspector {
  readonly paths: string[] = [];
  indexJson: Buffer | null = null;
  problem: ArtifactProblem | null = null;
  #extract = extract();
  #finished: Promise<void>;

  constructor(role: TarRole) {
    this.#finished = new Promise((resolve) => {
      this.#extract.on('finish', resolve);
      this.#extract.on('close', resolve);
      this.#extract.on('error', (e: Error) => {
        this.problem ??= invalid(`not a valid tar archive: ${e.message}`);
        resolve();
      });
    });
    this.#extract.on('entry', (header: Header, stream, next) => {
      const verdict = this.#check(header, role);
      if (verdict instanceof ArtifactProblem) this.problem ??= verdict;
      const wantIndex = verdict === 'info/index.json' && header.type === 'file' && this.problem === null;
      const parts: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: unknown) => {
        if (!(c instanceof Uint8Array)) return;
        if (!wantIndex) return;
        size += c.length;
        if (size > MAX_INDEX_JSON) this.problem ??= invalid('info/index.json is larger than 1 MiB');
        else parts.push(Buffer.from(c));
      });
      stream.on('end', () => {
        if (wantIndex && size <= MAX_INDEX_JSON) this.indexJson = Buffer.concat(parts);
        next();
      });
      stream.on('error', () => next());
      stream.resume();
    });
  }

  #check(header: Header, role: TarRole): string | ArtifactProblem {
    if (!ALLOWED.has(entryType(header)))
      return unsafe(
        `entry ${JSON.stringify(header.name)} is a ${header.type}; only files, folders and links may be installed`,
      );
    const path = checkEntryPath(header.name);
    if (path instanceof ArtifactProblem) return path;
    const inInfo = path === 'info' || path.startsWith('info/');
    if (role === 'info' && !inInfo) return invalid(`the info archive holds ${path}, outside info/`);
    if (role === 'pkg' && inInfo) return invalid(`the payload archive holds ${path}, inside info/`);
    if (header.type === 'symlink') {
      const p = checkSymlink(path, linkTarget(header));
      if (p) return p;
    }
    if (header.type === 'link') {
      const p = checkHardlink(path, linkTarget(header));
      if (p) return p;
    }
    if (header.type !== 'directory') this.paths.push(path);
    return path;
  }

  /** Feed decompressed tar bytes; waits when the parser is behind so memory stays bounded. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.problem !== null) return;
    if (!this.#extract.write(chunk)) await Promise.race([once(this.#extract, 'drain'), this.#finished]);
  }

  async end(): Promise<void> {
    // streamx's end() takes an optional final chunk; its typings insist on one.
    (this.#extract as unknown as { end(): void }).end();
    await this.#finished;
  }
}
