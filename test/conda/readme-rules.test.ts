// The README's "What forgegate accepts" tables are the rules tables in the code: every rule, word for word.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BZIP2_RULES } from '../../src/conda/bzip2-decoder.js';
import { PACKAGE_RULES } from '../../src/conda/package-check.js';
import { PATH_RULES } from '../../src/conda/path-safety.js';
import { TAR_RULES } from '../../src/conda/tar-reader.js';
import { ZIP_RULES } from '../../src/conda/zip-reader.js';
import { ZSTD_RULES } from '../../src/conda/zstd-decoder.js';
import { REPO_ROOT } from '../helpers/paths.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README accepted-subset tables', () => {
  for (const table of [ZIP_RULES, ZSTD_RULES, BZIP2_RULES, TAR_RULES, PATH_RULES, PACKAGE_RULES]) {
    for (const [id, rule] of Object.entries(table)) {
      it(`lists ${id} with the code's text and verdict`, () => {
        const verdict = rule.reason === 'ARTIFACT_UNSAFE' ? 'UNSAFE' : 'INVALID';
        expect(readme).toContain(`| \`${id}\` | ${rule.text.replace(/\|/g, '\\|')} | ${verdict} |`);
      });
    }
  }
});
