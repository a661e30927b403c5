// The baseline reader's rules (src/audit/baseline.ts), each refused with the file and line named.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baselineSubdirs, baselineText, readBaseline, type BaselineLine } from '../../src/audit/baseline.js';

const work = mkdtempSync(join(tmpdir(), 'fg-baseline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LINE: BaselineLine = {
  file: 'app-1.0-h0_0.conda',
  subdir: 'noarch',
  labels: ['main'],
  sha256: 'a'.repeat(64),
  md5: 'b'.repeat(32),
  size: 10,
  uploadedAt: '2026-01-01T00:00:00.000Z',
};

async function read(text: string): Promise<BaselineLine[] | string> {
  const dir = mkdtempSync(join(work, 'b-'));
  writeFileSync(join(dir, 'noarch.jsonl'), text);
  const out: BaselineLine[] = [];
  try {
    for await (const l of readBaseline(dir, 'noarch')) out.push(l);
  } catch (e) {
    return (e as Error).message;
  }
  return out;
}

describe('baseline', () => {
  it('reads what it writes, one line per file', async () => {
    expect(await read(`${baselineText(LINE)}\n${baselineText({ ...LINE, file: 'b-1-0.tar.bz2' })}\n`)).toEqual([
      LINE,
      { ...LINE, file: 'b-1-0.tar.bz2' },
    ]);
  });

  it('baseline.line: text that is not JSON, or a line too long, is refused with file and line', async () => {
    expect(await read(`${baselineText(LINE)}\n{not json\n`)).toMatch(
      /noarch\.jsonl line 2: not JSON \(baseline\.line\)/,
    );
    expect(await read(`"${'x'.repeat(70_000)}"\n`)).toMatch(/line 1: longer than/);
  });

  it('baseline.fields: another subdir, no labels, a bad file name or type is refused', async () => {
    for (const bad of [
      { ...LINE, subdir: 'linux-64' },
      { ...LINE, labels: [] },
      { ...LINE, file: '../etc/passwd' },
      { ...LINE, size: '10' },
      { ...LINE, sha256: 5 },
    ])
      expect(await read(`${JSON.stringify(bad)}\n`)).toMatch(/line 1: not a baseline line of subdir noarch/);
  });

  it("baseline.sorted: a line whose file comes before the previous line's is refused; equal files may repeat", async () => {
    const b = { ...LINE, file: 'b-1-0.tar.bz2' };
    expect(await read(`${baselineText(b)}\n${baselineText(LINE)}\n`)).toMatch(
      /noarch\.jsonl line 2: app-1\.0-h0_0\.conda comes after b-1-0\.tar\.bz2: not sorted by file name \(baseline\.sorted\)/,
    );
    const rc = { ...LINE, labels: ['rc'], uploadedAt: null };
    expect(await read(`${baselineText(LINE)}\n${baselineText(rc)}\n${baselineText(b)}\n`)).toEqual([LINE, rc, b]);
  });

  it('lists the subdirs it has files for; a missing folder is FG_INPUT_MISSING', async () => {
    const dir = join(work, 'list');
    mkdirSync(dir);
    for (const f of ['noarch.jsonl', 'linux-64.jsonl', 'README.md']) writeFileSync(join(dir, f), '');
    expect((await baselineSubdirs(dir)).sort()).toEqual(['linux-64', 'noarch']);
    await expect(baselineSubdirs(join(work, 'absent'))).rejects.toMatchObject({ code: 'FG_INPUT_MISSING' });
  });
});
