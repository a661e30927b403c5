// read → parse → check against the schema (schema.ts) → compare the places it names. Every problem is collected with
// its key path, then reported at once.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { ForgegateError } from '../errors.js';
import { folderPlaces, ownerOverlaps, placeOverlaps } from './places.js';
import { CONFIG, type Config } from './schema.js';
import { isMapping, readDocument } from './shape.js';

/**
 * Check a parsed config document against the schema, then the anaconda.org owners it names (folders are compared
 * through the file system by `loadConfig`). Pure: `configPath` only anchors relative paths. Every problem is
 * `path: what`, in the order of the schema.
 */
export function validateConfig(
  doc: unknown,
  configPath: string,
): { config: Config; errors: [] } | { config: null; errors: string[] } {
  const { value, problems } = readDocument(CONFIG, doc, configPath);
  if (value === null) return { config: null, errors: problems };
  const owners = ownerOverlaps(value);
  return owners.length > 0 ? { config: null, errors: owners } : { config: value, errors: [] };
}

export async function loadConfig(path: string): Promise<Config> {
  const configPath = resolve(path);
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    throw new ForgegateError(
      'FG_CONFIG_INVALID',
      `cannot read config ${configPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        fix: 'Pass --config with the path of a forgegate YAML config (see docs/reference.md, "Config reference").',
      },
    );
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new ForgegateError('FG_CONFIG_INVALID', `config ${configPath} is not valid YAML: ${(e as Error).message}`, {
      fix: 'Fix the YAML syntax.',
    });
  }
  const { config, errors } = validateConfig(doc, configPath);
  if (config === null) {
    throw new ForgegateError('FG_CONFIG_INVALID', `config ${configPath} is invalid:\n  - ${errors.join('\n  - ')}`, {
      fix:
        'Correct the keys listed above (see docs/reference.md, "Config reference"; an editor given ' +
        'schema/forgegate.schema.json checks the file as you type).',
    });
  }
  // Before anything reads or writes a store: a config whose staging is the channel would delete the channel.
  const q = isMapping(doc) ? doc['quarantine'] : undefined;
  const overlaps = await placeOverlaps(folderPlaces(config, q === undefined));
  if (overlaps.length > 0) {
    throw new ForgegateError(
      'FG_CONFIG_INVALID',
      `config ${configPath} names folders that overlap:\n  - ${overlaps.join('\n  - ')}`,
      {
        fix:
          'Give staging, quarantine, target, reports, registry and the ledger folders of their own, none the same ' +
          'as another or inside another, as seen through symlinks (see docs/security.md, "Folders that may not ' +
          'overlap"). Nothing was read or changed.',
      },
    );
  }
  return config;
}
