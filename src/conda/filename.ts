// Conda artifact file names: `<name>-<version>-<build>.conda` or `.tar.bz2`, and subdir names.
export type ArtifactFormat = 'conda' | 'tar.bz2';

export interface ParsedFilename {
  name: string;
  version: string;
  build: string;
  format: ArtifactFormat;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
const VERSION = /^[A-Za-z0-9_.+!]+$/;
const BUILD = /^[A-Za-z0-9_.+]+$/;
/** A subdir name, at most 64 characters (`isSubdir`). */
export const SUBDIR = /^[a-z][a-z0-9]*(?:-[a-z0-9_]+)*$/;

/** Parse an artifact file name; null when it is not one (folders, odd characters, missing parts). */
export function parseArtifactFilename(filename: string): ParsedFilename | null {
  let format: ArtifactFormat;
  let stem: string;
  if (filename.endsWith('.conda')) {
    format = 'conda';
    stem = filename.slice(0, -'.conda'.length);
  } else if (filename.endsWith('.tar.bz2')) {
    format = 'tar.bz2';
    stem = filename.slice(0, -'.tar.bz2'.length);
  } else {
    return null;
  }
  const buildAt = stem.lastIndexOf('-');
  if (buildAt <= 0) return null;
  const versionAt = stem.lastIndexOf('-', buildAt - 1);
  if (versionAt <= 0) return null;
  const name = stem.slice(0, versionAt);
  const version = stem.slice(versionAt + 1, buildAt);
  const build = stem.slice(buildAt + 1);
  if (!NAME.test(name) || !VERSION.test(version) || !BUILD.test(build)) return null;
  return { name, version, build, format };
}

export function isArtifactFilename(filename: string): boolean {
  return parseArtifactFilename(filename) !== null;
}

export function isSubdir(value: string): boolean {
  return SUBDIR.test(value) && value.length <= 64;
}

/** The other format's file name for the same name-version-build: one package in a channel (`.conda` ↔ `.tar.bz2`). */
export function artifactTwin(filename: string): string {
  return filename.endsWith('.conda') ? `${artifactStem(filename)}.tar.bz2` : `${artifactStem(filename)}.conda`;
}

/** The stem conda uses inside a .conda zip (`info-<stem>.tar.zst`). */
export function artifactStem(filename: string): string {
  return filename.endsWith('.conda') ? filename.slice(0, -'.conda'.length) : filename.slice(0, -'.tar.bz2'.length);
}
