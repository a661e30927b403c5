// The run summary: a text table for terminals and cron mail, Markdown for GITHUB_STEP_SUMMARY.
import { textTable } from '../cli/io.js';
import { mdCode, mdTable } from '../reports/markdown.js';
import type { ReconcileResult } from './run.js';

const DECISIONS = ['publish', 'cleanup', 'reject', 'wait'];
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
    i.outcome ?? i.decision,
    `${i.subdir}/${i.filename}`,
    i.feedstock ?? '-',
    i.label ?? '-',
    i.reason ?? '',
    i.detail ?? '',
  ]);
  const registry = result.registryCommit?.slice(0, 12) ?? '(folder)';
  const mode = result.mode === 'plan' ? 'plan' : 'run';
  const head = `forgegate ${mode} at ${result.now} · registry ${registry} · ${counts(result)}`;
  const kinds = (['signature', 'unknown-subdir', 'other'] as const)
    .map((k) => [STRAY_KIND[k], result.strays.filter((s) => s.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`)
    .join(', ');
  const strays =
    result.strays.length > 0
      ? `\nstrays: ${kinds} ` +
        `(${result.strays.filter((s) => s.delete).length} past retention${result.mode === 'apply' ? ', deleted' : ''})`
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
        .filter((i) => i.reason && i.fix && (i.outcome ?? i.decision).startsWith('reject'))
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
    reports
  );
}

export function renderMarkdownSummary(result: ReconcileResult): string {
  const rows = result.items.map((i) => [
    i.outcome ?? i.decision,
    mdCode(`${i.subdir}/${i.filename}`),
    mdCode(i.feedstock ?? '-'),
    i.reason ?? '',
    i.reason ? mdCode(i.detail ?? '') : '',
  ]);
  const table = rows.length ? mdTable(['decision', 'artifact', 'feedstock', 'reason', 'detail'], rows) : '';
  return `### forgegate ${result.mode} at ${result.now}\n\n${counts(result)}\n\n${table}\n\n`;
}
