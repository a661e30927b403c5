// What makes a folder a registry checkout (registry-v1 "Files"), and `registry init`, which makes one. The edit
// commands and lint refuse any other folder, so a typo'd path never becomes a new, empty registry.
import { lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ForgegateError } from '../../errors.js';
import { ALLOWLIST_FILE, CONFIG_FILE, DEFAULT_REGISTRY_CONFIG, KEYS_DIR } from '../../registry/layout.js';

const isDir = (p: string): Promise<boolean> =>
  lstat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
const exists = (p: string): Promise<boolean> =>
  lstat(p).then(
    () => true,
    () => false,
  );

/** A registry has config.json, or (config.json being optional in registry-v1) an outputs/ or keys/ folder. */
export async function assertRegistryFolder(root: string): Promise<void> {
  if (!(await isDir(root)))
    throw new ForgegateError('FG_INPUT_INVALID', `${root} is not a folder`, {
      fix: `Check the path, or create a registry there: forgegate registry init '${root}'`,
    });
  const marks = await Promise.all([
    exists(join(root, CONFIG_FILE)),
    isDir(join(root, DEFAULT_REGISTRY_CONFIG.outputs_path)),
    isDir(join(root, KEYS_DIR)),
  ]);
  if (!marks.some(Boolean))
    throw new ForgegateError(
      'FG_INPUT_INVALID',
      `${root} is not a registry: it has no ${CONFIG_FILE}, ${DEFAULT_REGISTRY_CONFIG.outputs_path}/ or ${KEYS_DIR}/`,
      {
        fix: `Check the path (a checkout of the registry repository), or create one: forgegate registry init '${root}'`,
      },
    );
}

/** Create config.json, outputs/ and keys/ in a new or empty folder; refuse a folder that holds anything. */
export async function initRegistry(root: string, opts: { autoRegisterAll?: boolean } = {}): Promise<string[]> {
  await mkdir(root, { recursive: true });
  const entries = (await readdir(root)).filter((e) => e !== '.git');
  if (entries.length > 0)
    throw new ForgegateError('FG_INPUT_INVALID', `${root} is not empty (${entries.slice(0, 3).join(', ')}…)`, {
      fix: 'Pass a new or empty folder (a fresh git clone is fine).',
    });
  const config = { ...DEFAULT_REGISTRY_CONFIG, auto_register_all: opts.autoRegisterAll ?? false };
  await writeFile(join(root, CONFIG_FILE), `${JSON.stringify(config)}\n`, { flag: 'wx' });
  await mkdir(join(root, config.outputs_path));
  await mkdir(join(root, KEYS_DIR));
  // git keeps no empty folders: a marker keeps the layout in the first commit.
  await writeFile(join(root, config.outputs_path, '.gitkeep'), '');
  await writeFile(join(root, KEYS_DIR, '.gitkeep'), '');
  return [CONFIG_FILE, `${config.outputs_path}/`, `${KEYS_DIR}/`, `(optional) ${ALLOWLIST_FILE}`];
}
