import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from source or from dist/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `shared/` sits beside the checkout (../shared), as in CI. */
export const SHARED_DIR = process.env['FORGEGATE_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
export const SPEC_DIR = join(SHARED_DIR, 'spec');
export const DATA_DIR = join(SHARED_DIR, 'data');
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
