// The audit's scratch database (src/ledger/audit-spill.ts): facts handed over in any order come back sorted by file name,
// the index's and storage's facts of one copy merged; the log by file name then seq; no journal file; nothing left
// on disk after.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainAfter, type LoggedEntry } from '../../src/audit/chain.js';
import { AuditSpill } from '../../src/ledger/audit-spill.js';

const work = mkdtempSync(join(tmpdir(), 'fg spill '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const D = { sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 10 };

describe('audit spill', () => {
  it('merges index and storage facts per (file, label) and returns files sorted, labels in index order', () => {
    const spill = new AuditSpill(work);
    try {
      const base = { subdir: 'noarch', uploadedAt: null };
      spill.putCopy({ ...base, filename: 'z-1-0.conda', label: 'rc', indexed: D, storedSize: null }, 1);
      spill.putCopy({ ...base, filename: 'a-1-0.conda', label: 'main', indexed: D, storedSize: null }, 0);
      spill.putCopy({ ...base, filename: 'z-1-0.conda', label: 'main', indexed: null, storedSize: 3 }, 0);
      spill.putCopy(
        { ...base, filename: 'a-1-0.conda', label: 'main', indexed: null, storedSize: 10, uploadedAt: 'T1' },
        0,
      );
      spill.putCopy({ ...base, filename: 'm-1-0.conda', label: 'main', indexed: D, uploadedAt: null }, 0);
      spill.setUploadTime('m-1-0.conda', 'main', 'T2');
      spill.setUploadTime('absent-1-0.conda', 'main', 'T3');
      // Mid-batch: no WAL and no rollback journal on disk (it is kept in memory), only the scratch database.
      const [folder] = readdirSync(work);
      expect(readdirSync(join(work, folder!))).toEqual(['spill.sqlite']);
      const got = [...spill.copies()].map(([n, copies]) => [n, [...copies]]);
      expect(got).toEqual([
        ['a-1-0.conda', [['main', { indexed: D, storedSize: 10, uploadedAt: 'T1' }]]],
        // anaconda.org cannot see storage: no storedSize at all, not null.
        ['m-1-0.conda', [['main', { indexed: D, uploadedAt: 'T2' }]]],
        [
          'z-1-0.conda',
          [
            ['main', { indexed: null, storedSize: 3, uploadedAt: null }],
            ['rc', { indexed: D, storedSize: null, uploadedAt: null }],
          ],
        ],
      ]);
      spill.clearCopies();
      expect([...spill.copies()]).toEqual([]);
    } finally {
      spill.close();
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it('returns a subdir log by file name, then seq, with only what the comparison needs', () => {
    const spill = new AuditSpill(work);
    try {
      let head: LoggedEntry | null = null;
      const entry = (subdir: string, filename: string): void => {
        head = chainAfter(head, {
          kind: 'publish',
          subdir,
          filename,
          labels: ['main'],
          from: [],
          ...D,
          uploadedAt: null,
          evidence: 'key k',
          at: '2026-01-01T00:00:00.000Z',
        });
        spill.putLog(subdir, head);
      };
      entry('noarch', 'b-1-0.conda');
      entry('linux-64', 'a-1-0.conda');
      entry('noarch', 'a-1-0.conda');
      entry('noarch', 'b-1-0.conda');
      expect([...spill.log('noarch')].map((e) => [e.filename, e.seq])).toEqual([
        ['a-1-0.conda', 3],
        ['b-1-0.conda', 1],
        ['b-1-0.conda', 4],
      ]);
      expect(Object.keys([...spill.log('linux-64')][0]!).sort()).toEqual(
        ['filename', 'kind', 'labels', 'md5', 'seq', 'sha256', 'size', 'uploadedAt'].sort(),
      );
    } finally {
      spill.close();
    }
  });
});
