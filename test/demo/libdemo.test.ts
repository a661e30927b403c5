// The demo ships its one .tar.bz2 prebuilt (forgegate reads bzip2 but ships no compressor): it must be the real
// package the writer builds for its spec, so the demo shows both formats as feedstocks upload them.
import { describe, expect, it } from 'vitest';
import { LIBDEMO_FILENAME, LIBDEMO_SPEC, LIBDEMO_TAR_BZ2 } from '../../src/demo/libdemo.js';
import { packageBytes } from '../helpers/packages.js';

describe("the demo's prebuilt .tar.bz2", () => {
  it('is, byte for byte, what the package writer builds for its spec', () => {
    const { filename, bytes } = packageBytes({ ...LIBDEMO_SPEC });
    expect(filename).toBe(LIBDEMO_FILENAME);
    expect(bytes.equals(LIBDEMO_TAR_BZ2)).toBe(true);
  });
});
