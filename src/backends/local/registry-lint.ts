// `registry lint`: every problem in a registry checkout, for the registry repository's own CI.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isForgegateError } from '../../errors.js';
import type { RegistryPublisher, SigstoreRegistryConfig } from '../../ports/registry.js';
import { fnmatchcase } from '../../registry/fnmatch.js';
import { feedstockOf } from '../../statement/keyless/publisher.js';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  KEYS_DIR,
  isRegistryName,
  keyPath,
  outputPath,
  parseAllowlist,
  parseFeedstockFile,
  parseOutputFile,
  parseRegistryConfig,
} from '../../registry/layout.js';

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    // `registry init` keeps the empty folders in git with this marker.
    if (e.name === '.gitkeep') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

const readOrNull = (path: string): Promise<string | null> => readFile(path, 'utf8').catch(() => null);

export interface LintResult {
  problems: string[];
  outputs: number;
  keyFiles: number;
}

export async function lintRegistry(root: string): Promise<LintResult> {
  const problems: string[] = [];
  function attempt<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch (e) {
      problems.push(isForgegateError(e) ? e.message.replace(/^registry file /, '') : String(e));
      return null;
    }
  }
  const rel = (p: string): string => relative(root, p).split(sep).join('/');
  const configText = await readOrNull(join(root, CONFIG_FILE));
  const config = attempt(() => parseRegistryConfig(configText)) ?? DEFAULT_REGISTRY_CONFIG;
  const allowlistText = await readOrNull(join(root, ALLOWLIST_FILE));
  const allowlist = attempt(() => parseAllowlist(allowlistText)) ?? {};
  for (const [feedstock, patterns] of Object.entries(allowlist)) {
    for (const p of patterns) {
      // A pattern that matches everything hands every new name to one feedstock.
      if (fnmatchcase('any-name-at-all', p) && fnmatchcase('zz_other', p))
        problems.push(`${ALLOWLIST_FILE}: ${feedstock}: pattern "${p}" matches every name`);
    }
  }

  let outputs = 0;
  for (const file of await walk(join(root, config.outputs_path))) {
    const path = rel(file);
    const name = path
      .split('/')
      .pop()!
      .replace(/\.json$/, '');
    if (!path.endsWith('.json') || !isRegistryName(name)) {
      problems.push(`${path}: not an <output>.json file`);
      continue;
    }
    if (outputPath(name, config) !== path) problems.push(`${path}: belongs at ${outputPath(name, config)} (sharding)`);
    // Read synchronously: the command does nothing else meanwhile, and for conda-forge's 32,676 small files Node's
    // promise-based readFile (open, stat, read, close, each a round trip to the thread pool) was four times slower.
    const text = readFileSync(file, 'utf8');
    if (attempt(() => parseOutputFile(text, path)) !== null) outputs++;
  }

  let keyFiles = 0;
  const owners = new Map<string, string>();
  const repositories = new Map<string, string>();
  for (const file of await walk(join(root, KEYS_DIR))) {
    const path = rel(file);
    const feedstock = path
      .split('/')
      .pop()!
      .replace(/\.json$/, '');
    if (!path.endsWith('.json') || !isRegistryName(feedstock)) {
      problems.push(`${path}: not a <feedstock>.json key file`);
      continue;
    }
    if (keyPath(feedstock, config) !== path)
      problems.push(`${path}: belongs at ${keyPath(feedstock, config)} (sharding)`);
    const text = await readFile(file, 'utf8');
    const parsed = attempt(() => parseFeedstockFile(text, path, config.sigstore));
    if (parsed === null) continue;
    keyFiles++;
    problems.push(...publisherProblems(path, feedstock, parsed.publishers, config.sigstore, repositories));
    for (const k of parsed.keys) {
      const other = owners.get(k.keyid);
      if (other !== undefined)
        problems.push(`${path}: key ${k.keyid} is listed twice (also for ${other}); one key must serve one feedstock`);
      owners.set(k.keyid, feedstock);
    }
  }
  return { problems, outputs, keyFiles };
}

/**
 * What would keep a publisher from ever matching, or let one repository speak for two feedstocks: keyless evidence
 * switched off, a repository that repoPattern maps to another feedstock, a repository id listed by two feedstocks.
 */
function publisherProblems(
  path: string,
  feedstock: string,
  publishers: readonly RegistryPublisher[],
  sigstore: SigstoreRegistryConfig | undefined,
  repositories: Map<string, string>,
): string[] {
  if (publishers.length === 0) return [];
  if (sigstore === undefined)
    return [`${path}: lists publishers, but config.json has no sigstore block: every .sigstore.json is ignored`];
  const problems: string[] = [];
  for (const p of publishers) {
    const named = feedstockOf(p.repository, sigstore);
    if (named !== feedstock)
      problems.push(
        `${path}: publisher "${p.id}" names ${p.repository}, which repoPattern ${sigstore.repoPattern} maps to ` +
          `${named === null ? 'no feedstock' : `feedstock "${named}"`}: it can never match`,
      );
    const other = repositories.get(p.repositoryId);
    if (other !== undefined && other !== feedstock)
      problems.push(`${path}: publisher "${p.id}" has repository id ${p.repositoryId}, also listed for ${other}`);
    repositories.set(p.repositoryId, feedstock);
  }
  return problems;
}
