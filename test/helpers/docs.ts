// The user documentation: README.md and docs/*.md. Tests that hold the docs to the code read them through here, so a
// section that moves between files stays checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** One document by its path in the repository (`README.md`, `docs/reference.md`). */
export function readDoc(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The paths of README.md and every docs/*.md. */
export function docPaths(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}
