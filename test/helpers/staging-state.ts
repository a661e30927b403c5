// What a staging folder holds: every entry below <root>/<subdir>/, as `subdir/name`, sorted.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function stagedFiles(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(root, d.name)).map((f) => `${d.name}/${f}`))
    .sort();
}
