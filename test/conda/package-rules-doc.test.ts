// docs/package-rules.md is the rule book; the rules tables in src/conda/ are the single source of each rule's text,
// verdict and fix. The page must list exactly the rules in code, word for word, and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BZIP2_RULES } from '../../src/conda/bzip2-decoder.js';
import { INDEX_RULES } from '../../src/conda/index-json.js';
import { LIMIT_RULES } from '../../src/conda/limits.js';
import { PACKAGE_RULES } from '../../src/conda/package-check.js';
import { PATH_RULES } from '../../src/conda/path-safety.js';
import type { RuleTable } from '../../src/conda/problem.js';
import { TAR_RULES } from '../../src/conda/tar-reader.js';
import { FILE_RULES } from '../../src/conda/verify-artifact.js';
import { ZIP_RULES } from '../../src/conda/zip-reader.js';
import { ZSTD_RULES } from '../../src/conda/zstd-decoder.js';
import { REPO_ROOT } from '../helpers/paths.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'package-rules.md'), 'utf8');
const TABLES: RuleTable[] = [
  FILE_RULES,
  ZIP_RULES,
  ZSTD_RULES,
  BZIP2_RULES,
  TAR_RULES,
  PATH_RULES,
  PACKAGE_RULES,
  INDEX_RULES,
  LIMIT_RULES,
];
const inCode = TABLES.flatMap((t) => Object.keys(t));
/** Rule ids the page's rules tables list: rows `| \`id\` | accepted | INVALID or UNSAFE |`. */
const inDoc = [...doc.matchAll(/^\| `([a-z0-9_]+\.[a-z0-9_.-]+)` \| .* \| (INVALID|UNSAFE) \|$/gm)].map((m) => m[1]!);

describe('docs/package-rules.md and the rules tables in code', () => {
  it('lists every rule id in the code tables, each once, and nothing else', () => {
    expect([...inDoc].sort()).toEqual([...inCode].sort());
    expect(new Set(inCode).size).toBe(inCode.length);
  });
  for (const table of TABLES) {
    for (const [id, rule] of Object.entries(table)) {
      it(`${id}: the same text, verdict and fix as the code, and the reasoning for it`, () => {
        const verdict = rule.reason === 'ARTIFACT_UNSAFE' ? 'UNSAFE' : 'INVALID';
        expect(doc).toContain(`| \`${id}\` | ${rule.text.replace(/\|/g, '\\|')} | ${verdict} |`);
        const entry = doc.split('\n').findIndex((l) => l.startsWith(`- \`${id}\`: **Why:**`));
        expect(entry, `a "- \`${id}\`: **Why:**" entry`).toBeGreaterThan(-1);
        expect(doc.split('\n')[entry + 1]).toBe(`  Fix: ${rule.fix}`);
      });
    }
  }
});
