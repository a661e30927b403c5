// Turn rejections into failure reports, send each (feedstock, commit, artifact, reason) once, then remember it.
import type { ItemResult } from '../apply/outcome.js';
import { reportKey, type Ledger } from '../ledger/ledger.js';
import type { FailureReport, ReportSink } from '../model.js';
import { fixFor } from '../reasons.js';
import { UNVERIFIED_REASONS } from '../reports/attribution.js';
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

/** Returns how many reports were delivered; a sink failure leaves them unmarked so the next run tries again. */
export async function sendReports(
  reports: FailureReport[],
  sink: ReportSink,
  ledger: Ledger | null,
  nowMs: number,
): Promise<{ sent: number; error: string | null }> {
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
