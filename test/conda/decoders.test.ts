// The zstd and bzip2 layers: one test per rule (ZSTD_RULES, BZIP2_RULES), and exact output on real encoders' data.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { ByteSource } from '../../src/conda/byte-source.js';
import { BZIP2_RULES, Bzip2Decoder } from '../../src/conda/bzip2-decoder.js';
import { DEFAULT_UNPACK_LIMITS, UnpackBudget } from '../../src/conda/limits.js';
import { ArtifactProblem } from '../../src/conda/problem.js';
import { ZSTD_RULES, ZstdFrameDecoder } from '../../src/conda/zstd-decoder.js';
import { compressBzip2 } from '../helpers/packages.js';

const budget = (): UnpackBudget => new UnpackBudget(DEFAULT_UNPACK_LIMITS, 1 << 30);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function unzstd(input: Buffer, chunk = 4096): Buffer {
  const out: Buffer[] = [];
  const d = new ZstdFrameDecoder((c) => void out.push(Buffer.from(c)), budget(), 'test');
  for (let at = 0; at < input.length; at += chunk) d.write(input.subarray(at, at + chunk));
  d.end();
  return Buffer.concat(out);
}

async function bunzip(input: Buffer, chunk = 4096): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces = [];
  for (let at = 0; at < input.length; at += chunk) pieces.push(input.subarray(at, at + chunk));
  await new Bzip2Decoder((c) => void out.push(Buffer.from(c)), budget(), 'test').decode(
    new ByteSource(Readable.from(pieces)),
  );
  return Buffer.concat(out);
}

async function rule(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (e) {
    if (e instanceof ArtifactProblem) return e.rule;
    throw e;
  }
  throw new Error('accepted');
}

/** bzip2 through Python's bz2 module (libbz2), the encoder conda-build's .tar.bz2 files come from. */
function pyBzip2(data: Buffer, level = 9): Buffer {
  return execFileSync(
    'python3',
    ['-c', `import bz2,sys; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read(), ${level}))`],
    {
      input: data,
      maxBuffer: 1 << 28,
    },
  );
}

const text = Buffer.from('conda package payload\n'.repeat(5000));
const zstdFrame = (data: Buffer, checksum = true): Buffer =>
  compress(data, { compressionLevel: 3, checksumFlag: checksum });

describe('zstd layer', () => {
  it('decodes exactly, in any chunking, with and without a checksum', () => {
    const data = Buffer.concat([randomBytes(300_000), text]);
    expect(sha(unzstd(zstdFrame(data), 1))).toBe(sha(data));
    expect(sha(unzstd(zstdFrame(data, false), 65536))).toBe(sha(data));
  });

  const frame = zstdFrame(text);
  const CASES: Record<string, [string, () => Buffer][]> = {
    'zstd.frame': [
      ['bytes that are not zstd', () => Buffer.from('definitely not a zstd frame')],
      [
        'a skippable frame first',
        () => Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]), frame]),
      ],
      ['a second frame', () => Buffer.concat([frame, zstdFrame(Buffer.from('hidden member'))])],
      ['trailing bytes after the frame', () => Buffer.concat([frame, Buffer.from([0])])],
      [
        'a frame that needs a dictionary',
        () => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x58, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ],
      ['an empty input', () => Buffer.alloc(0)],
    ],
    'zstd.window': [
      ['a 256 MiB window', () => Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x90, ...Array(16).fill(0)])],
      [
        'a single segment of 200 MiB',
        () => {
          const h = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0, ...Array(12).fill(0)]);
          h.writeUInt32LE(200 * 1024 * 1024, 5);
          return h;
        },
      ],
    ],
    'zstd.data': [
      ['a truncated frame', () => frame.subarray(0, frame.length - 5)],
      [
        'a wrong content checksum',
        () => {
          const b = Buffer.from(frame);
          b[b.length - 1]! ^= 0xff;
          return b;
        },
      ],
      [
        'corrupt block data',
        () => {
          const b = Buffer.from(frame);
          b.fill(0xff, 20, 40);
          return b;
        },
      ],
    ],
  };
  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(ZSTD_RULES).sort());
  });
  for (const [id, cases] of Object.entries(CASES)) {
    for (const [name, make] of cases) {
      it(`${id}: refuses ${name}`, async () => {
        expect(await rule(() => unzstd(make()))).toBe(id);
      });
    }
  }
});

describe('bzip2 layer', () => {
  it('decodes what libbz2 (Python) and compressjs encode, exactly, across blocks, runs and chunkings', async () => {
    const runs = Buffer.concat([1, 3, 4, 5, 250, 255, 258, 259, 260, 4000].map((n, i) => Buffer.alloc(n, 0x41 + i)));
    const data = Buffer.concat([text, randomBytes(250_000), runs, text]);
    for (const [name, packed] of [
      ['python level 1 (100k blocks)', pyBzip2(data, 1)],
      ['python level 9', pyBzip2(data, 9)],
      ['compressjs', compressBzip2(data)],
    ] as const) {
      expect(sha(await bunzip(packed, name === 'compressjs' ? 1000 : 65536)), name).toBe(sha(data));
    }
  });

  it('decodes a single byte and a stream of one repeated byte', async () => {
    expect((await bunzip(pyBzip2(Buffer.from('x')))).toString()).toBe('x');
    expect(sha(await bunzip(pyBzip2(Buffer.alloc(1_000_000, 7))))).toBe(sha(Buffer.alloc(1_000_000, 7)));
  });

  const stream = pyBzip2(text);
  const flipBit = (b: Buffer, bit: number): Buffer => {
    const c = Buffer.from(b);
    c[bit >> 3]! ^= 0x80 >> (bit & 7);
    return c;
  };
  const CASES: Record<string, [string, () => Buffer][]> = {
    'bzip2.stream': [
      ['bytes that are not bzip2', () => Buffer.from('not bzip2')],
      ['block size 0', () => Buffer.concat([Buffer.from('BZh0'), stream.subarray(4)])],
      ['a second, concatenated stream', () => Buffer.concat([stream, pyBzip2(Buffer.from('hidden'))])],
      ['trailing bytes', () => Buffer.concat([stream, Buffer.from('junk')])],
    ],
    // Header: 4 bytes, then 48-bit block magic and 32-bit block CRC: the randomised bit is bit 112.
    'bzip2.randomised': [['a randomised block', () => flipBit(stream, 112)]],
    'bzip2.data': [
      ['a truncated stream', () => stream.subarray(0, stream.length - 20)],
      ['a broken block magic', () => flipBit(stream, 40)],
      [
        'an origin pointer outside the block',
        () => {
          const c = Buffer.from(stream);
          c[14]! |= 0x7f;
          c[15] = 0xff;
          c[16] = 0xff;
          return c;
        },
      ],
    ],
    'bzip2.crc': [['a wrong block CRC', () => flipBit(stream, 4 * 8 + 48 + 3)]],
  };
  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(BZIP2_RULES).sort());
  });
  for (const [id, cases] of Object.entries(CASES)) {
    for (const [name, make] of cases) {
      it(`${id}: refuses ${name}`, async () => {
        expect(await rule(() => bunzip(make()))).toBe(id);
      });
    }
  }
});
