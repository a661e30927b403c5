// The bzip2 layer of a .tar.bz2, decoded in bounded memory: one block (at most 900,000 symbols, 3.6 MB of
// Uint32Array) at a time, output handed on in 64 KiB slices that the unpack budget checks before the next one.
// Every check libbz2 makes (what Python's bz2, bzip2 -d and libarchive use) is made here, plus the canonical
// subset: one stream, no randomised blocks, nothing after the stream.
import type { ByteSource } from './byte-source.js';
import type { UnpackBudget } from './limits.js';
import { broke, type RuleTable } from './problem.js';

export const BZIP2_RULES: RuleTable = {
  'bzip2.stream': {
    reason: 'ARTIFACT_INVALID',
    text:
      'Exactly one bzip2 stream (`BZh1`–`BZh9`) and nothing after it: concatenated streams (pbzip2, lbzip2) and ' +
      'trailing bytes are refused (rattler reads only the first stream, conda and libarchive read on).',
    fix:
      'pbzip2 and lbzip2 write several concatenated streams, which rattler and pixi read only the first of: ' +
      'compress with bzip2 (or let conda-build write the .tar.bz2), or build a .conda instead; bytes after the ' +
      'stream mean the upload was altered or concatenated.',
  },
  'bzip2.randomised': {
    reason: 'ARTIFACT_INVALID',
    text: 'No randomised blocks (deprecated since bzip2 0.9.5, 1999; forgegate does not decode them).',
    fix: 'Recompress the tar with a current bzip2 (any release since 0.9.5, 1999, writes no randomised blocks).',
  },
  'bzip2.data': {
    reason: 'ARTIFACT_INVALID',
    text: 'Every block is well formed as libbz2 checks it (tables, selectors, Huffman codes, sizes) and complete.',
    fix: 'The file is corrupt or truncated: re-download it from the build, or re-upload it.',
  },
  'bzip2.crc': {
    reason: 'ARTIFACT_INVALID',
    text: 'Every block CRC and the stream CRC match the decoded bytes.',
    fix: 'The file is corrupt: re-download it from the build, or re-upload it.',
  },
};

const OUT_BYTES = 64 * 1024;
const MAX_SELECTORS = 18002;
const MAX_CODE_LEN = 20;
const GROUP_SIZE = 50;
/** Enough input for any block header and its tables (selectors ≤ 18,002 × 6 bits, lengths ≤ 6 × 258 × 40 bits). */
const HEADER_LOOKAHEAD = 32 * 1024;
/** Enough input for one group of 50 symbols of at most 20 bits. */
const GROUP_LOOKAHEAD = 128;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

class Truncated extends Error {}

/** libbz2's canonical decoding tables: codes of each length end at limit[len]; perm lists symbols by code. */
interface HuffmanTable {
  limit: Int32Array;
  base: Int32Array;
  perm: Int32Array;
  minLen: number;
}

export class Bzip2Decoder {
  #sink: (chunk: Uint8Array) => void;
  #budget: UnpackBudget;
  #label: string;
  #src: ByteSource | null = null;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;
  #eof = false;
  #bitBuf = 0;
  #bitCount = 0;
  #out = new Uint8Array(OUT_BYTES);
  #outLen = 0;
  #tt = new Uint32Array(0);

  constructor(sink: (chunk: Uint8Array) => void, budget: UnpackBudget, label: string) {
    this.#sink = sink;
    this.#budget = budget;
    this.#label = label;
  }

  #fail(rule: string, detail: string): never {
    throw broke(BZIP2_RULES, rule, `${this.#label}: ${detail}`);
  }

  /** Decode the whole stream from `src`, which must end right after it. */
  async decode(src: ByteSource): Promise<void> {
    this.#src = src;
    try {
      await this.#stream();
    } catch (e) {
      if (e instanceof Truncated) this.#fail('bzip2.data', 'the bzip2 stream is truncated');
      throw e;
    }
  }

  async #ensure(bytes: number): Promise<void> {
    while (this.#buf.length - this.#pos < bytes && !this.#eof) {
      const next = await this.#src!.chunk();
      if (next === null) this.#eof = true;
      else this.#buf = Buffer.concat([this.#buf.subarray(this.#pos), next]);
      if (next !== null) this.#pos = 0;
    }
  }

  #bits(n: number): number {
    while (this.#bitCount < n) {
      if (this.#pos >= this.#buf.length) throw new Truncated();
      this.#bitBuf = ((this.#bitBuf << 8) | this.#buf[this.#pos++]!) >>> 0;
      this.#bitCount += 8;
    }
    this.#bitCount -= n;
    const v = (this.#bitBuf >>> this.#bitCount) & ((1 << n) - 1);
    this.#bitBuf &= (1 << this.#bitCount) - 1;
    return v;
  }

  #bits32(): number {
    return ((this.#bits(16) << 16) | this.#bits(16)) >>> 0;
  }

  async #stream(): Promise<void> {
    await this.#ensure(4);
    const magic = this.#buf.subarray(this.#pos, this.#pos + 4).toString('latin1');
    if (!/^BZh[1-9]$/.test(magic)) this.#fail('bzip2.stream', 'not a bzip2 stream');
    this.#pos += 4;
    const blockMax = 100_000 * Number(magic[3]);
    this.#tt = new Uint32Array(blockMax);
    let combined = 0;
    for (;;) {
      await this.#ensure(HEADER_LOOKAHEAD);
      const hi = this.#bits(24);
      const lo = this.#bits(24);
      if (hi === 0x177245 && lo === 0x385090) {
        const stored = this.#bits32();
        if (stored !== combined) this.#fail('bzip2.crc', 'the stream CRC does not match its blocks');
        break;
      }
      if (hi !== 0x314159 || lo !== 0x265359) this.#fail('bzip2.data', 'a block does not start with the block magic');
      const blockCrc = await this.#block(blockMax);
      combined = (((combined << 1) | (combined >>> 31)) ^ blockCrc) >>> 0;
    }
    this.#flush();
    // The stream ends at a byte boundary: whatever follows must be nothing at all.
    this.#bitCount = 0;
    await this.#ensure(1);
    if (this.#pos < this.#buf.length) {
      const rest = this.#buf.subarray(this.#pos, this.#pos + 3).toString('latin1');
      this.#fail(
        'bzip2.stream',
        rest === 'BZh' ? 'a second, concatenated bzip2 stream' : 'data after the bzip2 stream',
      );
    }
  }

  /** One block: tables, symbols, inverse BWT and run-length decoding. Returns the CRC of its bytes. */
  async #block(blockMax: number): Promise<number> {
    const storedCrc = this.#bits32();
    if (this.#bits(1)) this.#fail('bzip2.randomised', 'a randomised block');
    const origPtr = this.#bits(24);

    const inUse16 = this.#bits(16);
    const seqToUnseq: number[] = [];
    for (let i = 0; i < 16; i++) {
      if (!(inUse16 & (0x8000 >> i))) continue;
      const bits = this.#bits(16);
      for (let j = 0; j < 16; j++) if (bits & (0x8000 >> j)) seqToUnseq.push(i * 16 + j);
    }
    if (seqToUnseq.length === 0) this.#fail('bzip2.data', 'a block uses no byte values');
    const alphaSize = seqToUnseq.length + 2;

    const nGroups = this.#bits(3);
    if (nGroups < 2 || nGroups > 6) this.#fail('bzip2.data', `${nGroups} Huffman tables`);
    const nSelectors = this.#bits(15);
    if (nSelectors < 1 || nSelectors > MAX_SELECTORS) this.#fail('bzip2.data', `${nSelectors} selectors`);
    const mtfGroups = Array.from({ length: nGroups }, (_, i) => i);
    const selectors = new Uint8Array(nSelectors);
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (this.#bits(1)) if (++j >= nGroups) this.#fail('bzip2.data', 'a selector names no table');
      const v = mtfGroups[j]!;
      mtfGroups.splice(j, 1);
      mtfGroups.unshift(v);
      selectors[i] = v;
    }

    const tables: HuffmanTable[] = [];
    for (let t = 0; t < nGroups; t++) {
      const lengths = new Uint8Array(alphaSize);
      let curr = this.#bits(5);
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (curr < 1 || curr > MAX_CODE_LEN) this.#fail('bzip2.data', `a Huffman code length of ${curr}`);
          if (!this.#bits(1)) break;
          curr += this.#bits(1) ? -1 : 1;
        }
        lengths[i] = curr;
      }
      tables.push(this.#decodeTable(lengths));
    }

    // Symbols → MTF → bytes, run lengths of RUNA/RUNB expanded.
    const tt = this.#tt;
    const mtf = Uint8Array.from(seqToUnseq, (_, i) => i); // typed: copyWithin is a memmove, not a loop
    const eob = seqToUnseq.length + 1;
    const counts = new Uint32Array(256);
    let nblock = 0;
    let group = -1;
    let groupLeft = 0;
    let table = tables[0]!;
    // Input is topped up once per group of 50 symbols, and only when it runs low: symbols decode synchronously.
    const lowInput = (): boolean => groupLeft === 0 && this.#buf.length - this.#pos < GROUP_LOOKAHEAD;
    const next = (): number => {
      if (groupLeft === 0) {
        if (++group >= nSelectors) this.#fail('bzip2.data', 'the block runs past its last selector');
        table = tables[selectors[group]!]!;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      return this.#symbol(table);
    };
    if (lowInput()) await this.#ensure(GROUP_LOOKAHEAD);
    let sym = next();
    while (sym !== eob) {
      if (sym <= 1) {
        let run = 0;
        let weight = 1;
        do {
          if (weight >= 2 * 1024 * 1024) this.#fail('bzip2.data', 'a run that is too long');
          run += (sym + 1) * weight;
          weight *= 2;
          if (lowInput()) await this.#ensure(GROUP_LOOKAHEAD);
          sym = next();
        } while (sym <= 1);
        const byte = seqToUnseq[mtf[0]!]!;
        if (nblock + run > blockMax) this.#fail('bzip2.data', 'a block larger than its declared size');
        counts[byte]! += run;
        tt.fill(byte, nblock, nblock + run);
        nblock += run;
        continue;
      }
      if (nblock >= blockMax) this.#fail('bzip2.data', 'a block larger than its declared size');
      const at = sym - 1;
      const v = mtf[at]!;
      mtf.copyWithin(1, 0, at);
      mtf[0] = v;
      const byte = seqToUnseq[v]!;
      counts[byte]!++;
      tt[nblock++] = byte;
      if (lowInput()) await this.#ensure(GROUP_LOOKAHEAD);
      sym = next();
    }
    if (origPtr >= nblock) this.#fail('bzip2.data', 'the block origin pointer is outside the block');

    // Inverse Burrows–Wheeler: tt[i] keeps its byte in the low 8 bits and the next index above them.
    const cftab = new Uint32Array(256);
    for (let i = 0, sum = 0; i < 256; i++) {
      cftab[i] = sum;
      sum += counts[i]!;
    }
    for (let i = 0; i < nblock; i++) {
      const b = tt[i]! & 0xff;
      tt[cftab[b]!]! |= i << 8;
      cftab[b]!++;
    }
    return this.#unRle(tt, nblock, origPtr, storedCrc);
  }

  #decodeTable(lengths: Uint8Array): HuffmanTable {
    let minLen = 32;
    let maxLen = 0;
    let kraft = 0;
    for (const l of lengths) {
      minLen = Math.min(minLen, l);
      maxLen = Math.max(maxLen, l);
      kraft += 2 ** (MAX_CODE_LEN - l);
    }
    // An over-subscribed code assigns one bit pattern twice: no encoder writes one.
    if (kraft > 2 ** MAX_CODE_LEN) this.#fail('bzip2.data', 'an over-subscribed Huffman table');
    const perm = new Int32Array(lengths.length);
    let pp = 0;
    for (let len = minLen; len <= maxLen; len++)
      for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) perm[pp++] = s;
    const base = new Int32Array(MAX_CODE_LEN + 2);
    for (const l of lengths) base[l + 1]!++;
    for (let i = 1; i < base.length; i++) base[i]! += base[i - 1]!;
    const limit = new Int32Array(MAX_CODE_LEN + 1).fill(-1);
    let vec = 0;
    for (let i = minLen; i <= maxLen; i++) {
      vec += base[i + 1]! - base[i]!;
      limit[i] = vec - 1;
      vec <<= 1;
    }
    for (let i = minLen + 1; i <= maxLen; i++) base[i] = ((limit[i - 1]! + 1) << 1) - base[i]!;
    return { limit, base, perm: perm.subarray(0, pp), minLen };
  }

  #symbol(t: HuffmanTable): number {
    let len = t.minLen;
    let code = this.#bits(len);
    while (len > MAX_CODE_LEN || code > t.limit[len]!) {
      if (++len > MAX_CODE_LEN) this.#fail('bzip2.data', 'an invalid Huffman code');
      code = (code << 1) | this.#bits(1);
    }
    const index = code - t.base[len]!;
    if (index < 0 || index >= t.perm.length) this.#fail('bzip2.data', 'an invalid Huffman code');
    return t.perm[index]!;
  }

  /** Walk the BWT chain, undo the initial run-length coding (4 equal bytes + a count), emit, CRC. */
  #unRle(tt: Uint32Array, nblock: number, origPtr: number, storedCrc: number): number {
    let crc = 0xffffffff;
    let tPos = tt[origPtr]! >>> 8;
    let last = -1;
    let same = 0;
    const out = this.#out;
    for (let k = 0; k < nblock; k++) {
      const cell = tt[tPos]!;
      const byte = cell & 0xff;
      tPos = cell >>> 8;
      if (same === 4) {
        // The byte after four equal bytes is a count: that many more of the same byte.
        same = 0;
        for (let c = 0; c < byte; c++) {
          crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff]!) >>> 0;
          out[this.#outLen++] = last;
          if (this.#outLen === OUT_BYTES) this.#flush();
        }
        continue;
      }
      if (byte === last) same++;
      else {
        last = byte;
        same = 1;
      }
      crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
      out[this.#outLen++] = byte;
      if (this.#outLen === OUT_BYTES) this.#flush();
    }
    crc = (crc ^ 0xffffffff) >>> 0;
    if (crc !== storedCrc) this.#fail('bzip2.crc', 'a block CRC does not match its bytes');
    return crc;
  }

  #flush(): void {
    if (this.#outLen === 0) return;
    this.#budget.unpack(this.#outLen);
    this.#sink(this.#out.subarray(0, this.#outLen));
    this.#outLen = 0;
  }
}
