// Where a failure report goes. Only names that are safe as folder / repository names pass through.
import type { FailureReport } from '../ports/reports.js';
import { isRegistryName } from '../registry/layout.js';

export const UNATTRIBUTED = '_unattributed';

export function safeFeedstock(feedstock: string | null): string | null {
  return feedstock !== null && isRegistryName(feedstock) ? feedstock : null;
}

export function safeCommit(commit: string | null): string | null {
  return commit !== null && /^[0-9a-f]{7,64}$/.test(commit) ? commit : null;
}

/**
 * Reasons met before a signature verified: everything in the statement is then the uploader's claim, so it never
 * chooses the commit its report is filed under (`unknown`).
 */
export const UNVERIFIED_REASONS: ReadonlySet<string> = new Set([
  'SIGNATURE_MISSING',
  'SIGNATURE_MALFORMED',
  'KEY_UNKNOWN',
  'SIGNATURE_INVALID',
]);

/** The de-duplication key: the report's destination as forgegate computes it (never raw statement text). */
export function reportKey(r: Pick<FailureReport, 'feedstock' | 'commit' | 'subdir' | 'filename' | 'reason'>): string {
  const feedstock = safeFeedstock(r.feedstock) ?? UNATTRIBUTED;
  return `${feedstock}|${safeCommit(r.commit) ?? '-'}|${r.subdir}/${r.filename}|${r.reason}`;
}
