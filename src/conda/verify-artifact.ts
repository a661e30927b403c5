// Full verification of an artifact's bytes in ONE streaming pass: digests, container, archives, paths, index.json.
import type { Readable } from 'node:stream';
import type { ArtifactCheck, ArtifactFacts, IndexJson } from '../model.js';
import { ByteSource, Truncated } from './byte-source.js';
import { bzip2Decoder, DECODE_SLICE, zstdDecoder, type Decoder } from './decoders.js';
import { artifactStem, parseArtifactFilename } from './filename.js';
import { ArtifactProblem, invalid } from './problem.js';
import { TarInspector } from './tar-inspector.js';
import { readZipStream } from './zip-stream.js';

export interface ArtifactExpectation {
  filename: string;
  subdir: string;
}

async function feed(decoder: Decoder, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length; at += DECODE_SLICE) await decoder.write(chunk.subarray(at, at + DECODE_SLICE));
}

async function readConda(src: ByteSource, stem: string): Promise<TarInspector[]> {
  const tars: TarInspector[] = [];
  const seen = new Set<string>();
  await readZipStream(src, {
    open(name) {
      seen.add(name);
      if (name === 'metadata.json') return { write: () => undefined, end: () => undefined };
      const role = name === `info-${stem}.tar.zst` ? 'info' : name === `pkg-${stem}.tar.zst` ? 'pkg' : null;
      if (role === null)
        throw invalid(
          `unexpected zip entry ${JSON.stringify(name)} (a .conda holds metadata.json, info-${stem}.tar.zst and ` +
            `pkg-${stem}.tar.zst)`,
        );
      const tar = new TarInspector(role);
      tars.push(tar);
      const decoder = zstdDecoder(tar);
      return { write: (c) => feed(decoder, c), end: () => decoder.end() };
    },
  });
  for (const required of ['metadata.json', `info-${stem}.tar.zst`, `pkg-${stem}.tar.zst`]) {
    if (!seen.has(required)) throw invalid(`the .conda zip has no ${required}`);
  }
  return tars;
}

async function readTarBz2(src: ByteSource): Promise<TarInspector[]> {
  const tar = new TarInspector('both');
  const decoder = bzip2Decoder(tar);
  await src.drain((c) => feed(decoder, c));
  await decoder.end();
  return [tar];
}

function parseIndex(bytes: Buffer | null, expect: ArtifactExpectation): IndexJson {
  if (bytes === null) throw invalid('the package has no info/index.json');
  let index: unknown;
  try {
    index = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('info/index.json is not valid JSON');
  }
  if (typeof index !== 'object' || index === null || Array.isArray(index))
    throw invalid('info/index.json is not a JSON object');
  const i = index as Record<string, unknown>;
  for (const f of ['name', 'version', 'build', 'subdir'])
    if (typeof i[f] !== 'string') throw invalid(`info/index.json has no string "${f}"`);
  if (!Number.isSafeInteger(i['build_number'])) throw invalid('info/index.json has no integer "build_number"');
  const parsed = parseArtifactFilename(expect.filename)!;
  for (const f of ['name', 'version', 'build'] as const) {
    if (i[f] !== parsed[f])
      throw invalid(
        `info/index.json says ${f} ${JSON.stringify(i[f])}, the file name says ${JSON.stringify(parsed[f])}`,
      );
  }
  if (i['subdir'] !== expect.subdir)
    throw invalid(
      `info/index.json says subdir ${JSON.stringify(i['subdir'])}, expected ${JSON.stringify(expect.subdir)}`,
    );
  return i as IndexJson;
}

/**
 * Verify an artifact's bytes. Never throws for bad content (that is a result); rethrows stream I/O errors,
 * which are transient. The whole input is always consumed, so failed checks still carry the digests.
 */
export async function verifyArtifact(source: Readable, expect: ArtifactExpectation): Promise<ArtifactCheck> {
  const parsed = parseArtifactFilename(expect.filename);
  const src = new ByteSource(source);
  let problem: ArtifactProblem | null = parsed ? null : invalid(`${expect.filename} is not a conda artifact file name`);
  let tars: TarInspector[] = [];
  if (parsed) {
    try {
      tars = parsed.format === 'conda' ? await readConda(src, artifactStem(expect.filename)) : await readTarBz2(src);
    } catch (e) {
      if (e instanceof ArtifactProblem) problem = e;
      else if (e instanceof Truncated) problem = invalid(e.message);
      else throw e;
    }
  }
  problem ??= tars.map((t) => t.problem).find((p) => p !== null) ?? null;
  await src.drain();
  const digests = src.digests();
  if (problem === null) {
    try {
      const index = parseIndex(tars.map((t) => t.indexJson).find((b) => b !== null) ?? null, expect);
      const facts: ArtifactFacts = { ...digests, format: parsed!.format, index, paths: tars.flatMap((t) => t.paths) };
      return { ok: true, facts };
    } catch (e) {
      if (!(e instanceof ArtifactProblem)) throw e;
      problem = e;
    }
  }
  return { ok: false, reason: problem.reason, detail: problem.message, digests };
}
