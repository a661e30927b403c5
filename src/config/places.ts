// The places a config names must not overlap: folders, and anaconda.org owners (`ownerOverlaps`, at the end).
// Staging is written by every uploader and everything forgegate refuses there is deleted; the quarantine is swept;
// the channel is served to the world. Staging equal to the channel would delete the channel; staging inside it
// would serve unsigned uploads. So no two of staging, quarantine, target, reports and registry may be the same
// folder or lie one inside another, and the ledger's folder may be none of them nor lie inside one (it may hold
// them: one root for everything is the usual layout).
//
// Paths are compared as the kernel will open them: each is resolved through symlinks (realpath of the path, or of
// its nearest existing ancestor with the rest appended), then compared both as strings and by device and inode of
// the nearest existing ancestors, so a bind mount or another alias of one folder is caught as well.
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { Config } from './schema.js';

/** One folder a config names, with the key a person would edit. */
export interface Place {
  key: string;
  path: string;
  /** The ledger's folder may hold the store folders, but may not be one or lie inside one. */
  holdsLedger?: boolean;
}

interface Located {
  place: Place;
  /** The path with every existing part resolved through symlinks. */
  real: string;
  /** `dev:ino` of the nearest existing ancestor-or-self, then of each of its parents up to `/`. */
  chain: string[];
  /** The components below that ancestor, which do not exist (yet). */
  tail: string[];
}

/** The folders of `config` that live on this machine. Stores elsewhere (anaconda.org, GitHub) have none. */
export function folderPlaces(config: Config, quarantineIsDefault: boolean): Place[] {
  const places: Place[] = [];
  const add = (key: string, store: { type: string; path?: string }): void => {
    if (store.type === 'directory' && store.path) places.push({ key, path: store.path });
  };
  add('staging.store.path', config.staging.store);
  add(
    quarantineIsDefault ? 'quarantine.store.path (default: beside the ledger)' : 'quarantine.store.path',
    config.quarantine.store,
  );
  add('target.store.path', config.target.store);
  add('reports.path', config.reports);
  add('registry.path', config.registry);
  places.push({ key: "ledger (the ledger's folder)", path: dirname(config.ledger), holdsLedger: true });
  return places;
}

async function locate(place: Place): Promise<Located> {
  const tail: string[] = [];
  let at = place.path;
  for (;;) {
    const real = await realpath(at).catch(() => null);
    if (real !== null) return { place, real: join(real, ...tail), chain: await identities(real), tail };
    const parent = dirname(at);
    // Nothing resolves, not even `/` (cannot happen on a working system): compare the path as written.
    if (parent === at) return { place, real: place.path, chain: [], tail: [] };
    tail.unshift(basename(at));
    at = parent;
  }
}

async function identities(real: string): Promise<string[]> {
  const chain: string[] = [];
  for (let p = real; ; p = dirname(p)) {
    const st = await stat(p, { bigint: true }).catch(() => null);
    if (st === null) break;
    chain.push(`${st.dev}:${st.ino}`);
    if (dirname(p) === p) break;
  }
  return chain;
}

const within = (x: string, y: string): boolean => x === y || x.startsWith(y.endsWith(sep) ? y : `${y}${sep}`);

/** Is `a` the folder `b` or inside it? `how` says whether only device and inode tell (a bind mount, an alias). */
function insideOrSame(a: Located, b: Located): { inside: boolean; same: boolean; byIdentity: boolean } {
  const byPath = within(a.real, b.real);
  let byIdentity = false;
  if (b.chain.length > 0 && a.chain.length > 0) {
    if (b.tail.length === 0) byIdentity = a.chain.includes(b.chain[0]!);
    else
      byIdentity =
        a.chain[0] === b.chain[0] && b.tail.length <= a.tail.length && b.tail.every((c, i) => a.tail[i] === c);
  }
  const inside = byPath || byIdentity;
  const sameByIdentity =
    a.chain.length > 0 &&
    a.chain[0] === b.chain[0] &&
    a.tail.length === b.tail.length &&
    a.tail.every((c, i) => b.tail[i] === c);
  return { inside, same: inside && (a.real === b.real || sameByIdentity), byIdentity: byIdentity && !byPath };
}

function shown(l: Located): string {
  return l.real === l.place.path ? l.place.path : `${l.place.path}, which resolves to ${l.real}`;
}

/**
 * Every overlap among `places`, one line each, naming both keys and both paths with the fix. Empty: none overlap.
 * Reads the file system (realpath, stat); never creates or changes anything.
 */
export async function placeOverlaps(places: Place[]): Promise<string[]> {
  const located = await Promise.all(places.map(locate));
  const problems: string[] = [];
  for (const [i, a] of located.entries()) {
    for (const b of located.slice(i + 1)) {
      // The ledger's folder may hold store folders (one root for everything), never lie in one.
      const aInB = insideOrSame(a, b);
      const bInA = insideOrSame(b, a);
      let line: string | null = null;
      const alias = aInB.byIdentity || bInA.byIdentity ? ' (the same device and inode: a bind mount or alias)' : '';
      if (aInB.same || bInA.same)
        line = `${a.place.key} (${shown(a)}) and ${b.place.key} (${shown(b)}) are the same folder`;
      else if (aInB.inside && !b.place.holdsLedger)
        line = `${a.place.key} (${shown(a)}) is inside ${b.place.key} (${shown(b)})`;
      else if (bInA.inside && !a.place.holdsLedger)
        line = `${b.place.key} (${shown(b)}) is inside ${a.place.key} (${shown(a)})`;
      if (line !== null) problems.push(`${line}${alias}: ${FIX}`);
    }
  }
  return problems;
}

const FIX =
  'give each a folder of its own, neither inside the other (uploaders write into staging and forgegate deletes what ' +
  'it refuses there; the quarantine is swept; the channel is served to everyone)';

/** One owner on one server: owner names are case-insensitive there, and a URL's scheme or path does not matter. */
function sameOwner(a: { owner: string; url: string }, b: { owner: string; url: string }): boolean {
  const host = (url: string): string => {
    try {
      return new URL(url).host;
    } catch {
      return url.toLowerCase();
    }
  };
  return a.owner.toLowerCase() === b.owner.toLowerCase() && host(a.url) === host(b.url);
}

const OWNER_WHY: Record<string, string> = {
  'staging.store target.store':
    "staging is listed across every label of its owner, so the channel's own files would be taken for uploads " +
    'and deleted when refused (no label setting keeps them apart): stage to an owner of its own (conda-forge: ' +
    'cf-staging)',
  'quarantine.store staging.store':
    'the quarantine is swept of every file its owner holds, and uploaders write to staging: give the quarantine ' +
    'an owner only forgegate can write (conda-forge: cf-post-staging)',
  'quarantine.store target.store':
    'the quarantine is swept of every file its owner holds, which would delete the channel: give the quarantine ' +
    'an owner only forgegate can write (conda-forge: cf-post-staging)',
};

/**
 * Stores on anaconda.org are owners. Staging is listed across every label of its owner, so no label keeps a channel
 * in the same owner apart from it; the quarantine is swept of everything its owner holds. So all three differ.
 * One line per pair that shares an owner; empty when none do.
 */
export function ownerOverlaps(config: Config): string[] {
  if (config.storeType !== 'anaconda') return [];
  const stores = [
    ['staging.store', config.staging.store],
    ['quarantine.store', config.quarantine.store],
    ['target.store', config.target.store],
  ] as const;
  const problems: string[] = [];
  for (const [i, [ka, a]] of stores.entries()) {
    for (const [kb, b] of stores.slice(i + 1)) {
      if (!sameOwner(a, b)) continue;
      problems.push(
        `${ka}.owner and ${kb}.owner are the same anaconda.org owner (${a.owner} at ${a.url}, ${b.owner} at ` +
          `${b.url}): ${OWNER_WHY[[ka, kb].sort().join(' ')]!}`,
      );
    }
  }
  return problems;
}
