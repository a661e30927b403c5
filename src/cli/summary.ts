// The run summary: a text table for terminals and cron mail, Markdown for GITHUB_STEP_SUMMARY, and the line an
// interrupted run leaves. Every name from staging goes through escapeControl (text) or mdCode (Markdown), so one
// name is one line whatever it holds.
import { shorten, textTable, wrap } from './io.js';
import { mdCode, mdTable } from '../reports/markdown.js';
import { escapeControl } from '../util/escape-control.js';
import { PHASE, type Interruption, type ReconcileResult } from '../reconcile/run.js';

export interface TextOptions {
  /**
   * Changes only (cron logs): what this run published, cleaned up or deleted, new rejections, failures, alerts and
   * new strays; an item an earlier run already decided the same way is left out, and a run with nothing new prints
   * nothing at all.
   */
  quiet?: boolean;
  /** The terminal's width: tables and listed names are shortened with `…` to fit; undefined keeps every line whole. */
  width?: number;
}

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

/** A staged name as one line of text: control characters escaped, and shortened in the middle to fit `width`. */
function stagedName(subdir: string | null, filename: string, width: number | undefined, indent: number): string {
  const name = escapeControl(`${subdir ?? '?'}/${filename}`);
  return width === undefined ? name : shorten(name, Math.max(20, width - indent), 'middle');
}

/** Which keyless evidence a publication rests on: publisher, signing time and Rekor entry. */
function evidenceNote(i: ReconcileResult['items'][number]): string | null {
  const k = i.passed.find((p) => p.evidence === 'sigstore.json');
  if (k?.evidence !== 'sigstore.json') return null;
  const logs = k.logs.map((l) => l.logIndex).join(', ');
  return escapeControl(`keyless: publisher ${k.publisher}, signed ${k.signingTime}, Rekor log index ${logs}`);
}

export function renderTextSummary(result: ReconcileResult, opts: TextOptions = {}): string {
  const quiet = opts.quiet ?? false;
  const items = quiet ? result.items.filter((i) => !i.seenBefore) : result.items;
  const listedStrays = quiet ? result.strays.filter((s) => !s.seenBefore || s.delete) : result.strays;
  const reportNews = result.reports.sent > 0 || result.reports.error !== null;
  if (quiet && items.length === 0 && listedStrays.length === 0 && !reportNews) return '';
  const rows = items.map((i) => [
    action(i, result.mode),
    `${i.subdir}/${i.filename}`,
    i.feedstock ?? '-',
    i.label ?? '-',
    i.reason ?? '',
    [
      i.detail,
      i.inspection === null || i.inspection === 'verified' ? null : i.inspection,
      adminNote(i),
      evidenceNote(i),
      ...i.warnings.map((w) => `warning: ${w}`),
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  const registry = escapeControl(result.registryCommit?.slice(0, 12) ?? '(folder)');
  const mode = result.mode === 'plan' ? 'plan' : 'run';
  const head =
    `forgegate ${mode} at ${result.now} · registry ${registry} · ${counts(result)}` +
    result.notices.map((n) => `\nnotice: ${escapeControl(n)}`).join('');
  const kinds = (['signature', 'unknown-subdir', 'other'] as const)
    .map((k) => [STRAY_KIND[k], listedStrays.filter((s) => s.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`)
    .join(', ');
  const doomed = listedStrays.filter((s) => s.delete);
  const fresh = quiet ? listedStrays.filter((s) => !s.delete) : [];
  const verb = result.mode === 'apply' ? 'deleted' : 'delete';
  const strays =
    listedStrays.length > 0
      ? `\n${quiet ? 'new strays and deletions' : 'strays'}: ${kinds} ` +
        `(${doomed.length} past retention${result.mode === 'apply' ? ', deleted' : ', to be deleted'})` +
        doomed.map((s) => `\n  ${verb} ${stagedName(s.subdir, s.filename, opts.width, verb.length + 3)}`).join('') +
        fresh.map((s) => `\n  new ${stagedName(s.subdir, s.filename, opts.width, 6)}`).join('')
      : '';
  const inspected = result.items.filter((i) => i.inspection === 'verified').length;
  const notInspected = result.items.filter((i) => i.inspection?.startsWith('not inspected')).length;
  const inspection =
    result.mode === 'plan' && !quiet && inspected + notInspected > 0
      ? `\nstaged bytes: ${inspected} verified${notInspected > 0 ? `, ${notInspected} not inspected` : ''}`
      : '';
  const reports =
    result.mode === 'apply' && (!quiet || reportNews)
      ? `\nreports sent: ${result.reports.sent}` +
        (result.reports.error
          ? ` (report delivery failed: ${escapeControl(result.reports.error)}; retried next run)`
          : '') +
        (result.indexWrites > 0 ? `\nchannel indexes written: ${result.indexWrites} (once per label and subdir)` : '')
      : '';
  const fixes = [
    ...new Map(
      items
        .filter((i) => i.reason && i.fix && (i.outcome ?? i.decision).match(/^(reject|failed)/))
        .map((i) => [i.reason!, i.fix!]),
    ).entries(),
  ]
    .map(([reason, fix]) => wrap(`  ${reason}: ${fix}`, opts.width, 4))
    .join('\n');
  return (
    [
      wrap(head, opts.width),
      rows.length > 0
        ? textTable(['decision', 'artifact', 'feedstock', 'label', 'reason', 'detail'], rows, {
            width: opts.width,
            fold: 2,
          })
        : '',
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

/**
 * GitHub refuses a step summary over 1 MiB, and a run can decide 20,000 uploads: the table holds rows up to this many
 * characters; the rest are counted per decision and reason (the whole list is in `--json` and the ledger).
 */
export const SUMMARY_MAX_TABLE_CHARS = 512 * 1024;

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
  let size = 0;
  const shown = rows.filter((r) => (size += r.join('').length + 24) <= SUMMARY_MAX_TABLE_CHARS);
  let table = shown.length ? mdTable(header, shown) : '';
  if (shown.length < rows.length) {
    const rest = new Map<string, number>();
    for (const i of result.items.slice(shown.length)) {
      const k = `${action(i, result.mode)}${i.reason ? ` ${i.reason}` : ''}`;
      rest.set(k, (rest.get(k) ?? 0) + 1);
    }
    const counted = [...rest].map(([k, n]) => `${n} ${k}`).join(', ');
    const more = rows.length - shown.length;
    table += `\n\nand ${more} more (${counted}): see \`forgegate reconcile --json\` or the ledger.`;
  }
  if (rows.length > SUMMARY_FOLD_ROWS)
    table = `<details><summary>${rows.length} artifacts</summary>\n\n${table}\n\n</details>`;
  const strays = result.strays.filter((s) => s.delete);
  const deleted =
    strays.length > 0
      ? `\n\n${result.mode === 'plan' ? 'To delete' : 'Deleted'} (strays past retention): ` +
        strays
          .slice(0, SUMMARY_FOLD_ROWS)
          .map((s) => mdCode(`${s.subdir ?? '?'}/${s.filename}`))
          .join(', ') +
        (strays.length > SUMMARY_FOLD_ROWS ? `, and ${strays.length - SUMMARY_FOLD_ROWS} more` : '')
      : '';
  return `### forgegate ${result.mode} at ${result.now}\n\n${counts(result)}\n\n${table}${deleted}\n\n`;
}

const OUTCOME_ORDER = ['published', 'cleaned', 'rejected', 'waiting', 'failed', 'alert'];

/** The line a run stopped by a signal leaves: what it finished, and what the next run does about the rest. */
export function renderInterruption(i: Interruption): string {
  const head = `interrupted (${i.signal}) while ${PHASE[i.phase]}`;
  if (i.mode === 'plan') return `${head}: a plan changes nothing; run it again for the whole plan.`;
  if (i.phase !== 'applying' && i.phase !== 'reporting')
    return `${head}: nothing in staging or the channel was changed; the next run starts over.`;
  const done = Object.entries(i.finished)
    .sort(([a], [b]) => OUTCOME_ORDER.indexOf(a) - OUTCOME_ORDER.indexOf(b))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const finished = done === '' ? 'nothing finished yet' : done;
  if (i.unfinished === 0)
    return (
      `${head}: ${finished}; every item was finished, failure reports not yet sent go out with the next run for ` +
      'uploads still in staging.'
    );
  const items = i.unfinished === 1 ? '1 item' : `${i.unfinished} items`;
  return (
    `${head}: ${finished}; ${items} not finished: the next run plans them again (it completes or sweeps ` +
    'whatever this run left half done).'
  );
}
