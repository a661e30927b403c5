// The comparison (src/audit/compare.ts) as a sort-merge of streams sorted by file name: findings per file as before,
// inputs consumed one file ahead (never materialised), and input out of order refused rather than merged wrongly.
import { describe, expect, it } from 'vitest';
import type { BaselineLine } from '../../src/audit/baseline.js';
import {
  compareNames,
  compareSubdir,
  expectedFiles,
  type ChannelCopy,
  type ChannelFile,
  type Expected,
  type LogFacts,
} from '../../src/audit/compare.js';
import type { Finding } from '../../src/audit/findings.js';

const D = { sha256: 'a'.repeat(64), md5: 'b'.repeat(32), size: 10 };
const T = '2026-01-01T00:00:00.000Z';

const line = (file: string, over: Partial<BaselineLine> = {}): BaselineLine => ({
  file,
  subdir: 'noarch',
  labels: ['main'],
  ...D,
  uploadedAt: T,
  ...over,
});
const publish = (seq: number, filename: string, over: Partial<LogFacts> = {}): LogFacts => ({
  seq,
  kind: 'publish',
  filename,
  labels: ['main'],
  ...D,
  uploadedAt: T,
  ...over,
});
const copy = (over: Partial<ChannelCopy> = {}): ChannelCopy => ({ indexed: D, storedSize: 10, uploadedAt: T, ...over });
const file = (name: string, copies: Record<string, ChannelCopy>): ChannelFile => [
  name,
  new Map(Object.entries(copies)),
];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function findings(
  baseline: BaselineLine[],
  log: LogFacts[],
  channel: ChannelFile[],
): Promise<[string, string, string][]> {
  const got = await all(compareSubdir('noarch', expectedFiles(baseline, log), channel));
  return got.map((f: Finding) => [f.code, f.filename, f.detail]);
}

describe('compare', () => {
  it('folds a file from its baseline lines, then its log entries in seq order (the log wins)', async () => {
    const expected = await all(
      expectedFiles(
        [line('a-1-0.conda'), line('a-1-0.conda', { labels: ['rc'] }), line('c-1-0.conda')],
        [
          publish(3, 'a-1-0.conda', { labels: ['main'], sha256: 'c'.repeat(64) }),
          publish(5, 'a-1-0.conda', { labels: ['rc'], sha256: 'c'.repeat(64) }),
          publish(1, 'b-1-0.conda'),
          { ...publish(2, 'b-1-0.conda', { labels: ['broken'], sha256: null }), kind: 'yank' },
        ],
      ),
    );
    const view = expected.map(([n, e]: [string, Expected]) => [n, e.source, [...e.labels], e.sha256]);
    expect(view).toEqual([
      ['a-1-0.conda', 'log #5', ['main', 'rc'], 'c'.repeat(64)],
      ['b-1-0.conda', 'log #2 (admin yank)', ['broken'], D.sha256],
      ['c-1-0.conda', 'baseline', ['main'], D.sha256],
    ]);
  });

  it('merges expected and channel by name: unknown, gone, replaced, relabelled, re-uploaded, in name order', async () => {
    const got = await findings(
      [line('b-1-0.conda')],
      [publish(1, 'd-1-0.conda'), publish(2, 'e-1-0.conda'), publish(3, 'f-1-0.conda')],
      [
        file('a-1-0.conda', { main: copy() }),
        file('b-1-0.conda', { main: copy() }),
        file('c-1-0.conda', { main: copy({ indexed: null }) }),
        file('e-1-0.conda', { main: copy({ indexed: { ...D, md5: 'f'.repeat(32) } }) }),
        file('f-1-0.conda', { main: copy({ uploadedAt: '2026-02-02T00:00:00.000Z' }), rc: copy() }),
      ],
    );
    expect(got).toEqual([
      [
        'AUDIT_UNKNOWN_FILE',
        'a-1-0.conda',
        'under main, but the gate never published it and the baseline does not hold it',
      ],
      [
        'AUDIT_UNKNOWN_FILE',
        'c-1-0.conda',
        'under main, but the gate never published it and the baseline does not hold it',
      ],
      ['AUDIT_GONE', 'd-1-0.conda', 'no label holds it any more (expected under main)'],
      ['AUDIT_REPLACED', 'e-1-0.conda', `other bytes than published: main: index md5 ${'f'.repeat(32)}`],
      ['AUDIT_REUPLOADED', 'f-1-0.conda', `uploaded again: main: uploaded 2026-02-02T00:00:00.000Z, published ${T}`],
      ['AUDIT_LABELS_CHANGED', 'f-1-0.conda', 'under main, rc; the log says main and records no admin move'],
    ]);
  });

  it('hashed stored bytes that differ from the published digests are AUDIT_REPLACED, even with index and size equal', async () => {
    const swapped = copy({ storedDigests: { sha256: '9'.repeat(64), md5: D.md5 } });
    const got = await findings([], [publish(1, 'a-1-0.conda')], [file('a-1-0.conda', { main: swapped })]);
    expect(got).toEqual([
      [
        'AUDIT_REPLACED',
        'a-1-0.conda',
        `other bytes than published: main: the stored bytes differ (sha256 ${'9'.repeat(64)}, md5 ${D.md5})`,
      ],
    ]);
    const same = copy({ storedDigests: { sha256: D.sha256, md5: D.md5 } });
    expect(await findings([], [publish(1, 'a-1-0.conda')], [file('a-1-0.conda', { main: same })])).toEqual([]);
  });

  it('refuses a stream out of name order instead of merging it (a file would be missed)', async () => {
    await expect(findings([], [publish(2, 'b-1-0.conda'), publish(1, 'a-1-0.conda')], [])).rejects.toThrow(
      /the publication log is not sorted by file name: a-1-0\.conda after b-1-0\.conda/,
    );
    await expect(
      findings([], [], [file('b-1-0.conda', { main: copy() }), file('a-1-0.conda', { main: copy() })]),
    ).rejects.toThrow(/the channel's files is not sorted/);
  });

  it('orders names by code point, as SQLite orders UTF-8 (not by UTF-16 unit)', () => {
    const names = ['\u{1F600}', '\uFF01', 'a'];
    expect([...names].sort(compareNames)).toEqual(['a', '\uFF01', '\u{1F600}']);
    expect([...names].sort()).toEqual(['a', '\u{1F600}', '\uFF01']);
  });

  it('consumes its inputs one file ahead: a 200,000-file stream is never held', async () => {
    // Structural proof of bounded memory: count what each generator has handed out against what was compared.
    const N = 200_000;
    let channelOut = 0;
    let logOut = 0;
    let maxAhead = 0;
    const name = (i: number): string => `p${String(i).padStart(7, '0')}-1-0.conda`;
    function* channel(): Generator<ChannelFile> {
      for (let i = 0; i < N; i++) {
        channelOut++;
        yield file(name(i), { main: copy() });
      }
    }
    function* log(): Generator<LogFacts> {
      // Every file but each 1000th was published; those are bypass uploads.
      for (let i = 0; i < N; i++)
        if (i % 1000 !== 0) {
          logOut++;
          yield publish(i + 1, name(i));
        }
    }
    const unknown: string[] = [];
    const findingsOut = compareSubdir('noarch', expectedFiles([], log()), channel());
    for await (const f of findingsOut) {
      unknown.push(f.filename);
      const compared = Number(f.filename.slice(1, 8));
      maxAhead = Math.max(maxAhead, channelOut - compared, logOut - compared);
    }
    expect(unknown).toHaveLength(N / 1000);
    expect(channelOut).toBe(N);
    expect(logOut).toBe(N - N / 1000);
    // At a finding for file k, neither input has been read more than two files past k.
    expect(maxAhead).toBeLessThanOrEqual(2);
  }, 120_000);

  it('reports attestations stripped, swapped, added or not served as advertised; unknown ones never', async () => {
    const X = 'c'.repeat(64);
    const Y = 'd'.repeat(64);
    const got = await findings(
      [line('f-baseline.conda')],
      [
        publish(1, 'a-stripped.conda', { attestations: X }),
        publish(2, 'b-swapped.conda', { attestations: X }),
        publish(3, 'c-added.conda', { attestations: null }),
        publish(4, 'd-unserved.conda', { attestations: X }),
        publish(5, 'e-same.conda', { attestations: X }),
        publish(6, 'g-older-log.conda'),
      ],
      [
        file('a-stripped.conda', { main: copy({ advertised: null, served: X }) }),
        file('b-swapped.conda', { main: copy({ advertised: Y, served: Y }) }),
        file('c-added.conda', { main: copy({ advertised: X, served: X }) }),
        file('d-unserved.conda', { main: copy({ advertised: X, served: null }) }),
        file('e-same.conda', { main: copy({ advertised: X, served: X }) }),
        file('f-baseline.conda', { main: copy({ advertised: X, served: X }) }),
        file('g-older-log.conda', { main: copy({ advertised: Y, served: Y }) }),
      ],
    );
    expect(got).toEqual([
      [
        'AUDIT_ATTESTATIONS_CHANGED',
        'a-stripped.conda',
        `other attestations than the gate served: main: the index advertises attestations none, the gate served ${X}`,
      ],
      [
        'AUDIT_ATTESTATIONS_CHANGED',
        'b-swapped.conda',
        `other attestations than the gate served: main: the index advertises attestations ${Y}, the gate served ${X}`,
      ],
      [
        'AUDIT_ATTESTATIONS_CHANGED',
        'c-added.conda',
        `other attestations than the gate served: main: the index advertises attestations ${X}, the gate served none`,
      ],
      [
        'AUDIT_ATTESTATIONS_CHANGED',
        'd-unserved.conda',
        'other attestations than the gate served: main: its .sigs is not stored, not the advertised bytes',
      ],
    ]);
  });
});
