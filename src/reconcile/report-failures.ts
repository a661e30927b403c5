// Turn rejections into failure reports, send each (feedstock, commit, artifact, reason) once, then remember it.
import type { ItemResult } from '../apply/outcome.js';
import { reportKey, type Ledger } from '../ledger/ledger.js';
import type { FailureReport, ReportSink } from '../model.js';
import { fixFor } from '../reasons.js';
import { toUtcString } from '../util/time.js';

export function failureReports(results: ItemResult[]): FailureReport[] {
  const out: FailureReport[] = [];
  for (const { item, outcome } of results) {
    if (outcome.kind !== 'rejected') continue;
    out.push({
      feedstock: item.feedstock, commit: item.sourceCommit, runUrl: item.sourceRunUrl, subdir: item.subdir, filename: item.filename,
      label: item.label, reason: outcome.reason, fix: fixFor(outcome.reason), detail: outcome.detail,
    });
  }
  return out;
}

/** Returns how many reports were delivered; a sink failure leaves them unmarked so the next run tries again. */
export async function sendReports(reports: FailureReport[], sink: ReportSink, ledger: Ledger | null, nowMs: number): Promise<{ sent: number; error: string | null }> {
  const fresh = ledger ? reports.filter((r) => !ledger.wasReported(reportKey(r))) : reports;
  if (fresh.length === 0) return { sent: 0, error: null };
  try {
    await sink.sendFailures(fresh);
  } catch (e) {
    return { sent: 0, error: (e as Error).message.split('\n')[0]!.slice(0, 300) };
  }
  if (ledger) {
    const at = toUtcString(nowMs);
    ledger.db.transaction(() => fresh.forEach((r) => ledger.markReported(r, at)))();
  }
  return { sent: fresh.length, error: null };
}
