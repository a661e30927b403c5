// One report body (an issue, a comment, a report file) stays under GitHub's limit however many failures its feedstock
// and commit collect: rows are listed up to a budget, the rest are counted per reason with their fix, and the body
// remembers (by a short hash) which failures it counted, so a resend after a lost ledger counts nothing twice.
//
//   <report marker, title and header>          rebuilt from the feedstock and commit every time
//   - row <!-- forgegate:failure … -->          listed failures, oldest first, at most ROWS_BUDGET characters
//   <!-- forgegate:overflow counts=… seen=… -->  only once a failure did not fit: counts per reason, hashes
//   **N more failures are not listed here** …   the counts with each reason's fix, and where the full list is
import type { FailureReport } from '../ports/reports.js';
import { fixFor, isReasonCode, type ReasonCode } from '../reasons.js';
import { sha256Hex } from '../util/digest.js';
import { UNATTRIBUTED } from './attribution.js';
import { failureMarker, reportHeader, reportRow } from './report-format.js';

/** GitHub refuses an issue or comment body longer than this many characters. */
export const GITHUB_BODY_LIMIT = 65_536;
/** The listed rows of one body (or one comment): past this, failures are counted per reason. */
export const ROWS_BUDGET = 40_000;
/** How many counted failures a body remembers by hash (11 characters each); past this they are only counted. */
export const MAX_REMEMBERED = 1_000;

const ROW_MARKER = /<!-- forgegate:failure \S+ ([A-Z_]+) -->$/;
const OVERFLOW_MARKER = /^<!-- forgegate:overflow counts=([A-Z_0-9:,]*) seen=([0-9a-f,]*) -->$/;
const remembered = (marker: string): string => sha256Hex(marker).slice(0, 10);

interface Row {
  /** The row as listed; rendered only while the list has room (a counted failure is never formatted). */
  line: () => string;
  marker: string;
  reason: string;
  /** Set for a failure this call adds; absent for a row the body already held. */
  report?: FailureReport;
}

interface Parsed {
  rows: Row[];
  counts: Map<string, number>;
  seen: Set<string>;
}

/** The rows and the overflow record of a body forgegate wrote. Anything else in it is rebuilt or dropped. */
function parseBody(body: string): Parsed {
  const parsed: Parsed = { rows: [], counts: new Map(), seen: new Set() };
  for (const raw of body.split('\n')) {
    const line = raw.trimEnd();
    // A row ends with its own marker; uploader text inside a row is escaped, so it never ends a line with one.
    const row = ROW_MARKER.exec(line);
    if (row) {
      const marker = line.slice(line.lastIndexOf('<!-- forgegate:failure '));
      parsed.rows.push({ line: () => line, marker, reason: row[1]! });
      continue;
    }
    const overflow = OVERFLOW_MARKER.exec(line);
    if (overflow === null) continue;
    for (const pair of overflow[1]!.split(',').filter(Boolean)) {
      const [reason, n] = pair.split(':');
      const count = Number(n);
      if (reason && isReasonCode(reason) && Number.isSafeInteger(count) && count > 0)
        parsed.counts.set(reason, (parsed.counts.get(reason) ?? 0) + count);
    }
    for (const h of overflow[2]!.split(',').filter((x) => /^[0-9a-f]{10}$/.test(x))) parsed.seen.add(h);
  }
  return parsed;
}

export interface RenderedReport {
  body: string;
  /** The failures this call added, listed or counted; empty when the body already held every one. */
  added: FailureReport[];
  /** Of `added`, those counted instead of listed. */
  counted: FailureReport[];
}

export interface ReportContext {
  feedstock: string;
  commit: string | null;
  /** Where every failure of the run can be read (the reconciler's CI run), when known. */
  runLink: string | null;
}

/** `existing` (null: none yet) with `fresh` added: each failure once, the body under GitHub's limit. */
export function renderReport(existing: string | null, fresh: FailureReport[], ctx: ReportContext): RenderedReport {
  const parsed = parseBody(existing ?? '');
  const known = new Set(parsed.rows.map((r) => r.marker));
  const added: FailureReport[] = [];
  for (const r of fresh) {
    const marker = failureMarker(r);
    if (known.has(marker) || parsed.seen.has(remembered(marker))) continue;
    known.add(marker);
    added.push(r);
  }
  const rows: Row[] = [
    ...parsed.rows,
    ...added.map((r) => ({ line: () => reportRow(r), marker: failureMarker(r), reason: r.reason, report: r })),
  ];
  const listed: string[] = [];
  const counts = new Map(parsed.counts);
  const seen = new Set(parsed.seen);
  const counted: FailureReport[] = [];
  let size = 0;
  // Once one row did not fit, every later one is counted: the list stays in the order failures arrived. A body
  // that already counts some is full for new rows; its own rows stay listed (unless an older version overfilled it).
  let full = false;
  for (const row of rows) {
    if (row.report) full ||= parsed.counts.size > 0;
    const line = full ? '' : row.line();
    if (!full && size + line.length + 1 <= ROWS_BUDGET) {
      listed.push(line);
      size += line.length + 1;
      continue;
    }
    full = true;
    counts.set(row.reason, (counts.get(row.reason) ?? 0) + 1);
    if (seen.size < MAX_REMEMBERED) seen.add(remembered(row.marker));
    if (row.report) counted.push(row.report);
  }
  const head = reportHeader(ctx.feedstock, ctx.commit).trimEnd();
  const overflow = counts.size === 0 ? '' : `\n${overflowSection(counts, seen, ctx)}`;
  return { body: `${head}\n\n${listed.join('\n')}\n${overflow}`, added, counted };
}

function byReason(counts: Map<string, number>): [ReasonCode, number][] {
  return [...counts].filter((e): e is [ReasonCode, number] => isReasonCode(e[0])).sort((a, b) => b[1] - a[1]);
}

function fullList(ctx: ReportContext): string {
  const only = ctx.feedstock === UNATTRIBUTED ? '' : ` --feedstock ${ctx.feedstock}`;
  const ledger = `\`forgegate ledger failures${only}\``;
  return ctx.runLink === null
    ? `The administrators of this gate can list every one with ${ledger}.`
    : `Every one is listed in the summary of the run that found it ([latest run](${ctx.runLink})), and the ` +
        `administrators can list them with ${ledger}.`;
}

function overflowSection(counts: Map<string, number>, seen: Set<string>, ctx: ReportContext): string {
  const reasons = byReason(counts);
  const total = reasons.reduce((n, [, c]) => n + c, 0);
  return [
    `<!-- forgegate:overflow counts=${reasons.map(([r, c]) => `${r}:${c}`).join(',')} seen=${[...seen].join(',')} -->`,
    `**${total.toLocaleString('en-US')} more failures are not listed here** (one report lists at most ` +
      `${ROWS_BUDGET.toLocaleString('en-US')} characters of rows). By reason, each with what to do:`,
    '',
    ...reasons.map(([r, c]) => `- **${r}** × ${c.toLocaleString('en-US')}: ${fixFor(r)}`),
    '',
    fullList(ctx),
    '',
  ].join('\n');
}

/** The comment that tells a report's watchers about `rendered.added`: rows up to the budget, then counts. */
export function renderComment(rendered: RenderedReport, ctx: ReportContext): string {
  const lines: string[] = [];
  let size = 0;
  const rest = new Map<string, number>();
  for (const r of rendered.added) {
    // The markers stay in the body only: a comment is a notification, never read back.
    const line = rest.size === 0 ? reportRow(r).replace(/ <!-- forgegate:failure .*-->$/, '') : '';
    if (rest.size === 0 && size + line.length + 1 <= ROWS_BUDGET) {
      lines.push(line);
      size += line.length + 1;
    } else rest.set(r.reason, (rest.get(r.reason) ?? 0) + 1);
  }
  const more = byReason(rest);
  const total = more.reduce((n, [, c]) => n + c, 0);
  return [
    'More artifacts from this commit were not published:',
    '',
    ...lines,
    ...(total === 0
      ? []
      : [
          '',
          `…and ${total.toLocaleString('en-US')} more (${more.map(([r, c]) => `${r} ${c}`).join(', ')}): the ` +
            `issue counts them per reason with what to do. ${fullList(ctx)}`,
        ]),
  ].join('\n');
}
