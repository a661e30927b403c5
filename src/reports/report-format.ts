// The body of a failure report (file or issue), with hidden markers that make re-sending idempotent.
import { isArtifactFilename, isSubdir } from '../conda/filename.js';
import type { FailureReport, SecurityAlert } from '../model.js';
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

function markerSubject(subdir: string, filename: string): string {
  return isSubdir(subdir) && isArtifactFilename(filename)
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

/** One failure. The fix is our own text for the reason code (trusted Markdown); everything else is escaped. */
export function reportRow(r: FailureReport): string {
  const run =
    r.runUrl && /^https:\/\/[^\s]+$/.test(r.runUrl)
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

/**
 * The markers that end a row of `body`. Only the end counts: a detail is uploader text and may quote a marker, but
 * mdCode keeps it on its row and every row ends with its own marker.
 */
function rowMarkers(body: string): Set<string> {
  const markers = new Set<string>();
  for (const line of body.split('\n')) {
    const at = line.lastIndexOf('<!-- forgegate:failure ');
    if (at >= 0) markers.add(line.slice(at).trimEnd());
  }
  return markers;
}

/** The failures not yet listed in `body` (by marker), each once. */
export function unlisted(body: string, reports: FailureReport[]): FailureReport[] {
  const listed = rowMarkers(body);
  const seen = new Set<string>();
  return reports.filter((r) => {
    const m = failureMarker(r);
    if (listed.has(m) || seen.has(m)) return false;
    seen.add(m);
    return true;
  });
}
