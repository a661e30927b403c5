// The real corpus (test/data/real-packages, 51 packages from the test data of six projects): every package
// conda-package-streaming reads is accepted (but the two its README says may be refused), read by forgegate exactly
// as Python, libarchive, GNU tar and conda's extraction read it, published end to end through the CLI, and its
// repodata record holds every key of the info/index.json Python reads, and rattler reads it.
import { PackageRecord, type PackageRecordJson } from '@conda-org/rattler';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILTERED_INDEX_KEYS } from '../../src/backends/local/repodata.js';
import { verifyArtifactFile } from '../../src/cli/artifact-file.js';
import { KNOWN_SUBDIRS } from '../../src/conda/subdirs.js';
import type { PackageListing } from '../../src/conda/verify-artifact.js';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';
import { DATA_DIR } from '../helpers/paths.js';
import { bsdtar, cph, gnuTar, listingOf, missingTools, python, type Listing, type Verdict } from './readers.js';

const ROOT = join(DATA_DIR, 'real-packages');
const corpus = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(ROOT, d.name)).map((filename) => ({
      subdir: d.name,
      filename,
      path: join(ROOT, d.name, filename),
    })),
  );
/** The two .conda files converted by old Anaconda tooling hold symlinks with empty targets (see the corpus README). */
const REFUSED = new Set(['linux-64/zlib-1.2.11-h7b6447c_3.conda', 'osx-64/zlib-1.2.11-h1de35cc_3.conda']);
const work = mkdtempSync(join(tmpdir(), 'fg-real-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let readable: Verdict[] = [];
let indexes: Verdict[] = [];
let extracted: Verdict[] = [];
beforeAll(() => {
  const missing = missingTools();
  if (missing.length > 0) throw new Error(`the differential suite needs ${missing.join(', ')} (see .ci/run)`);
  readable = python(
    'package',
    corpus.map((c) => c.path),
  );
  indexes = python(
    'index',
    corpus.map((c) => c.path),
  );
  extracted = python(
    'extract',
    corpus.map((c) => c.path),
  );
}, 300_000);

const key = (c: { subdir: string; filename: string }): string => `${c.subdir}/${c.filename}`;

describe('the real corpus, read by forgegate and by the readers conda clients use', () => {
  it('conda-package-streaming reads all 51', () => {
    expect(corpus).toHaveLength(51);
    expect(readable.filter((v) => 'error' in v)).toEqual([]);
  });

  it('conda extracts all but the two refused ones: an empty symlink target stops its extraction', () => {
    const failed = corpus.filter((_, i) => 'error' in extracted[i]!).map(key);
    expect(failed.sort()).toEqual([...REFUSED].sort());
  });

  for (const [i, c] of corpus.entries()) {
    const refused = REFUSED.has(key(c));
    it(`${key(c)}: ${refused ? 'refused with a reason a maintainer understands' : 'accepted, and every reader lists the same members'}`, async () => {
      const listing: PackageListing = { zipEntries: [], members: [] };
      const r = await verifyArtifactFile(c.path, c, { hashContents: true, listing });
      if (refused) {
        expect(r.ok ? 'accepted' : r.detail).toMatch(
          /^tar\.links: the payload archive, .*: symlink lib\/\S+ has an empty target — fix: /,
        );
        return;
      }
      expect(r.ok ? 'accepted' : r.detail).toBe('accepted');
      const conda = c.filename.endsWith('.conda');
      const { zip: _zip, extracted: files, ...ours } = listingOf(listing, conda);
      const py = readable[i]!;
      expect('members' in py && py.members).toEqual(ours);
      for (const [name, v] of [
        ['bsdtar', bsdtar(c.path, 'seek')],
        ['GNU tar', gnuTar(c.path)],
      ] as const) {
        expect('error' in v ? v.error : null, name).toBeNull();
        if ('error' in v) continue;
        const theirs = conda ? { info: v.members.info, pkg: v.members.pkg } : { tar: v.members.tar };
        expect(theirs, name).toEqual(ours);
      }
      // conda's extraction (both parts into one folder) and cph's install exactly the files forgegate read.
      for (const [name, v] of [
        ['conda_package_streaming.extract', extracted[i]!],
        ['cph x', cph(c.path)],
      ] as const) {
        expect('error' in v ? v.error : null, name).toBeNull();
        if (!('error' in v)) expect(v.members.extracted, name).toEqual(files);
      }
    });
  }
});

/** Publish one group of the corpus into a fresh channel through the CLI, as a feedstock would upload it. */
async function publish(name: string, files: typeof corpus): Promise<Sandbox> {
  // linux-fake is a made-up subdir of conda's tests: the gate publishes it only when the config says so.
  const sb = await Sandbox.create(join(work, name), {
    policy: { rejectRetention: '7d' },
    configOverrides: {
      staging: { store: { type: 'directory', path: './staging' }, subdirs: [...KNOWN_SUBDIRS, 'linux-fake'] },
    },
  });
  const names = [...new Set(files.map((f) => f.filename.replace(/-[^-]+-[^-]+\.(conda|tar\.bz2)$/, '')))];
  await sb.addFeedstock('conda-tests', names);
  await sb.commitRegistry();
  for (const f of files) {
    const bytes = readFileSync(f.path);
    const digests = {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    };
    await sb.stage({ path: f.path, filename: f.filename, subdir: f.subdir, digests }, { feedstock: 'conda-tests' });
  }
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return sb;
}

describe('the real corpus, published end to end', () => {
  // A .conda and a .tar.bz2 of one name-version-build are one package in a channel: each format gets its own.
  for (const format of ['conda', 'tar.bz2'] as const) {
    it(`publishes every accepted .${format} with a repodata record that agrees with the info/index.json Python reads`, async () => {
      const files = corpus.filter((c) => c.filename.endsWith(`.${format}`));
      const sb = await publish(format, files);
      for (const f of files) {
        const path = join(sb.channelDir, f.subdir, 'repodata.json');
        const repodata = (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}) as Record<
          string,
          Record<string, Record<string, unknown>> | undefined
        >;
        const record = repodata[format === 'conda' ? 'packages.conda' : 'packages']?.[f.filename];
        if (REFUSED.has(key(f))) {
          expect(record, key(f)).toBeUndefined();
          continue;
        }
        expect(record, key(f)).toBeDefined();
        const bytes = readFileSync(f.path);
        const index = (indexes[corpus.indexOf(f)] as { members: Listing }).members.index!;
        const { md5, sha256, size, ...fromIndex } = record!;
        expect({ md5, sha256, size }).toEqual({
          md5: createHash('md5').update(bytes).digest('hex'),
          sha256: createHash('sha256').update(bytes).digest('hex'),
          size: bytes.length,
        });
        // Every key Python reads from info/index.json, but the ones conda-index filters, exactly as stated.
        const expected = Object.fromEntries(Object.entries(index).filter(([k]) => !FILTERED_INDEX_KEYS.has(k)));
        expect(fromIndex, key(f)).toEqual(expected);
        expect(() => new PackageRecord(record as unknown as PackageRecordJson), key(f)).not.toThrow();
      }
    });
  }
});
