// Resource bounds for reading one artifact. A bomb or a poison package is one item's ARTIFACT_INVALID: each bound
// below is checked while reading, before the memory or time it guards is spent.
import { broke, type RuleTable } from './problem.js';

/** The bounds as rules: what one package may unpack to. Each is a limit, not a format question. */
export const LIMIT_RULES: RuleTable = {
  'limit.unpacked': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Everything the package unpacks to stays within `policy.maxUnpackedSize` (32 GiB) and, above a 64 MiB ' +
      'floor, `policy.maxUnpackRatio` (1000) times the file size.',
    fix:
      'If the package really is this large (or compresses this well), ask the gate admin to raise ' +
      'policy.maxUnpackedSize or policy.maxUnpackRatio; otherwise rebuild it without the padding or generated data.',
  },
  'limit.members': {
    reason: 'ARTIFACT_INVALID',
    text: 'At most 500,000 members in one package (both archives of a .conda together).',
    fix: "Split the output into several packages: conda-forge's largest packages hold about 150,000 files.",
  },
  'limit.paths': {
    reason: 'ARTIFACT_INVALID',
    text: 'At most 64 MiB of member paths and link targets in one package.',
    fix: 'Split the output into several packages, or shorten its paths.',
  },
};

/** Longest path Linux accepts (PATH_MAX), in UTF-8 bytes: for member paths and link targets. */
export const MAX_PATH_BYTES = 4096;
/** Longest file name component (NAME_MAX), in UTF-8 bytes. */
export const MAX_COMPONENT_BYTES = 255;
/** Members in one package, both archives of a .conda together. conda-forge's largest hold ~150,000. */
export const MAX_MEMBERS = 500_000;
/** Bytes of all member paths and link targets kept for the package-wide checks (duplicates, links, case). */
export const MAX_PATH_TOTAL_BYTES = 64 * 1024 * 1024;
/** One pax extended header: a path and a link target of PATH_MAX each, with room for harmless keys. */
export const MAX_PAX_HEADER_BYTES = 64 * 1024;
/** zstd window: 2^27 (128 MiB) is the largest the zstd CLI and python-zstandard accept without --long. */
export const ZSTD_WINDOW_LOG_MAX = 27;
/** Below this many unpacked bytes the ratio cap does not apply: small packages of zeros are fine. */
export const RATIO_FLOOR_BYTES = 64 * 1024 * 1024;

/** Metadata files read whole (they are parsed), each with its own cap. */
export const KEPT_FILE_LIMITS: Readonly<Record<string, number>> = {
  'info/index.json': 1024 * 1024,
  'info/run_exports.json': 1024 * 1024,
  'info/paths.json': 32 * 1024 * 1024,
  'info/files': 16 * 1024 * 1024,
  'info/has_prefix': 8 * 1024 * 1024,
  'info/no_link': 8 * 1024 * 1024,
};

export interface UnpackLimits {
  /** Total bytes all compressed layers may unpack to (policy.maxUnpackedSize). */
  maxUnpackedBytes: number;
  /** Unpacked bytes per compressed byte of the whole file, above RATIO_FLOOR_BYTES (policy.maxUnpackRatio). */
  maxUnpackRatio: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = { maxUnpackedBytes: 32 * 1024 ** 3, maxUnpackRatio: 1000 };

const GIB = 1024 ** 3;
const show = (bytes: number): string =>
  bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / (1024 * 1024))} MiB`;

/** Counts what one artifact unpacks to, against the limits; throws ARTIFACT_INVALID the moment one is passed. */
export class UnpackBudget {
  #allowed: number;
  #why: string;
  unpacked = 0;
  members = 0;
  pathBytes = 0;

  constructor(limits: UnpackLimits, inputSize: number) {
    const byRatio = Math.max(RATIO_FLOOR_BYTES, limits.maxUnpackRatio * inputSize);
    this.#allowed = Math.min(limits.maxUnpackedBytes, byRatio);
    this.#why =
      byRatio < limits.maxUnpackedBytes
        ? `more than ${limits.maxUnpackRatio}× its ${inputSize}-byte size (policy.maxUnpackRatio)`
        : `more than ${show(limits.maxUnpackedBytes)} (policy.maxUnpackedSize)`;
  }

  /** Decompressed bytes from any layer. */
  unpack(bytes: number): void {
    this.unpacked += bytes;
    if (this.unpacked > this.#allowed)
      throw broke(LIMIT_RULES, 'limit.unpacked', `the package unpacks to ${this.#why}; refused as a bomb`);
  }

  member(): void {
    if (++this.members > MAX_MEMBERS)
      throw broke(LIMIT_RULES, 'limit.members', `the package holds more than ${MAX_MEMBERS} members`);
  }

  /** Bytes of a path or link target kept until the package-wide checks. */
  keepPath(bytes: number): void {
    this.pathBytes += bytes;
    if (this.pathBytes > MAX_PATH_TOTAL_BYTES) {
      throw broke(
        LIMIT_RULES,
        'limit.paths',
        `the package's paths and link targets take more than ${show(MAX_PATH_TOTAL_BYTES)}`,
      );
    }
  }
}
