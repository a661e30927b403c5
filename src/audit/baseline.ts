// The baseline: what the channel held before the gate took over, one JSON Lines file per subdir (`<subdir>.jsonl`),
// sorted by file name then labels, so that a committed baseline diffs line by line.
//
// | rule | accepted | refused (FG_INPUT_INVALID naming file and line) |
// |---|---|---|
// | baseline.line | one JSON object per line, at most 64 KiB | other text, longer lines |
// | baseline.fields | file, subdir (its file's), labels (1+), sha256, md5, size, uploadedAt | others, bad types |
// | baseline.sorted | lines in file-name order (by code point), a file's lines together | a line out of order |
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isArtifactFilename, isSubdir } from '../conda/filename.js';
import { compareNames } from './compare.js';
import { ForgegateError } from '../errors.js';

export interface BaselineLine {
  file: string;
  subdir: string;
  labels: string[];
  sha256: string | null;
  md5: string | null;
  size: number | null;
  uploadedAt: string | null;
}

const MAX_LINE = 64 * 1024;

/** One line's text, keys in a fixed order. */
export function baselineText(l: BaselineLine): string {
  return JSON.stringify({
    file: l.file,
    subdir: l.subdir,
    labels: l.labels,
    sha256: l.sha256,
    md5: l.md5,
    size: l.size,
    uploadedAt: l.uploadedAt,
  });
}

export const baselineFile = (dir: string, subdir: string): string => join(dir, `${subdir}.jsonl`);

function invalid(path: string, line: number, what: string): ForgegateError {
  return new ForgegateError('FG_INPUT_INVALID', `baseline ${path} line ${line}: ${what}`, {
    fix: 'Take the baseline again with `forgegate audit baseline --out DIR`, or restore it from git.',
  });
}

function check(v: unknown, subdir: string, path: string, n: number): BaselineLine {
  const o = v as Record<string, unknown> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    !Array.isArray(o) &&
    typeof o['file'] === 'string' &&
    isArtifactFilename(o['file']) &&
    o['subdir'] === subdir &&
    Array.isArray(o['labels']) &&
    o['labels'].length > 0 &&
    o['labels'].every((x) => typeof x === 'string') &&
    (o['sha256'] === null || typeof o['sha256'] === 'string') &&
    (o['md5'] === null || typeof o['md5'] === 'string') &&
    (o['size'] === null || (typeof o['size'] === 'number' && Number.isSafeInteger(o['size']))) &&
    (o['uploadedAt'] === null || typeof o['uploadedAt'] === 'string');
  if (!ok) throw invalid(path, n, `not a baseline line of subdir ${subdir} (baseline.fields)`);
  return o as unknown as BaselineLine;
}

/**
 * The lines of one subdir's baseline file (none when the baseline has no file for it), streamed; the audit merges
 * them with the channel by file name, so a line out of order is refused rather than read past.
 */
export async function* readBaseline(dir: string, subdir: string): AsyncGenerator<BaselineLine> {
  if (!isSubdir(subdir)) return;
  const path = baselineFile(dir, subdir);
  if (!existsSync(path)) return;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  let last: string | null = null;
  try {
    for await (const text of lines) {
      n++;
      if (text.length > MAX_LINE) throw invalid(path, n, `longer than ${MAX_LINE} characters (baseline.line)`);
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw invalid(path, n, 'not JSON (baseline.line)');
      }
      const line = check(value, subdir, path, n);
      if (last !== null && compareNames(last, line.file) > 0)
        throw invalid(path, n, `${line.file} comes after ${last}: not sorted by file name (baseline.sorted)`);
      last = line.file;
      yield line;
    }
  } finally {
    lines.close();
  }
}

/** The subdirs a baseline folder has files for. */
export async function baselineSubdirs(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((e: unknown) => {
    throw new ForgegateError('FG_INPUT_MISSING', `cannot read the baseline folder ${dir}: ${(e as Error).message}`, {
      fix: 'Name the folder `forgegate audit baseline --out DIR` wrote.',
    });
  });
  return names
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .filter(isSubdir);
}
