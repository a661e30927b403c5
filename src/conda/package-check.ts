// Rules over the whole package, once every member of every archive is known: one path per member, no member below
// a file or symlink, symlinks that stay inside the prefix when followed through each other, names that cannot
// collide on the file systems of the subdir, and the path lists in info/ that installers act on.
import { canonicalPath } from './path-safety.js';
import { ArtifactProblem, broke, type RuleTable } from './problem.js';
import type { TarMember } from './tar-reader.js';

export const PACKAGE_RULES: RuleTable = {
  'conda.entries': {
    reason: 'ARTIFACT_INVALID',
    text:
      'A .conda holds `info-<stem>.tar.zst` and `pkg-<stem>.tar.zst`, and may hold `metadata.json`; nothing else, ' +
      'each once.',
    fix:
      'Upload the .conda exactly as conda-package-handling or rattler-build wrote it: the zip holds other entries ' +
      '(rattler extracts every *.tar.zst entry, conda only the info- and pkg- parts), or the parts are named for ' +
      'another file name (a renamed .conda: rebuild, never rename).',
  },
  'conda.metadata': {
    reason: 'ARTIFACT_INVALID',
    text:
      '`metadata.json`, when present and not empty, is a JSON object with `"conda_pkg_format_version": 2` (at most ' +
      '4 KiB). An empty one is treated as absent, with a note in the publish detail.',
    fix:
      'metadata.json names another .conda format version or is not JSON: rebuild with conda-package-handling or ' +
      'rattler-build, which write {"conda_pkg_format_version": 2}.',
  },
  'pkg.parts': {
    reason: 'ARTIFACT_INVALID',
    text:
      'The info archive holds only `info/…`. The payload archive holds nothing under `info/` but files and ' +
      'folders under `info/licenses/` and `info/prelink_messages/` (conda-package-handling < 2.5 put them there; ' +
      'conda and rattler extract both archives into one folder, and no tool reads them from the info archive alone).',
    fix:
      'Move metadata files into the info archive: rebuild (or `cph transmute`) with conda-package-handling >= 2.5 ' +
      'or rattler-build, which put every info/ file in the info-… part.',
  },
  'pkg.unique': {
    reason: 'ARTIFACT_INVALID',
    text: 'Each path appears once in the package (both archives of a .conda together).',
    fix:
      'The archive lists a path twice (listing readers see both, extracting readers keep the last): rebuild with ' +
      'conda-build or rattler-build, and report the writer that made this file to its maintainers.',
  },
  'pkg.parents': {
    reason: 'ARTIFACT_UNSAFE',
    text: 'No member lies below a file, hard link or symlink of the package.',
    fix: 'A file is packaged below a symlink or file of the same package: fix the recipe so each path is one thing.',
  },
  'pkg.symlinks': {
    reason: 'ARTIFACT_UNSAFE',
    text: 'Every symlink, followed through the package’s own symlinks (at most 40 hops), stays inside the prefix.',
    fix: 'Fix the recipe so every symlink points inside the install prefix (use relative targets).',
  },
  'pkg.index': {
    reason: 'ARTIFACT_INVALID',
    text: 'Exactly one `info/index.json`, a regular file.',
    fix: 'The package has no info/index.json file (or it is a link): rebuild with conda-build or rattler-build.',
  },
  'pkg.lists': {
    reason: 'ARTIFACT_UNSAFE',
    text:
      'Every path in `info/paths.json`, `info/files`, `info/has_prefix` and `info/no_link` follows the path rules; ' +
      'the lists parse as conda parses them.',
    fix:
      'A path list in info/ names a path outside the prefix or cannot be parsed: rebuild with conda-build or ' +
      'rattler-build instead of editing the lists by hand.',
  },
  'pkg.case': {
    reason: 'ARTIFACT_INVALID',
    text:
      'On `osx-*`, `win-*` and `noarch`: no two paths equal ignoring case and Unicode normalisation; no payload ' +
      'path under `INFO/` or any other spelling of `info/`.',
    fix:
      'Two paths are one file on macOS and Windows: rename one in the recipe (or build the package for linux-* ' +
      'only).',
  },
  'pkg.windows': {
    reason: 'ARTIFACT_INVALID',
    text:
      'On `win-*` and `noarch`: no component ending in `.` or space, no reserved device name (CON, PRN, AUX, NUL, ' +
      'COM1–9, LPT1–9, with any extension), none of `<>:"|?*`.',
    fix: 'Rename the file in the recipe: Windows cannot create it under that name.',
  },
};

/**
 * info/ paths the payload archive of a .conda may hold. conda-package-handling < 2.5 sorted info/ files into the
 * info part by a fixed list of names and left the rest in the payload; of what conda-build writes, that was the
 * license files and pre-link messages. Both are read only from the folder conda and rattler extract both parts
 * into, never from the info part alone, so where they travel changes nothing. Every other info/ path could be read
 * from the info part by one tool (conda-index, this gate) and from the merged folder by another (conda, rattler).
 */
const PAYLOAD_INFO = /^info\/(licenses|prelink_messages)(\/|$)/;

const MAX_LINK_HOPS = 40;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

export type Part = 'info' | 'pkg' | 'tar';

export interface PackageMember extends TarMember {
  part: Part;
}

export interface PackageCheckInput {
  subdir: string;
  members: PackageMember[];
  kept: Map<string, Buffer>;
}

function fail(rule: string, detail: string): never {
  throw broke(PACKAGE_RULES, rule, detail);
}

const caseInsensitive = (subdir: string): boolean =>
  subdir === 'noarch' || subdir.startsWith('osx-') || subdir.startsWith('win-');
const windowsNames = (subdir: string): boolean => subdir === 'noarch' || subdir.startsWith('win-');

/** Check one archive's members against its part as soon as the archive is read. */
export function checkPart(members: TarMember[], part: Part): void {
  for (const m of members) {
    const inInfo = m.path === 'info' || m.path.startsWith('info/');
    if (part === 'info' && !inInfo) fail('pkg.parts', `the info archive holds ${m.path}, outside info/`);
    if (part !== 'pkg' || !inInfo) continue;
    const allowed = m.type === 'directory' ? m.path === 'info' || PAYLOAD_INFO.test(m.path) : PAYLOAD_INFO.test(m.path);
    if (!allowed || m.type === 'symlink' || m.type === 'hardlink') {
      fail(
        'pkg.parts',
        `the payload archive holds ${m.type} ${m.path}, inside info/ (only files under info/licenses/ and ` +
          'info/prelink_messages/ may travel there)',
      );
    }
  }
}

/** Everything package-wide; returns notes for the admin (where info/paths.json disagrees with the payload). */
export function checkPackage(input: PackageCheckInput): string[] {
  const { subdir, members } = input;
  const byPath = new Map<string, PackageMember>();
  for (const m of members) {
    if (byPath.has(m.path)) fail('pkg.unique', `${m.path} appears twice`);
    byPath.set(m.path, m);
  }
  for (const m of members) {
    const parts = m.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const above = byPath.get(parts.slice(0, i).join('/'));
      if (above !== undefined && above.type !== 'directory') {
        fail('pkg.parents', `${m.path} lies below ${above.type} ${above.path}`);
      }
    }
  }
  const links = new Map(members.filter((m) => m.type === 'symlink').map((m) => [m.path, m.linkTarget!]));
  for (const [path, target] of links) followLink(path, target, links);
  checkNames(subdir, members);
  const index = members.filter((m) => m.path === 'info/index.json');
  if (index.length !== 1 || index[0]!.type !== 'file') fail('pkg.index', 'the package has no info/index.json file');
  return checkLists(input, members);
}

/** Follow a symlink through the package's symlinks; refuse it when it leaves the prefix or loops. */
function followLink(path: string, target: string, links: Map<string, string>): void {
  const stack = path.split('/').slice(0, -1);
  const queue = target.split('/');
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0)
        fail('pkg.symlinks', `symlink ${path} → ${JSON.stringify(target)} leads outside the prefix`);
      stack.pop();
      continue;
    }
    stack.push(c);
    const via = links.get(stack.join('/'));
    if (via === undefined) continue;
    if (++hops > MAX_LINK_HOPS) fail('pkg.symlinks', `symlink ${path} loops through other symlinks`);
    stack.pop();
    queue.unshift(...via.split('/'));
  }
}

function checkNames(subdir: string, members: PackageMember[]): void {
  const folded = new Map<string, string>();
  for (const m of members) {
    const first = m.path.split('/')[0]!;
    if (caseInsensitive(subdir)) {
      const key = m.path.normalize('NFD').toLowerCase();
      const other = folded.get(key);
      if (other !== undefined)
        fail('pkg.case', `${m.path} and ${other} are one file on a case-insensitive file system`);
      folded.set(key, m.path);
      if (m.part !== 'info' && first !== 'info' && first.toLowerCase() === 'info') {
        fail('pkg.case', `payload path ${m.path} lands in info/ on a case-insensitive file system`);
      }
    }
    if (windowsNames(subdir)) {
      for (const c of m.path.split('/')) {
        if (/[. ]$/.test(c))
          fail('pkg.windows', `${m.path}: Windows drops the trailing dot or space of ${JSON.stringify(c)}`);
        if (RESERVED.test(c))
          fail('pkg.windows', `${m.path}: ${JSON.stringify(c)} is a reserved device name on Windows`);
        if (WINDOWS_FORBIDDEN.test(c))
          fail('pkg.windows', `${m.path}: ${JSON.stringify(c)} holds a character Windows refuses`);
      }
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer, file: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    fail('pkg.lists', `${file} is not UTF-8 text`);
  }
}

function listPath(raw: string, file: string): string {
  const path = canonicalPath(raw, `${file} entry`);
  if (path instanceof ArtifactProblem) fail('pkg.lists', path.message);
  return path;
}

/** Lines of a list file as conda reads them: universal newlines, trimmed, blank and `#` lines skipped. */
function lines(bytes: Buffer, file: string): string[] {
  return text(bytes, file)
    .split(/\r\n|\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** conda's has_prefix lines: `path`, or `placeholder mode path`, each part possibly quoted. */
function hasPrefixPath(line: string): string {
  const parts = (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((p) => p.replace(/^["']|["']$/g, ''));
  if (parts.length !== 1 && parts.length !== 3)
    fail('pkg.lists', `info/has_prefix line ${JSON.stringify(line)} is not conda's format`);
  return parts[parts.length - 1]!;
}

function checkLists(input: PackageCheckInput, members: PackageMember[]): string[] {
  const { kept } = input;
  for (const [file, read] of [
    ['info/files', (l: string) => l],
    ['info/no_link', (l: string) => l],
    ['info/has_prefix', hasPrefixPath],
  ] as const) {
    const bytes = kept.get(file);
    if (bytes !== undefined) for (const l of lines(bytes, file)) listPath(read(l), file);
  }
  const pathsJson = kept.get('info/paths.json');
  if (pathsJson === undefined) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text(pathsJson, 'info/paths.json'));
  } catch (e) {
    if (e instanceof ArtifactProblem) throw e;
    fail('pkg.lists', 'info/paths.json is not valid JSON');
  }
  const entries = (doc as { paths?: unknown } | null)?.paths;
  if (!Array.isArray(entries)) fail('pkg.lists', 'info/paths.json has no "paths" list');
  const listed = new Map<string, number | null>();
  for (const e of entries as unknown[]) {
    const p = (e as { _path?: unknown; path_type?: unknown; size_in_bytes?: unknown } | null) ?? {};
    if (typeof p._path !== 'string') fail('pkg.lists', 'an info/paths.json entry has no string "_path"');
    const path = listPath(p._path, 'info/paths.json');
    if (p.path_type !== 'directory') listed.set(path, typeof p.size_in_bytes === 'number' ? p.size_in_bytes : null);
  }
  // Disagreements are recorded, not refused: conda installs what the payload holds, and admins should know.
  const payload = members.filter((m) => m.type !== 'directory' && m.part !== 'info' && !m.path.startsWith('info/'));
  const inPayload = new Set(payload.map((m) => m.path));
  const missing = [...listed.keys()].filter((p) => !inPayload.has(p));
  const unlisted = payload.filter((m) => !listed.has(m.path)).map((m) => m.path);
  const resized = payload.filter((m) => m.type === 'file' && ![undefined, null, m.size].includes(listed.get(m.path)));
  const notes: string[] = [];
  const first = (list: string[]): string => `${list.length} (first: ${list[0]})`;
  if (missing.length > 0) notes.push(`info/paths.json lists paths the payload lacks: ${first(missing)}`);
  if (unlisted.length > 0) notes.push(`the payload holds paths info/paths.json does not list: ${first(unlisted)}`);
  if (resized.length > 0) notes.push(`info/paths.json gives other sizes for: ${first(resized.map((m) => m.path))}`);
  return notes;
}
