// The body of a failure report (file or issue), with hidden markers that make re-sending idempotent.
import { isArtifactFilename, isSubdir } from '../conda/filename.js';
import type { FailureReport, SecurityAlert } from '../ports/reports.js';
import { fixFor } from '../reasons.js';
import { sha256Hex } from '../util/digest.js';
import { mdCode } from './markdown.js';
import { UNATTRIBUTED, UNVERIFIED_REASONS, safeCommit, safeFeedstock } from './attribution.js';

/**
 * The hidden per-failure marker. Its key is built only from values forgegate checked: a conda subdir and artifact
 * name (their patterns hold no space, `<` or `>`) and a reason code; anything else is hashed.
 */
export function failureMarker(r: Pick<FailureReport, 'subdir' | 'filename' | 'reason'>): string {
  return `<!-- forgegate:failure ${markerSubject(r.subdir, r.filename)} ${r.reason} -->`;
}

/** The hidden marker of a security alert (one issue per kind and artifact), on the same terms. */
export function alertMarker(a: Pick<SecurityAlert, 'kind' | 'subdir' | 'filename'>): string {
  return `<!-- forgegate:alert ${a.kind} ${markerSubject(a.subdir, a.filename)} -->`;
}

/** A marker names at most this much of a subject (a channel serves 247-byte names, a subdir has 64 characters). */
const MAX_MARKER_SUBJECT = 320;

function markerSubject(subdir: string, filename: string): string {
  return isSubdir(subdir) && isArtifactFilename(filename) && subdir.length + 1 + filename.length <= MAX_MARKER_SUBJECT
    ? `${subdir}/${filename}`
    : `sha256:${sha256Hex(`${subdir}/${filename}`).slice(0, 32)}`;
}

export function reportHeader(feedstock: string, commit: string | null): string {
  return [
    reportMarker(feedstock, commit),
    `# ${reportTitle(commit)}`,
    '',
    `Feedstock: ${mdCode(feedstock)}. Each row is one artifact forgegate refused to publish, with the reason code ` +
      `and what to do.`,
    ...(commit === null
      ? [
          '',
          'Filed under `unknown`: no source commit can be trusted for these rows. Either the statement did not ' +
            'verify (no signature, a malformed one, or one no registered key made: an unverified statement cannot ' +
            'choose the commit its report is filed under), or a verified statement named no source commit.',
        ]
      : []),
    '',
  ].join('\n');
}

const MAX_RUN_URL = 500;

/** One failure. The fix is our own text for the reason code (trusted Markdown); everything else is escaped. */
export function reportRow(r: FailureReport): string {
  // The run URL is the uploader's claim: a link only when it is a plain https URL of a sensible length.
  const run =
    r.runUrl && r.runUrl.length <= MAX_RUN_URL && /^https:\/\/[^\s]+$/.test(r.runUrl)
      ? ` ([CI run](${encodeURI(r.runUrl).replace(/[()]/g, encodeURIComponent)}))`
      : '';
  const what = `${mdCode(`${r.subdir}/${r.filename}`)} label ${mdCode(r.label ?? '-')}`;
  const why =
    r.commit === null && UNVERIFIED_REASONS.has(r.reason)
      ? ' (filed under `unknown`: the statement did not verify, so its source commit is not trusted)'
      : '';
  return `- ${what}: **${r.reason}** — ${fixFor(r.reason)} Detail: ${mdCode(r.detail)}${why}${run} ` + failureMarker(r);
}

export function reportMarker(feedstock: string, commit: string | null): string {
  return `<!-- forgegate:report feedstock=${feedstock} commit=${commit ?? 'unknown'} -->`;
}

export function reportTitle(commit: string | null): string {
  return commit
    ? `forgegate: artifacts from commit ${commit.slice(0, 12)} were not published`
    : 'forgegate: artifacts without a trusted source commit were not published';
}

export interface ReportGroup {
  feedstock: string | null;
  commit: string | null;
  reports: FailureReport[];
}

/** One group per (feedstock, commit): each becomes one report file or one issue. Unsafe names fall to admins. */
export function groupReports(reports: FailureReport[]): ReportGroup[] {
  const groups = new Map<string, ReportGroup>();
  for (const r of reports) {
    const feedstock = safeFeedstock(r.feedstock);
    const commit = safeCommit(r.commit);
    const key = `${feedstock ?? UNATTRIBUTED}\0${commit ?? ''}`;
    const g = groups.get(key) ?? { feedstock, commit, reports: [] };
    g.reports.push(r);
    groups.set(key, g);
  }
  return [...groups.values()];
}
