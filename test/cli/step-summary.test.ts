// The step summary stays under GitHub's 1 MiB limit whatever a run decided: the table holds what fits, the rest is
// counted per decision and reason.
import { describe, expect, it } from 'vitest';
import { renderMarkdownSummary, SUMMARY_MAX_TABLE_CHARS } from '../../src/cli/summary.js';
import type { ReconcileResult, ResultItem } from '../../src/reconcile/run.js';

function item(n: number): ResultItem {
  return {
    subdir: 'noarch',
    filename: `junk${n}-1.0-0.conda`,
    feedstock: 'victim',
    decision: 'reject',
    reason: n % 2 === 0 ? 'SIGNATURE_INVALID' : 'KEY_UNKNOWN',
    fix: 'a fix',
    detail: 'x'.repeat(400),
    label: 'main',
    outcome: 'rejected',
    deleteStaged: false,
    inspection: null,
    adminCause: null,
    warnings: [],
    evidenceWarnings: [],
    passed: [],
    seenBefore: false,
  };
}

function result(items: ResultItem[]): ReconcileResult {
  return {
    formatVersion: 1,
    planFormatVersion: 1,
    mode: 'apply',
    now: '2026-12-04T00:00:00Z',
    registryCommit: null,
    targetChannel: 'https://conda.example.org/forge',
    items,
    strays: [],
    summary: { reject: items.length, rejected: items.length },
    changesPending: false,
    reports: { sent: 0, error: null },
    indexWrites: 0,
    notices: [],
    exitCode: 0,
  };
}

describe('the Markdown step summary', () => {
  it('lists every row of an ordinary run', () => {
    const md = renderMarkdownSummary(result([item(0), item(1)]));
    expect(md).toContain('junk0-1.0-0.conda');
    expect(md).toContain('junk1-1.0-0.conda');
    expect(md).not.toContain('more (');
  });

  it('stays under 1 MiB for 20,000 rejections, counting what does not fit per decision and reason', () => {
    const md = renderMarkdownSummary(result(Array.from({ length: 20_000 }, (_, n) => item(n))));
    expect(md.length).toBeLessThan(1024 * 1024);
    expect(md.length).toBeGreaterThan(SUMMARY_MAX_TABLE_CHARS / 2);
    const m = /and (\d+) more \(([^)]*)\)/.exec(md);
    expect(m).not.toBeNull();
    const more = Number(m![1]);
    const counted = Object.fromEntries(
      m![2]!.split(', ').map((part) => [part.replace(/^\d+ /, ''), Number(part.split(' ')[0])]),
    );
    expect(Object.keys(counted).sort()).toEqual(['rejected KEY_UNKNOWN', 'rejected SIGNATURE_INVALID']);
    expect(Object.values(counted).reduce((a, b) => a + b, 0)).toBe(more);
    expect(md.split('junk').length - 1 + more).toBe(20_000);
  });
});
