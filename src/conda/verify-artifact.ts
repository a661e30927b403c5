// Full verification of an artifact's bytes in ONE streaming pass: digests, container, compression, archives,
// package-wide rules, index.json. Each layer accepts only its canonical subset (the rules tables;
// docs/package-rules.md).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ArtifactCheck, ArtifactFacts } from '../model.js';
import { ByteSource, Truncated } from './byte-source.js';
import { Bzip2Decoder } from './bzip2-decoder.js';
import { artifactStem, parseArtifactFilename } from './filename.js';
import { parseIndex } from './index-json.js';
import { DEFAULT_UNPACK_LIMITS, KEPT_FILE_LIMITS, UnpackBudget, type UnpackLimits } from './limits.js';
import { packageContent } from './package-content.js';
import { checkPackage, checkPart, PACKAGE_RULES, type PackageMember, type Part } from './package-check.js';
import { ArtifactProblem, broke, type RuleTable } from './problem.js';
import { TarReader } from './tar-reader.js';
import { readZipStream, type ZipEntrySink } from './zip-reader.js';
import { ZstdFrameDecoder } from './zstd-decoder.js';

export interface ArtifactExpectation {
  filename: string;
  subdir: string;
  /** Size of the whole file in bytes (the unpack ratio is measured against it). */
  size: number;
}

/** What forgegate read, for tools that compare it with other readers (the differential tests). */
export interface PackageListing {
  zipEntries: { name: string; size: number; sha256?: string }[];
  members: PackageMember[];
}

export interface VerifyOptions {
  limits?: UnpackLimits;
  /** Hash every regular file's content into the listing (costs a sha256 of all unpacked bytes). */
  hashContents?: boolean;
  /** Filled with every zip entry and member read, whatever the verdict. */
  listing?: PackageListing;
  /** Work out what the package installs (`facts.content`), to compare it with its twin; hashes every file. */
  content?: boolean;
}

/** The file as a whole, before any format is read. */
export const FILE_RULES: RuleTable = {
  'file.name': {
    reason: 'ARTIFACT_INVALID',
    text: 'The file is named `<name>-<version>-<build>.conda` or `.tar.bz2`.',
    fix: 'Upload the artifact under the file name its builder gave it.',
  },
  'file.truncated': {
    reason: 'ARTIFACT_INVALID',
    text: 'The file is complete: every structure it starts ends inside it.',
    fix: 'The file is truncated: re-download it from the build, or re-upload it.',
  },
};

const MAX_METADATA_JSON = 4096;

interface Read {
  members: PackageMember[];
  kept: Map<string, Buffer>;
  /** What an admin should know but is no reason to refuse. */
  notes: string[];
}

function tarPart(budget: UnpackBudget, part: Part, opts: VerifyOptions, into: Read): TarReader {
  const label = { info: 'the info archive', pkg: 'the payload archive', tar: 'the archive' }[part];
  return new TarReader({
    budget,
    label,
    hashContents: (opts.hashContents ?? false) || (opts.content ?? false),
    keep: part === 'pkg' ? {} : KEPT_FILE_LIMITS,
    // Members are tagged with their part as they come, so the listing is complete even when reading stops early.
    onMember(m) {
      const tagged = Object.assign(m, { part });
      into.members.push(tagged);
      opts.listing?.members.push(tagged);
    },
  });
}

async function readConda(src: ByteSource, stem: string, budget: UnpackBudget, opts: VerifyOptions): Promise<Read> {
  const read: Read = { members: [], kept: new Map(), notes: [] };
  const seen = new Set<string>();
  const zipNotes = await readZipStream(src, {
    open(name): ZipEntrySink {
      if (seen.has(name)) throw broke(PACKAGE_RULES, 'conda.entries', `zip entry ${name} appears twice`);
      seen.add(name);
      let size = 0;
      const hash = opts.hashContents ? createHash('sha256') : null;
      const done = (): void =>
        void opts.listing?.zipEntries.push({ name, size, ...(hash ? { sha256: hash.digest('hex') } : {}) });
      if (name === 'metadata.json') {
        const parts: Buffer[] = [];
        return {
          write(chunk) {
            size += chunk.length;
            hash?.update(chunk);
            if (size > MAX_METADATA_JSON)
              throw broke(PACKAGE_RULES, 'conda.metadata', `metadata.json is over ${MAX_METADATA_JSON} bytes`);
            parts.push(Buffer.from(chunk));
          },
          end() {
            done();
            const note = checkMetadataJson(Buffer.concat(parts));
            if (note !== null) read.notes.push(note);
          },
        };
      }
      const part: Part | null =
        name === `info-${stem}.tar.zst` ? 'info' : name === `pkg-${stem}.tar.zst` ? 'pkg' : null;
      if (part === null) {
        throw broke(
          PACKAGE_RULES,
          'conda.entries',
          `unexpected zip entry ${JSON.stringify(name)} (a .conda holds metadata.json, info-${stem}.tar.zst and ` +
            `pkg-${stem}.tar.zst)`,
        );
      }
      const tar = tarPart(budget, part, opts, read);
      const zstd = new ZstdFrameDecoder(
        (c) => tar.write(c),
        budget,
        part === 'info' ? 'the info archive' : 'the payload archive',
      );
      return {
        write(chunk) {
          size += chunk.length;
          hash?.update(chunk);
          zstd.write(chunk);
        },
        end() {
          done();
          zstd.end();
          tar.end();
          checkPart(tar.members, part);
          for (const [k, v] of tar.kept) read.kept.set(k, v);
        },
      };
    },
  });
  for (const required of [`info-${stem}.tar.zst`, `pkg-${stem}.tar.zst`]) {
    if (!seen.has(required)) throw broke(PACKAGE_RULES, 'conda.entries', `the .conda zip has no ${required}`);
  }
  read.notes.push(...zipNotes);
  return read;
}

/** metadata.json: empty is taken as absent (no client reads it), with a note; else it must say format 2. */
function checkMetadataJson(bytes: Buffer): string | null {
  if (bytes.length === 0) return 'metadata.json is empty; taken as absent (no client reads it)';
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw broke(PACKAGE_RULES, 'conda.metadata', 'metadata.json is not valid JSON');
  }
  if ((doc as { conda_pkg_format_version?: unknown } | null)?.conda_pkg_format_version !== 2) {
    throw broke(PACKAGE_RULES, 'conda.metadata', 'metadata.json does not say conda_pkg_format_version 2');
  }
  return null;
}

async function readTarBz2(src: ByteSource, budget: UnpackBudget, opts: VerifyOptions): Promise<Read> {
  const read: Read = { members: [], kept: new Map(), notes: [] };
  const tar = tarPart(budget, 'tar', opts, read);
  await new Bzip2Decoder((c) => tar.write(c), budget, 'the .tar.bz2').decode(src);
  tar.end();
  for (const [k, v] of tar.kept) read.kept.set(k, v);
  return read;
}

/** info/run_exports.json (CEP 12's run_exports of a package), which channels list in their shards. */
function parseRunExports(bytes: Buffer | undefined): Record<string, unknown> | 'invalid' | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * Verify an artifact's bytes. Never throws for bad content (that is a result); rethrows stream I/O errors,
 * which are transient. The whole input is always consumed, so failed checks still carry the digests.
 */
export async function verifyArtifact(
  source: Readable,
  expect: ArtifactExpectation,
  opts: VerifyOptions = {},
): Promise<ArtifactCheck> {
  const parsed = parseArtifactFilename(expect.filename);
  const src = new ByteSource(source);
  const budget = new UnpackBudget(opts.limits ?? DEFAULT_UNPACK_LIMITS, expect.size);
  let problem: ArtifactProblem | null = parsed
    ? null
    : broke(FILE_RULES, 'file.name', `${expect.filename} is not a conda artifact file name`);
  let read: Read | null = null;
  if (parsed) {
    try {
      read =
        parsed.format === 'conda'
          ? await readConda(src, artifactStem(expect.filename), budget, opts)
          : await readTarBz2(src, budget, opts);
    } catch (e) {
      if (e instanceof ArtifactProblem) problem = e;
      else if (e instanceof Truncated) problem = broke(FILE_RULES, 'file.truncated', e.message);
      else throw e;
    }
  }
  await src.drain();
  const digests = src.digests();
  if (problem === null && read !== null) {
    try {
      const notes = [...read.notes, ...checkPackage({ subdir: expect.subdir, members: read.members, kept: read.kept })];
      // checkPackage made sure there is exactly one info/index.json, a regular file, so it was kept.
      const parsedIndex = parseIndex(read.kept.get('info/index.json')!, expect);
      notes.push(...parsedIndex.notes);
      const paths = read.members.filter((m) => m.type !== 'directory').map((m) => m.path);
      const index = parsedIndex.index;
      const facts: ArtifactFacts = { ...digests, format: parsed!.format, index, paths, notes };
      const runExports = parseRunExports(read.kept.get('info/run_exports.json'));
      if (runExports === 'invalid')
        notes.push('info/run_exports.json is not a JSON object; shards list no run_exports');
      else if (runExports !== undefined) facts.runExports = runExports;
      if (opts.content === true) facts.content = packageContent(index, read.members, read.kept);
      return { ok: true, facts };
    } catch (e) {
      if (!(e instanceof ArtifactProblem)) throw e;
      problem = e;
    }
  }
  problem ??= broke(FILE_RULES, 'file.truncated', 'the package could not be read');
  // The detail carries the rule's fix: plans, the ledger and reports keep only the detail.
  return {
    ok: false,
    reason: problem.reason,
    detail: `${problem.message} — fix: ${problem.fix}`,
    digests,
    rule: problem.rule,
    fix: problem.fix,
  };
}
