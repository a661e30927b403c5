// The run summary: a text table for terminals and cron mail, Markdown for GITHUB_STEP_SUMMARY.
import { textTable } from '../cli/io.js';
import { mdCode, mdTable } from '../reports/markdown.js';
import type { ReconcileResult } from './run.js';

const DECISIONS = ['publish', 'cleanup', 'reject', 'wait', 'delete'];
/** Past this many rows the step summary folds its table into <details> (a page stays readable). */
export const SUMMARY_FOLD_ROWS = 50;

/** What the row says was (or will be) done: a deletion is never hidden behind `reject`. */
function action(i: ReconcileResult['items'][number], mode: ReconcileResult['mode']): string {
  const did = i.outcome ?? i.decision;
  if (!i.deleteStaged) return did;
  return mode === 'plan' ? `${did} + delete` : `${did} + deleted`;
}
const STRAY_KIND = {
  signature: 'signatures without an artifact',
  'unknown-subdir': 'files in folders that are not known subdirs',
  other: 'files that are neither artifacts nor signatures',
} as const;

function counts(result: ReconcileResult): string {
  const part = (keys: string[]): string =>
    keys
      .filter((k) => (result.summary[k] ?? 0) > 0)
      .map((k) => `${k} ${result.summary[k]}`)
      .join(', ');
  const planned = part(DECISIONS) || 'nothing staged';
  const done = part(Object.keys(result.summary).filter((k) => !DECISIONS.includes(k)));
  return done ? `plan: ${planned} → done: ${done}` : `plan: ${planned}`;
}

export function renderTextSummary(result: ReconcileResult): string {
  const rows = result.items.map((i) => [
    action(i, result.mode),
    `${i.subdir}/${i.filename}`,
    i.feedstock ?? '-',
    i.label ?? '-',
    i.reason ?? '',
    [
      i.detail,
      i.inspection === null || i.inspection === 'verified' ? null : i.inspection,
      adminNote(i),
      ...i.warnings.map((w) => `warning: ${w}`),
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const registry = result.registryCommit?.slice(0, 12) ?? '(folder)';
  const mode = result.mode === 'plan' ? 'plan' : 'run';
  const head = `forgegate ${mode} at ${result.now} · registry ${registry} · ${counts(result)}`;
  const kinds = (['signature', 'unknown-subdir', 'other'] as const)
    .map((k) => [STRAY_KIND[k], result.strays.filter((s) => s.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`)
    .join(', ');
  const doomed = result.strays.filter((s) => s.delete);
  const strays =
    result.strays.length > 0
      ? `\nstrays: ${kinds} ` +
        `(${doomed.length} past retention${result.mode === 'apply' ? ', deleted' : ', to be deleted'})` +
        doomed
          .map((s) => `\n  ${result.mode === 'apply' ? 'deleted' : 'delete'} ${s.subdir ?? '?'}/${s.filename}`)
          .join('')
      : '';
  const inspected = result.items.filter((i) => i.inspection === 'verified').length;
  const notInspected = result.items.filter((i) => i.inspection?.startsWith('not inspected')).length;
  const inspection =
    result.mode === 'plan' && inspected + notInspected > 0
      ? `\nstaged bytes: ${inspected} verified${notInspected > 0 ? `, ${notInspected} not inspected` : ''}`
      : '';
  const reports =
    result.mode === 'apply'
      ? `\nreports sent: ${result.reports.sent}` +
        (result.reports.error ? ` (report delivery failed: ${result.reports.error}; retried next run)` : '') +
        (result.indexWrites > 0 ? `\nchannel indexes written: ${result.indexWrites} (once per label and subdir)` : '')
      : '';
  const fixes = [
    ...new Map(
      result.items
        .filter((i) => i.reason && i.fix && (i.outcome ?? i.decision).match(/^(reject|failed)/))
        .map((i) => [i.reason!, i.fix!]),
    ).entries(),
  ]
    .map(([reason, fix]) => `  ${reason}: ${fix}`)
    .join('\n');
  return (
    [
      head,
      rows.length > 0 ? textTable(['decision', 'artifact', 'feedstock', 'label', 'reason', 'detail'], rows) : '',
      fixes ? `fixes:\n${fixes}` : '',
    ]
      .filter(Boolean)
      .join('\n') +
    strays +
    inspection +
    reports
  );
}

function adminNote(i: ReconcileResult['items'][number]): string | null {
  return i.adminCause === null ? null : `admin-side: ${i.adminCause}`;
}

export function renderMarkdownSummary(result: ReconcileResult): string {
  const rows = result.items.map((i) => [
    action(i, result.mode),
    mdCode(`${i.subdir}/${i.filename}`),
    mdCode(i.feedstock ?? '-'),
    mdCode(i.label ?? '-'),
    i.reason ?? '',
    // Our own text for the reason code: trusted, but kept on its row.
    i.fix ? i.fix.replace(/\|/g, '\\|') : '',
    i.reason ? mdCode([i.detail, adminNote(i)].filter(Boolean).join('; ')) : '',
  ]);
  const header = ['decision', 'artifact', 'feedstock', 'label', 'reason', 'fix', 'detail'];
  let table = rows.length ? mdTable(header, rows) : '';
  if (rows.length > SUMMARY_FOLD_ROWS)
    table = `<details><summary>${rows.length} artifacts</summary>\n\n${table}\n\n</details>`;
  const strays = result.strays.filter((s) => s.delete);
  const deleted =
    strays.length > 0
      ? `\n\n${result.mode === 'plan' ? 'To delete' : 'Deleted'} (strays past retention): ` +
        strays.map((s) => mdCode(`${s.subdir ?? '?'}/${s.filename}`)).join(', ')
      : '';
  return `### forgegate ${result.mode} at ${result.now}\n\n${counts(result)}\n\n${table}${deleted}\n\n`;
}
