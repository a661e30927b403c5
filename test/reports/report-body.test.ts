// A report body stays under GitHub's 65,536 characters whatever it is asked to hold: rows up to a budget, the rest
// counted per reason with the fix, each failure once, with or without the ledger's memory.
import { describe, expect, it } from 'vitest';
import type { FailureReport } from '../../src/ports/reports.js';
import { fixFor, REASONS, type ReasonCode } from '../../src/reasons.js';
import {
  GITHUB_BODY_LIMIT,
  MAX_REMEMBERED,
  ROWS_BUDGET,
  renderComment,
  renderReport,
  type ReportContext,
} from '../../src/reports/report-body.js';
import { reportRow } from '../../src/reports/report-format.js';

const CTX: ReportContext = { feedstock: 'numpy', commit: null, runLink: 'https://github.com/o/r/actions/runs/42' };
const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

function failure(i: number, extra: Partial<FailureReport> = {}): FailureReport {
  const reason = extra.reason ?? 'SIGNATURE_INVALID';
  return {
    feedstock: 'numpy',
    commit: null,
    runUrl: null,
    subdir: 'noarch',
    filename: `numpy-1.0-junk${i}_0.conda`,
    label: 'main',
    reason,
    fix: fixFor(reason),
    detail: `no signature verifies: signed with key id k${i}`,
    ...extra,
  };
}

/** The largest rows an uploader can make: every field long, every reason, a run URL at its limit. */
const hostile = (n: number): FailureReport[] =>
  Array.from({ length: n }, (_, i) =>
    failure(i, {
      reason: REASON_CODES[i % REASON_CODES.length]!,
      filename: `${'n'.repeat(230)}-1.0-h${i}_0.conda`,
      label: 'l'.repeat(1024),
      detail: `signed with key id ${'k'.repeat(60_000)}`,
      runUrl: `https://ci.example/${'r'.repeat(480)}`,
    }),
  );

const listed = (body: string): number => body.match(/<!-- forgegate:failure /g)?.length ?? 0;
const countedIn = (body: string): number =>
  Number(/\*\*([\d,]+) more failures are not listed here\*\*/.exec(body)?.[1]?.replace(/,/g, '') ?? 0);

describe('renderReport', () => {
  it('lists a few failures in full, with no summary', () => {
    const r = renderReport(null, [failure(1), failure(2)], CTX);
    expect(listed(r.body)).toBe(2);
    expect(r.body).not.toContain('not listed here');
    expect(r.added).toHaveLength(2);
    expect(r.counted).toEqual([]);
  });

  it('keeps the worst body an uploader can cause under 65,536 characters, counting what it cannot list', () => {
    const reports = hostile(5_000);
    const r = renderReport(null, reports, {
      ...CTX,
      runLink: `https://github.com/${'o'.repeat(100)}/r/actions/runs/1`,
    });
    expect(r.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(listed(r.body) + countedIn(r.body)).toBe(5_000);
    expect(r.counted).toHaveLength(5_000 - listed(r.body));
    // Each field shows its start and how much was cut; every reason is counted with its fix; the run is linked.
    expect(r.body).toMatch(/`signed with key id k+…\(59,\d{3} more characters\)`/);
    for (const reason of REASON_CODES) expect(r.body).toMatch(new RegExp(`- \\*\\*${reason}\\*\\* × \\d+: `));
    expect(r.body).toContain('[latest run](https://github.com/');
    expect(r.body).toContain('`forgegate ledger failures --feedstock numpy`');
  });

  it('adds nothing when the same failures are sent again with no memory, listed or counted', () => {
    const first = renderReport(null, hostile(300), CTX);
    expect(first.counted.length).toBeGreaterThan(0);
    const again = renderReport(first.body, hostile(300).reverse(), CTX);
    expect(again.added).toEqual([]);
    expect(again.body).toBe(first.body);
  });

  it('fills the list over several sends, then counts: each failure once, the body always in bounds', () => {
    let body: string | null = null;
    const all = Array.from({ length: 600 }, (_, i) => failure(i, { detail: 'd'.repeat(300) }));
    for (let at = 0; at < 600; at += 50) {
      const r = renderReport(body, all.slice(0, at + 50), CTX);
      expect(r.added).toHaveLength(50);
      body = r.body;
      expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    }
    expect(listed(body!) + countedIn(body!)).toBe(600);
    // The list filled up to its budget before anything was counted.
    const rows = body!.split('\n').filter((l) => l.includes('<!-- forgegate:failure '));
    expect(rows.join('\n').length).toBeLessThanOrEqual(ROWS_BUDGET);
    expect(rows.join('\n').length + rows[0]!.length).toBeGreaterThan(ROWS_BUDGET);
  });

  it('remembers at most MAX_REMEMBERED counted failures, and counts the rest anyway', () => {
    const r = renderReport(null, hostile(MAX_REMEMBERED + 500), CTX);
    expect(countedIn(r.body)).toBe(MAX_REMEMBERED + 500 - listed(r.body));
    expect(/seen=([0-9a-f,]*)/.exec(r.body)![1]!.split(',')).toHaveLength(MAX_REMEMBERED);
    expect(r.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
  });

  it('brings a body an older version grew past the budget back into bounds, counting the rows it drops', () => {
    const rows = Array.from({ length: 400 }, (_, i) => failure(i, { detail: 'x'.repeat(400) }));
    // What earlier versions wrote: the header, then one row per failure, unbounded.
    const legacy = renderReport(null, rows.slice(0, 1), CTX).body + renderReportRows(rows.slice(1));
    expect(legacy.length).toBeGreaterThan(GITHUB_BODY_LIMIT);
    const r = renderReport(legacy, [failure(1_000)], CTX);
    expect(r.added).toHaveLength(1);
    expect(r.body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(listed(r.body) + countedIn(r.body)).toBe(401);
  });

  it('ignores counts a person edited into something that is not forgegate’s', () => {
    const r = renderReport(null, hostile(300), CTX);
    const edited = r.body.replace(/counts=[^ ]*/, 'counts=NOT_A_REASON:99999,SIGNATURE_INVALID:-4');
    expect(countedIn(renderReport(edited, [], CTX).body)).toBe(0);
  });
});

describe('renderComment', () => {
  it('lists the new failures up to the budget and counts the rest, under the limit', () => {
    const first = renderReport(null, [failure(0)], CTX);
    const r = renderReport(first.body, hostile(2_000), CTX);
    const comment = renderComment(r, CTX);
    expect(comment.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(comment).not.toContain('<!--');
    expect(comment).toMatch(/…and [\d,]+ more \(/);
    expect(comment).toContain('[latest run](https://github.com/o/r/actions/runs/42)');
  });

  it('without a run link, says who can list every one', () => {
    const r = renderReport(null, hostile(300), { ...CTX, runLink: null });
    expect(r.body).toContain('The administrators of this gate can list every one with `forgegate ledger failures');
  });
});

function renderReportRows(reports: FailureReport[]): string {
  return `${reports.map(reportRow).join('\n')}\n`;
}
