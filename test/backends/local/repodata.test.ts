// Repodata records carry every key of info/index.json (but conda-index's filtered ones), as the package states it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILTERED_INDEX_KEYS, recordFor } from '../../../src/backends/local/repodata.js';
import { verifyArtifactFile } from '../../../src/cli/artifact-file.js';
import { writeCondaPackage } from '../../helpers/packages.js';

const work = mkdtempSync(join(tmpdir(), 'fg-repodata-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const OPTIONAL = {
  constrains: ['libfoo >=2'],
  extra_depends: { test: ['pytest'] },
  features: 'blas_mkl',
  flags: ['gpu'],
  license_family: 'BSD',
  noarch: 'python',
  purls: ['pkg:pypi/tool@1.0'],
  python_site_packages_path: 'lib/python3.13t/site-packages',
  track_features: 'tool_debug',
  a_key_from_a_newer_builder: { anything: [1, 2, 3] },
};

describe('repodata records', () => {
  for (const format of ['conda', 'tar.bz2'] as const) {
    it(`keep every optional and unknown key of a .${format} index.json and drop conda-index's filtered keys`, async () => {
      const built = await writeCondaPackage(work, {
        name: 'tool',
        version: '1.0',
        build: `h0_${format === 'conda' ? 0 : 1}`,
        subdir: 'linux-64',
        format,
        indexOverrides: { ...OPTIONAL, timestamp: 1_700_000_000_123, has_prefix: true, mtime: 1, machine: 'x86_64' },
      });
      const check = await verifyArtifactFile(built.path, { filename: built.filename, subdir: 'linux-64' });
      if (!check.ok) throw new Error(check.detail);
      const record = recordFor(check.facts);
      expect(record).toMatchObject({ ...OPTIONAL, timestamp: 1_700_000_000_123, ...built.digests });
      for (const key of FILTERED_INDEX_KEYS) expect(record, key).not.toHaveProperty(key);
      const kept = Object.keys(check.facts.index).filter((k) => !FILTERED_INDEX_KEYS.has(k));
      expect(Object.keys(record).sort()).toEqual([...kept, 'md5', 'sha256', 'size'].sort());
    });
  }

  it('take run_exports from info/run_exports.json for the shards, never into the record; a bad one is a note', async () => {
    for (const [content, expected] of [
      ['{"weak": ["tool >=1.0,<2"]}', { weak: ['tool >=1.0,<2'] }],
      ['["not", "an", "object"]', undefined],
    ] as const) {
      const built = await writeCondaPackage(work, {
        name: 'rx',
        version: '1.0',
        build: `h${content.length}_0`,
        subdir: 'linux-64',
        format: 'conda',
        infoFiles: { 'run_exports.json': content },
      });
      const check = await verifyArtifactFile(built.path, { filename: built.filename, subdir: 'linux-64' });
      if (!check.ok) throw new Error(check.detail);
      expect(check.facts.runExports).toEqual(expected);
      expect(recordFor(check.facts)).not.toHaveProperty('run_exports');
      if (expected === undefined)
        expect(check.facts.notes).toContain('info/run_exports.json is not a JSON object; shards list no run_exports');
    }
  });
});

describe('repodata records add only what conda-index adds', () => {
  it('give a package without depends (rattler-build writes none) no depends key, and digests', async () => {
    const built = await writeCondaPackage(work, {
      name: 'nodeps',
      version: '1.0',
      build: 'h0_0',
      subdir: 'noarch',
      format: 'conda',
      indexOverrides: { depends: null, noarch: 'generic' },
    });
    const check = await verifyArtifactFile(built.path, { filename: built.filename, subdir: 'noarch' });
    if (!check.ok) throw new Error(check.detail);
    const record = recordFor(check.facts);
    expect(record).not.toHaveProperty('depends');
    expect(Object.keys(record).sort()).toEqual(
      [...Object.keys(check.facts.index).filter((k) => !FILTERED_INDEX_KEYS.has(k)), 'md5', 'sha256', 'size'].sort(),
    );
  });
});
