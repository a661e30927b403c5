// Turn rejections into failure reports, send each (feedstock, commit, artifact, reason) once, then remember it.
import type { ItemResult } from '../apply/outcome.js';
import type { ReportedRow } from '../ledger/ledger.js';
import type { FailureReport, ReportSink } from '../ports/reports.js';
import { fixFor } from '../reasons.js';
import { reportKey, UNATTRIBUTED, UNVERIFIED_REASONS } from '../reports/attribution.js';
import { groupReports } from '../reports/report-format.js';
import { boundText } from '../util/bound-text.js';
import { toUtcString } from '../util/time.js';

/**
 * Before a signature verifies, everything in the statement is the uploader's claim. Such failures never choose
 * the commit (so they cannot open one report per invented commit), and a feedstock with no keys at all
 * (KEY_UNKNOWN: any string) is not trusted as an address: those go to the administrators.
 */
const UNVERIFIED: ReadonlySet<string> = UNVERIFIED_REASONS;

export function failureReports(results: ItemResult[]): FailureReport[] {
  const out: FailureReport[] = [];
  for (const { item, outcome } of results) {
    if (outcome.kind !== 'rejected') continue;
    const unverified = UNVERIFIED.has(outcome.reason);
    // An admin-side failure held it until its statement expired: the administrators answer for that.
    const admins = outcome.reason === 'KEY_UNKNOWN' || item.adminCause !== null;
    out.push({
      feedstock: admins ? null : item.feedstock,
      commit: unverified || admins ? null : item.sourceCommit,
      runUrl: unverified || admins ? null : item.sourceRunUrl,
      subdir: item.subdir,
      filename: item.filename,
      label: item.label,
      reason: outcome.reason,
      fix: fixFor(outcome.reason),
      detail:
        item.adminCause === null
          ? outcome.detail
          : `${outcome.detail}; held back by an admin-side failure (${item.adminCause}): the maintainers did ` +
            'nothing wrong, re-sign or ask them to re-run CI',
    });
  }
  return out;
}

/**
 * Each report (one feedstock and commit) is its own try: one that fails (GitHub refusing it, a repository gone) is
 * left unmarked, so the next run sends it again, and never stops the others. Returns how many failures were
 * delivered, and what went wrong (null: nothing), which makes the run exit 5.
 */
/** What was delivered before, and where a delivery is remembered (the run's record). */
export interface ReportMemory {
  wasReported(key: string): boolean;
  reported(rows: readonly ReportedRow[], at: string): void;
}

export async function sendReports(
  reports: FailureReport[],
  sink: ReportSink,
  memory: ReportMemory | null,
  nowMs: number,
): Promise<{ sent: number; error: string | null }> {
  const fresh = memory ? reports.filter((r) => !memory.wasReported(reportKey(r))) : reports;
  const groups = groupReports(fresh);
  const failed: string[] = [];
  let sent = 0;
  for (const g of groups) {
    try {
      await sink.sendFailures(g.reports);
    } catch (e) {
      const why = boundText((e as Error).message.split('\n')[0]!, 300);
      failed.push(`${g.feedstock ?? UNATTRIBUTED}${g.commit ? `@${g.commit.slice(0, 12)}` : ''}: ${why}`);
      continue;
    }
    memory?.reported(
      g.reports.map((r) => ({ key: reportKey(r), ...r })),
      toUtcString(nowMs),
    );
    sent += g.reports.length;
  }
  if (failed.length === 0) return { sent, error: null };
  const shown = failed.slice(0, 3).join('; ');
  const more = failed.length > 3 ? `; and ${failed.length - 3} more` : '';
  return { sent, error: `${failed.length} of ${groups.length} reports not delivered (${shown}${more})` };
}
