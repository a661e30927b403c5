// The zstd layer of a .conda part, through libzstd (zstd-napi): the reference decoder, the one the zstd CLI and
// python-zstandard use. Exactly one standard frame is accepted: python-zstandard's stream reader (conda) stops
// after the first frame while libarchive (mamba), the zstd CLI and the Rust zstd crate (rattler) read on.
import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { ZSTD_WINDOW_LOG_MAX, type UnpackBudget } from './limits.js';
import { broke, type RuleTable } from './problem.js';

const require = createRequire(import.meta.url);
const binding = require('zstd-napi/binding.js') as typeof ZstdBinding;

export const ZSTD_RULES: RuleTable = {
  'zstd.frame': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Exactly one standard zstd frame (magic `28 b5 2f fd`), no skippable frames, no dictionary, ' +
      'nothing after it.',
    fix:
      'Write each .conda part as one zstd frame (conda-package-handling, rattler-build and the zstd CLI do); ' +
      'do not concatenate frames, add skippable frames or use a dictionary.',
  },
  'zstd.window': {
    reason: 'ARTIFACT_INVALID',
    text:
      `A window of at most 2^${ZSTD_WINDOW_LOG_MAX} bytes ` +
      '(128 MiB: what the zstd CLI and python-zstandard accept without --long).',
    fix:
      'Recompress without --long or a window over 128 MiB (conda-package-handling and rattler-build stay under it ' +
      'at every level they use).',
  },
  'zstd.data': {
    reason: 'ARTIFACT_INVALID',
    text: 'The frame decodes without error, its content checksum (when present) matches, and it is complete.',
    fix: 'The file is corrupt or truncated: re-download it from the build, or re-upload it.',
  },
};

const MAGIC = 0xfd2fb528;
const OUT_BYTES = 128 * 1024;
/** Longest frame header: magic 4 + descriptor 1 + window 1 + dictionary id 4 + content size 8. */
const MAX_FRAME_HEADER = 18;

/** Decode one zstd frame, handing every decoded slice to `sink` synchronously. */
export class ZstdFrameDecoder {
  #dctx = new binding.DCtx();
  #out = Buffer.alloc(OUT_BYTES);
  #head: Buffer | null = Buffer.alloc(0);
  #done = false;
  #sink: (chunk: Uint8Array) => void;
  #budget: UnpackBudget;
  #label: string;

  constructor(sink: (chunk: Uint8Array) => void, budget: UnpackBudget, label: string) {
    this.#sink = sink;
    this.#budget = budget;
    this.#label = label;
    this.#dctx.setParameter(binding.DParameter.windowLogMax, ZSTD_WINDOW_LOG_MAX);
  }

  #fail(rule: string, detail: string): never {
    throw broke(ZSTD_RULES, rule, `${this.#label}: ${detail}`);
  }

  write(chunk: Uint8Array): void {
    if (this.#head !== null) {
      // Hold the first bytes until the frame header can be read whole, so its fields are checked before decoding.
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#head.length < MAX_FRAME_HEADER) return;
      const head = this.#head;
      this.#head = null;
      this.#checkHeader(head);
      this.#decode(head);
      return;
    }
    this.#decode(chunk);
  }

  end(): void {
    if (this.#head !== null) {
      const head = this.#head;
      this.#head = null;
      if (head.length === 0) this.#fail('zstd.frame', 'empty; not a zstd frame');
      this.#checkHeader(head);
      this.#decode(head);
    }
    if (!this.#done) this.#fail('zstd.data', 'the zstd frame is truncated');
  }

  #checkHeader(h: Buffer): void {
    if (h.length < 6 || h.readUInt32LE(0) !== MAGIC) {
      const magic = h.length >= 4 ? h.readUInt32LE(0) : 0;
      const skippable = (magic & 0xfffffff0) === 0x184d2a50;
      this.#fail('zstd.frame', skippable ? 'a skippable frame where the data frame should be' : 'not a zstd frame');
    }
    const fhd = h[4]!;
    if ((fhd & 0x03) !== 0) this.#fail('zstd.frame', 'the frame needs a dictionary');
    if (fhd & 0x08) this.#fail('zstd.frame', 'the frame header sets its reserved bit');
    const singleSegment = (fhd & 0x20) !== 0;
    if (singleSegment) {
      const fcsBytes = [1, 2, 4, 8][fhd >> 6]!;
      let size = 0;
      for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + h[5 + i]!;
      if (fcsBytes === 2) size += 256;
      if (size > 2 ** ZSTD_WINDOW_LOG_MAX) this.#fail('zstd.window', `a single-segment frame of ${size} bytes`);
    } else {
      const wd = h[5]!;
      const base = 2 ** (10 + (wd >> 3));
      const window = base + (base / 8) * (wd & 7);
      if (window > 2 ** ZSTD_WINDOW_LOG_MAX) this.#fail('zstd.window', `a window of ${window} bytes`);
    }
  }

  #decode(input: Uint8Array): void {
    let src = input;
    for (;;) {
      if (this.#done) {
        if (src.length > 0) this.#fail('zstd.frame', 'data after the end of the zstd frame');
        return;
      }
      let result: [number, number, number];
      try {
        result = this.#dctx.decompressStream(this.#out, src);
      } catch (e) {
        this.#fail('zstd.data', `bad zstd data: ${(e as Error).message}`);
      }
      const [ret, produced, consumed] = result;
      src = src.subarray(consumed);
      if (produced > 0) {
        this.#budget.unpack(produced);
        this.#sink(this.#out.subarray(0, produced));
      }
      if (ret === 0) this.#done = true;
      else if (src.length === 0 && produced < this.#out.length) return;
    }
  }
}
