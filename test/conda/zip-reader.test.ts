// One test per rule of the zip reader's accepted subset (ZIP_RULES), and the zip64 shapes real writers emit.
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ByteSource } from '../../src/conda/byte-source.js';
import { ArtifactProblem } from '../../src/conda/problem.js';
import { readZipStream, ZIP_RULES } from '../../src/conda/zip-reader.js';
import {
  centralHeader,
  endOfCentralDirectory,
  localHeader,
  zipStored,
  type Zip64Style,
} from '../../src/conda/zip-write.js';

async function entries(bytes: Buffer, notes: string[] = []): Promise<{ name: string; data: string }[]> {
  const out: { name: string; data: string }[] = [];
  notes.push(
    ...(await readZipStream(new ByteSource(Readable.from([bytes])), {
      open(name) {
        const parts: Buffer[] = [];
        return {
          write: (c) => void parts.push(Buffer.from(c)),
          end: () => void out.push({ name, data: Buffer.concat(parts).toString() }),
        };
      },
    })),
  );
  return out;
}

async function refusal(bytes: Buffer): Promise<string> {
  try {
    await entries(bytes);
  } catch (e) {
    if (e instanceof ArtifactProblem) return e.rule;
    throw e;
  }
  throw new Error('the reader accepted the zip');
}

const ENTRIES = [
  { name: 'a.txt', data: Buffer.from('alpha') },
  { name: 'b.txt', data: Buffer.from('bravo!') },
];

/** A zip built part by part, so one field can be changed; offsets are found from the parts. */
function build(opts: {
  style?: Zip64Style;
  local?: (h: Buffer, i: number) => Buffer;
  central?: (h: Buffer, i: number) => Buffer;
  end?: (e: Buffer) => Buffer;
  data?: (d: Buffer, i: number) => Buffer;
  between?: Buffer;
}): Buffer {
  const style = opts.style ?? 'none';
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  ENTRIES.forEach((e, i) => {
    const crc = crc32(e.data);
    const local = (opts.local ?? ((h) => h))(localHeader(e.name, e.data.length, crc, style), i);
    central.push((opts.central ?? ((h) => h))(centralHeader(e.name, e.data.length, crc, offset, style), i));
    const data = (opts.data ?? ((d) => d))(Buffer.from(e.data), i);
    parts.push(local, data);
    offset += local.length + data.length;
  });
  if (opts.between) {
    parts.push(opts.between);
    offset += opts.between.length;
  }
  const cd = Buffer.concat(central);
  const end = (opts.end ?? ((x) => x))(endOfCentralDirectory(ENTRIES.length, cd.length, offset, style));
  return Buffer.concat([...parts, cd, end]);
}
const set16 =
  (at: number, v: number) =>
  (h: Buffer): Buffer => {
    const c = Buffer.from(h);
    c.writeUInt16LE(v, at);
    return c;
  };
const set32 =
  (at: number, v: number) =>
  (h: Buffer): Buffer => {
    const c = Buffer.from(h);
    c.writeUInt32LE(v >>> 0, at);
    return c;
  };
const first =
  (f: (h: Buffer) => Buffer) =>
  (h: Buffer, i: number): Buffer =>
    i === 0 ? f(h) : h;
const withExtra =
  (extra: Buffer, extraLengthAt: number) =>
  (h: Buffer): Buffer => {
    const c = Buffer.concat([h, extra]);
    c.writeUInt16LE(h.readUInt16LE(extraLengthAt) + extra.length, extraLengthAt);
    return c;
  };
const extraField = (id: number, data: Buffer): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(id, 0);
  b.writeUInt16LE(data.length, 2);
  return Buffer.concat([b, data]);
};
const u64s = (...values: number[]): Buffer => {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 * i));
  return b;
};
// Local header: flags 6, method 8, crc 14, sizes 18/22, extra length 28. Central: version 6, flags 8, method 10,
// crc 16, sizes 20/24, extra length 30, comment length 32, disk 34, external 38, offset 42. End: count 8/10.
const CASES: Record<string, [string, () => Buffer][]> = {
  'zip.layout': [
    ['a file that is not a zip', () => Buffer.from('not a zip at all')],
    ['bytes before the first entry', () => Buffer.concat([Buffer.from('MZ stub'), zipStored(ENTRIES)])],
    ['bytes between the entries and the central directory', () => build({ between: Buffer.from('junk') })],
    ['an archive comment', () => build({ end: (e) => Buffer.concat([set16(20, 4)(e), Buffer.from('PK..')]) })],
    ['trailing bytes after the end record', () => Buffer.concat([zipStored(ENTRIES), Buffer.from([0])])],
    ['no central directory', () => build({}).subarray(0, 30 + 5 + 5)],
  ],
  'zip.flags': [
    ['an encrypted entry', () => build({ local: first(set16(6, 1)), central: first(set16(8, 1)) })],
    ['a data descriptor', () => build({ local: first(set16(6, 8)), central: first(set16(8, 8)) })],
    ['another flag bit', () => build({ local: first(set16(6, 2)), central: first(set16(8, 2)) })],
    ['a version needed above 4.5', () => build({ local: first(set16(4, 63)), central: first(set16(6, 63)) })],
  ],
  'zip.stored': [['a deflated entry', () => build({ local: first(set16(8, 8)), central: first(set16(10, 8)) })]],
  'zip.zip64': [
    [
      'a 24-byte local zip64 extra whose sizes differ from the 32-bit ones (the zip crate reads them)',
      () => build({ local: first(withExtra(extraField(1, Buffer.alloc(24)), 28)) }),
    ],
    [
      'a 24-byte central zip64 extra whose offset differs from the 32-bit one',
      () => build({ central: (h, i) => (i === 1 ? withExtra(extraField(1, u64s(6, 6, 0)), 30)(h) : h) }),
    ],
    [
      'a zip64 local extra of one size only',
      () =>
        build({
          style: 'local',
          local: first((h) => {
            const c = Buffer.from(h.subarray(0, h.length - 8));
            c.writeUInt16LE(12, 28);
            c.writeUInt16LE(8, 30 + 5 + 2);
            return c;
          }),
        }),
    ],
    ['a central size saying zip64 without an extra', () => build({ central: first(set32(20, 0xffffffff)) })],
  ],
  'zip.extra': [
    [
      'an Info-ZIP Unicode path extra',
      () => build({ local: first(withExtra(extraField(0x7075, Buffer.from('\u0001xxxxevil')), 28)) }),
    ],
    ['an unknown extra', () => build({ local: first(withExtra(extraField(0x9999, Buffer.alloc(2)), 28)) })],
    ['a truncated extra', () => build({ local: first(withExtra(Buffer.from([0x55, 0x54, 9, 0]), 28)) })],
    [
      'the same extra twice',
      () =>
        build({
          central: first(
            withExtra(
              Buffer.concat([
                extraField(0x5455, Buffer.from([1, 0, 0, 0, 0])),
                extraField(0x5455, Buffer.from([1, 0, 0, 0, 0])),
              ]),
              30,
            ),
          ),
        }),
    ],
  ],
  'zip.crc': [
    ['a wrong CRC in both headers', () => build({ local: first(set32(14, 1)), central: first(set32(16, 1)) })],
  ],
  'zip.central': [
    [
      'a central directory naming another file',
      () => build({ central: first((h) => Buffer.concat([h.subarray(0, 46), Buffer.from('x.txt')])) }),
    ],
    [
      'a central directory pointing at another offset',
      () => build({ central: (h, i) => (i === 1 ? set32(42, 3)(h) : h) }),
    ],
    ['a central CRC that differs from the local one', () => build({ central: first(set32(16, 7)) })],
    ['a symlink mode in the external attributes', () => build({ central: first(set32(38, (0o120777 << 16) >>> 0)) })],
    ['a DOS directory attribute', () => build({ central: first(set32(38, 0x10)) })],
    [
      'a central directory with one entry too few',
      () => {
        const z = build({});
        const cdAt = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
        const second = z.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), cdAt + 4);
        return Buffer.concat([z.subarray(0, second), z.subarray(z.length - 22)]);
      },
    ],
  ],
  'zip.end': [
    ['an end record counting another number of entries', () => build({ end: (e) => set16(10, 3)(set16(8, 3)(e)) })],
    ['an end record on another disk', () => build({ end: set16(4, 1) })],
    ['an end record with another directory size', () => build({ end: set32(12, 1) })],
    [
      'a zip64 locator pointing elsewhere',
      () =>
        build({
          style: 'full',
          end: (e) => {
            const c = Buffer.from(e);
            c.writeBigUInt64LE(c.readBigUInt64LE(56 + 8) + 1n, 56 + 8);
            return c;
          },
        }),
    ],
    [
      'a zip64 end record with another count',
      () =>
        build({
          style: 'full',
          end: (e) => {
            const c = Buffer.from(e);
            c.writeBigUInt64LE(5n, 32);
            return c;
          },
        }),
    ],
  ],
};

describe('zip reader: every rule of the accepted subset refuses what breaks it', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(ZIP_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(CASES)) {
    for (const [name, make] of cases) {
      it(`${rule}: refuses ${name}`, async () => {
        expect(await refusal(make())).toBe(rule);
      });
    }
  }
});

/** For every rule: the borderline forms it accepts (entries read, notes for the admin). */
const ACCEPTED: Record<string, [string, () => Buffer, string[]?][]> = {
  'zip.layout': [['entries, central directory and end record, nothing else', () => build({})]],
  'zip.flags': [
    ['UTF-8 names (bit 11)', () => build({ local: first(set16(6, 0x800)), central: first(set16(8, 0x800)) })],
  ],
  'zip.stored': [['stored entries of equal sizes', () => build({ style: 'local' })]],
  'zip.zip64': [
    [
      'central 32-bit sizes beside a zip64 extra of zero sizes (pixi foobar-0.1.0-pyhbf21a9e_0.conda)',
      () => zipStored(ENTRIES, 'central-zero'),
      [
        'zip64 extra fields hold values no reader needs (ignored; astral_async_zip, which rattler uses to read ' +
          'single files from a .conda, refuses such entries)',
      ],
    ],
    [
      'one saturated local size, its value in the extra',
      () => build({ style: 'local', local: first(set32(18, 5)) }),
      [
        'zip64 extra fields hold values no reader needs (ignored; astral_async_zip, which rattler uses to read ' +
          'single files from a .conda, refuses such entries)',
      ],
    ],
    [
      'a local 16-byte zip64 extra repeating the 32-bit sizes',
      () => build({ local: first(withExtra(extraField(1, u64s(5, 5)), 28)) }),
    ],
    [
      'a 24-byte central zip64 extra that holds the real sizes and offset',
      () => build({ central: (h, i) => (i === 1 ? withExtra(extraField(1, u64s(6, 6, 40)), 30)(h) : h) }),
      [
        'zip64 extra fields hold values no reader needs (ignored; astral_async_zip, which rattler uses to read ' +
          'single files from a .conda, refuses such entries)',
      ],
    ],
  ],
  'zip.extra': [
    [
      'the extended-time, Unix and NTFS extras writers add',
      () =>
        build({
          local: first(
            withExtra(
              Buffer.concat([
                extraField(0x5455, Buffer.from([1, 0, 0, 0, 0])),
                extraField(0x7875, Buffer.from([1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0])),
              ]),
              28,
            ),
          ),
          central: first(withExtra(extraField(0x000a, Buffer.alloc(32)), 30)),
        }),
    ],
  ],
  'zip.crc': [['matching CRCs', () => build({})]],
  'zip.central': [
    [
      'an entry comment (ignored)',
      () => build({ central: first((h) => set16(32, 2)(Buffer.concat([h, Buffer.from('hi')]))) }),
    ],
    ['no external attributes at all', () => build({ central: first(set32(38, 0)) })],
  ],
  'zip.end': [['zip64 end record and locator (rattler-build)', () => zipStored(ENTRIES, 'full')]],
};

describe('zip reader: every rule of the accepted subset accepts its borderline forms', () => {
  it('has a case for every rule', () => {
    expect(Object.keys(ACCEPTED).sort()).toEqual(Object.keys(ZIP_RULES).sort());
  });
  for (const [rule, cases] of Object.entries(ACCEPTED)) {
    for (const [name, make, notes] of cases) {
      it(`${rule}: accepts ${name}`, async () => {
        const seen: string[] = [];
        expect(await entries(make(), seen)).toEqual([
          { name: 'a.txt', data: 'alpha' },
          { name: 'b.txt', data: 'bravo!' },
        ]);
        expect(seen).toEqual(notes ?? []);
      });
    }
  }
});

describe('zip reader: the shapes real writers emit', () => {
  for (const style of ['none', 'local', 'full'] as const) {
    it(`reads ${style === 'none' ? 'a plain zip' : style === 'local' ? "conda-build's forced zip64 local headers" : "rattler-build's full zip64 (extras, end record, locator)"}`, async () => {
      expect(await entries(zipStored(ENTRIES, style))).toEqual([
        { name: 'a.txt', data: 'alpha' },
        { name: 'b.txt', data: 'bravo!' },
      ]);
    });
  }
  it('accepts the extended-time, Unix and NTFS extras writers add', async () => {
    const ut = extraField(0x5455, Buffer.from([1, 0, 0, 0, 0]));
    const z = build({
      local: first(
        withExtra(Buffer.concat([ut, extraField(0x7875, Buffer.from([1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0]))]), 28),
      ),
      central: first(withExtra(extraField(0x000a, Buffer.alloc(32)), 30)),
    });
    expect((await entries(z)).map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
  });
});
