// Temp names have a fixed length: a destination name of 255 bytes (NAME_MAX) is written like any other.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileAtomicNoClobber, TEMP_NAME, writeFileAtomic } from '../../src/util/atomic-write.js';

const work = mkdtempSync(join(tmpdir(), 'fg-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LONGEST = 'n'.repeat(255);

describe('atomic writes to a 255-byte file name', () => {
  it('writeFileAtomic writes it and leaves no temp file', async () => {
    const dir = join(work, 'write');
    await writeFileAtomic(join(dir, LONGEST), 'bytes');
    expect(readdirSync(dir)).toEqual([LONGEST]);
    expect(readFileSync(join(dir, LONGEST), 'utf8')).toBe('bytes');
  });

  it('copyFileAtomicNoClobber copies it, beside it or through a temp folder, and never clobbers', async () => {
    const src = join(work, 'src');
    writeFileSync(src, 'payload');
    const dir = join(work, 'copy');
    expect(await copyFileAtomicNoClobber(src, join(dir, LONGEST))).toBe('created');
    expect(await copyFileAtomicNoClobber(src, join(dir, 'other', LONGEST), { tmpDir: join(dir, 'tmp') })).toBe(
      'created',
    );
    expect(await copyFileAtomicNoClobber(src, join(dir, LONGEST))).toBe('exists');
    expect(readdirSync(dir).sort()).toEqual([LONGEST, 'other', 'tmp'].sort());
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readFileSync(join(dir, 'other', LONGEST), 'utf8')).toBe('payload');
  });
});

describe('TEMP_NAME', () => {
  it('matches only forgegate temp names of a fixed shape', () => {
    expect('.forgegate-0123456789abcdef01234567.tmp').toMatch(TEMP_NAME);
    expect(`.${LONGEST}.0123456789ab.tmp`).not.toMatch(TEMP_NAME);
    expect('.forgegate-0123456789abcdef01234567.tmp.conda').not.toMatch(TEMP_NAME);
  });
});
