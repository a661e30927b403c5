// The proof behind "accept only an unambiguous subset": every generated package is either refused by forgegate (with
// the rule the generator names), or every mainstream reader lists exactly the members forgegate listed — paths,
// types, link targets, sizes and content hashes — at every layer (zip entries, info and payload archives).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArtifact, type PackageListing } from '../../src/conda/verify-artifact.js';
import { generateCases, type Case } from './cases.js';
import { bsdtar, cph, gnuTar, listingOf, missingTools, python, type Listing, type Verdict } from './readers.js';

const cases = generateCases();
const work = mkdtempSync(join(tmpdir(), 'fg-diff-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  path: string;
  rule: string;
  ours: Listing;
}
const outcomes = new Map<Case, Outcome>();
const pythonPackage = new Map<Case, Verdict>();
const pythonZip = new Map<Case, Verdict>();
const pythonExtract = new Map<Case, Verdict>();

beforeAll(async () => {
  const missing = missingTools();
  if (missing.length > 0) {
    throw new Error(
      `the differential suite needs ${missing.join(', ')}: apt-get install -y python3 python3-conda-package-streaming ` +
        'conda-package-handling libarchive-tools tar zstd unzip (.ci/run does this)',
    );
  }
  for (const [i, c] of cases.entries()) {
    const path = join(work, String(i), c.filename);
    mkdirSync(join(work, String(i)));
    writeFileSync(path, c.bytes);
    const listing: PackageListing = { zipEntries: [], members: [] };
    const r = await verifyArtifact(
      Readable.from([c.bytes]),
      { filename: c.filename, subdir: c.subdir, size: c.bytes.length },
      { hashContents: true, listing },
    );
    outcomes.set(c, {
      path,
      rule: r.ok ? 'accept' : r.detail.split(':')[0]!,
      ours: listingOf(listing, c.filename.endsWith('.conda')),
    });
  }
  const all = [...outcomes.entries()];
  python(
    'package',
    all.map(([, o]) => o.path),
  ).forEach((v, i) => pythonPackage.set(all[i]![0], v));
  const condas = all.filter(([c]) => c.filename.endsWith('.conda'));
  python(
    'zip',
    condas.map(([, o]) => o.path),
  ).forEach((v, i) => pythonZip.set(condas[i]![0], v));
  // Extraction writes files: only packages forgegate accepted are extracted (a refused one may aim outside the folder).
  const accepted = all.filter(([, o]) => o.rule === 'accept');
  python(
    'extract',
    accepted.map(([, o]) => o.path),
  ).forEach((v, i) => pythonExtract.set(accepted[i]![0], v));
}, 300_000);

type Layer = 'zip' | 'info' | 'pkg' | 'tar' | 'extracted';

/** What each reader saw of a case, with the layers it reads (extracting readers only for accepted cases). */
function readers(c: Case, o: Outcome, extract = false): [string, Verdict, Layer[]][] {
  const conda = c.filename.endsWith('.conda');
  const parts: Layer[] = conda ? ['info', 'pkg'] : ['tar'];
  const all: Layer[] = conda ? ['zip', 'info', 'pkg'] : ['tar'];
  const list: [string, Verdict, Layer[]][] = [['python conda-package-streaming', pythonPackage.get(c)!, parts]];
  if (conda) {
    list.push(['python zipfile', pythonZip.get(c)!, ['zip']]);
    list.push(['bsdtar (zip central directory)', bsdtar(o.path, 'seek'), all]);
    list.push(['bsdtar (zip local headers, from a pipe)', bsdtar(o.path, 'stream'), all]);
  } else list.push(['bsdtar', bsdtar(o.path, 'seek'), all]);
  list.push(['GNU tar (with unzip and zstd for .conda)', gnuTar(o.path), all]);
  if (extract) {
    list.push(['conda extraction (conda_package_streaming.extract)', pythonExtract.get(c)!, ['extracted']]);
    list.push(['cph x (conda-package-handling)', cph(o.path), ['extracted']]);
  }
  return list;
}

/** Both sides of the comparison for the layers a reader reads, in the fields that reader reports. */
function sides(ours: Listing, theirs: Listing, layers: Layer[]): [unknown, unknown] {
  const mine: Record<string, unknown> = {};
  const seen: Record<string, unknown> = {};
  for (const layer of layers) {
    const t = theirs[layer] as Record<string, unknown>[] | undefined;
    seen[layer] = t ?? '(missing)';
    const fields = new Set((t ?? []).flatMap((m) => Object.keys(m)));
    mine[layer] = ((ours[layer] as Record<string, unknown>[] | undefined) ?? []).map((m) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => fields.size === 0 || fields.has(k))),
    );
  }
  return [seen, mine];
}

describe('differential: forgegate refuses it, or every reader sees exactly what forgegate saw', () => {
  it(`generates at least 60 cases (${cases.length}), accepted and refused`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(cases.filter((c) => c.expect === 'accept').length).toBeGreaterThanOrEqual(15);
  });

  for (const c of cases) {
    const name = c.expect === 'accept' ? 'accepted; every reader lists the same members' : `refused (${c.expect})`;
    it(`${c.id}: ${name}`, () => {
      const o = outcomes.get(c)!;
      expect(o.rule, c.why).toBe(c.expect);
      if (o.rule !== 'accept') return;
      for (const [reader, verdict, layers] of readers(c, o, true)) {
        expect('error' in verdict ? verdict.error : null, `${reader} failed to read an accepted package`).toBeNull();
        if ('error' in verdict) continue;
        const [theirs, ours] = sides(o.ours, verdict.members, layers);
        expect(theirs, reader).toEqual(ours);
      }
    });
  }

  it('notices a difference: one changed hash, type or member makes the two sides unequal', () => {
    const accepted = cases.find((c) => c.expect === 'accept' && c.filename.endsWith('.conda'))!;
    const ours = outcomes.get(accepted)!.ours;
    const changed = JSON.parse(JSON.stringify(ours)) as Listing;
    changed.pkg![0]!.sha256 = '0'.repeat(64);
    const [a, b] = sides(ours, changed, ['pkg']);
    expect(a).not.toEqual(b);
    const missing = { ...ours, pkg: ours.pkg!.slice(1) };
    const [c, d] = sides(ours, missing, ['zip', 'info', 'pkg']);
    expect(c).not.toEqual(d);
  });

  it('shows why refusing was needed: on the refused cases the readers disagree with each other or fail', () => {
    const disagreements = cases
      .filter((c) => c.expect !== 'accept')
      .filter((c) => {
        const seen = readers(c, outcomes.get(c)!).map(([, v]) =>
          JSON.stringify('error' in v ? 'error' : (v.members.pkg ?? v.members.tar)),
        );
        return new Set(seen).size > 1;
      });
    // Not every refusal is a disagreement (an absolute path is read the same way by all): most are.
    expect(disagreements.length).toBeGreaterThan(10);
  }, 600_000);
});
