// conda's version order (conda.models.version.VersionOrder) and the subset of match specs that conda-index's
// current_repodata needs: a dependency "name [version-spec [build]]" and "name=version" (a version prefix).
//
// | rule | conda's behaviour implemented |
// |---|---|
// | version.parse | lower case; "N!" epoch; "+local"; "_" (or "-" without "_") as "."; components split into |
// |               | numbers and letters; a component not starting with an integer gets a leading 0 |
// | version.order | numbers as numbers, strings below numbers, strings by code unit, "dev" below every string, |
// |               | "post" above everything; missing parts are 0; epoch, then version, then local version |
// | spec.ops | ==, !=, <, <=, >, >=, ~= (compatible release), "v*" and "v.*" (prefix), bare "v" (==), "," (and) |
// |          | binding tighter than "|" (or); parentheses are not read (conda-forge depends never use them) |
// | spec.build | a build glob ("*" wildcard) after the version; other forms (brackets, channels) match nothing, |
// |            | so such a dependency is never backfilled |

type Part = number | string;
type Components = Part[][];
/** [epoch], version components, local version components: compared in that order, as conda does. */
export type Version = [Components, Components, Components];

const PART = /([0-9]+|[^0-9]+)/g;

/** VersionOrder's parsed form; null for text conda would not accept as a version. */
export function parseVersion(text: string): Version | null {
  let v = text.trim().toLowerCase();
  if (v === '' || /\s/.test(v)) return null;
  let epoch = 0;
  const bang = v.indexOf('!');
  if (bang >= 0) {
    if (!/^[0-9]+$/.test(v.slice(0, bang))) return null;
    epoch = Number(v.slice(0, bang));
    v = v.slice(bang + 1);
  }
  const plus = v.indexOf('+');
  const local = plus >= 0 ? v.slice(plus + 1) : '';
  if (plus >= 0) v = v.slice(0, plus);
  const components = (s: string): Part[][] => {
    const t = s.includes('_') ? s : s.replace(/-/g, '_');
    // A trailing "_" stays on the last component (openssl-like versions: 1.1_ sorts between 1.1dev1 and 1.1a1).
    const split = t.endsWith('_') ? t.slice(0, -1).replace(/_/g, '.').split('.') : t.replace(/_/g, '.').split('.');
    if (t.endsWith('_')) split[split.length - 1] = `${split.at(-1) ?? ''}_`;
    return split.map((c) => {
      const parts: Part[] = (c.match(PART) ?? []).map((p) =>
        /^[0-9]+$/.test(p) ? Number(p) : p === 'post' ? Infinity : p === 'dev' ? 'DEV' : p,
      );
      if (parts.length === 0 || typeof parts[0] === 'string' || parts[0] === Infinity) parts.unshift(0);
      return parts;
    });
  };
  return [[[epoch]], components(v), local ? components(local) : []];
}

function comparePart(a: Part, b: Part): number {
  if (a === b) return 0;
  if (typeof a === 'string') return typeof b === 'string' ? (a < b ? -1 : 1) : -1;
  if (typeof b === 'string') return 1;
  return a < b ? -1 : 1;
}

function compareComponents(a: Components, b: Components): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? [0];
    const y = b[i] ?? [0];
    const m = Math.max(x.length, y.length);
    for (let j = 0; j < m; j++) {
      const c = comparePart(x[j] ?? 0, y[j] ?? 0);
      if (c !== 0) return c;
    }
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const c = compareComponents(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** conda's startswith: `prefix` is `v` with its last component cut short, component by component. */
function startsWith(version: Version, target: Version): boolean {
  if (compareComponents(version[0], target[0]) !== 0) return false;
  const v = version[1];
  const prefix = target[1];
  for (let i = 0; i < prefix.length; i++) {
    const p = prefix[i]!;
    const c = v[i] ?? [0];
    const last = i === prefix.length - 1;
    for (let j = 0; j < p.length; j++) {
      const x = c[j] ?? 0;
      const y = p[j]!;
      if (last && j === p.length - 1 && typeof x === 'string' && typeof y === 'string') return x.startsWith(y);
      if (comparePart(x, y) !== 0) return false;
    }
  }
  return true;
}

export type VersionTest = (v: Version) => boolean;

function term(spec: string): VersionTest | null {
  const m = /^(==|!=|<=|>=|<|>|~=|=)?(.+)$/.exec(spec);
  if (m === null) return null;
  const op = m[1] ?? '';
  let text = m[2]!;
  if (text === '*') return () => true;
  const prefix = text.endsWith('*');
  if (prefix) text = text.replace(/\.?\*$/, '');
  const target = parseVersion(text);
  if (target === null) return null;
  switch (op) {
    case '':
    case '==':
      return prefix ? (v) => startsWith(v, target) : (v) => compareVersions(v, target) === 0;
    case '=':
      return (v) => startsWith(v, target);
    case '!=':
      return prefix ? (v) => !startsWith(v, target) : (v) => compareVersions(v, target) !== 0;
    case '<':
      return (v) => compareVersions(v, target) < 0;
    case '<=':
      return (v) => compareVersions(v, target) <= 0;
    case '>':
      return (v) => compareVersions(v, target) > 0;
    case '>=':
      return (v) => compareVersions(v, target) >= 0;
    case '~=': {
      // ~=1.4.5 means >=1.4.5 and 1.4.*
      const head: Version = [target[0], target[1].slice(0, -1), []];
      return (v) => compareVersions(v, target) >= 0 && startsWith(v, head);
    }
    default:
      return null;
  }
}

/** A version spec ("|" of ","-joined terms); null when it uses syntax this subset does not read. */
export function versionTest(spec: string): VersionTest | null {
  if (/[()]/.test(spec)) return null;
  const alternatives: VersionTest[][] = [];
  for (const alt of spec.split('|')) {
    const terms = alt.split(',').map((t) => term(t.trim()));
    if (terms.some((t) => t === null)) return null;
    alternatives.push(terms as VersionTest[]);
  }
  return (v) => alternatives.some((terms) => terms.every((t) => t(v)));
}

export interface Dependency {
  name: string;
  version: VersionTest;
  build: (build: string) => boolean;
}

/** A dependency as conda-forge writes them ("name", "name spec", "name spec build"); null for other forms. */
export function parseDependency(dep: string): Dependency | null {
  const parts = dep.trim().split(/\s+/);
  if (parts.length === 0 || parts.length > 3 || /[[\]:=<>!~]/.test(parts[0]!)) return null;
  const version = parts[1] === undefined ? () => true : versionTest(parts[1]);
  if (version === null) return null;
  const glob = parts[2];
  if (glob !== undefined && /[[\]]/.test(glob)) return null;
  const re =
    glob === undefined
      ? null
      : new RegExp(
          `^${glob
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|\\]/g, '\\$&'))
            .join('.*')}$`,
        );
  return { name: parts[0]!.toLowerCase(), version, build: (b) => re === null || re.test(b) };
}
