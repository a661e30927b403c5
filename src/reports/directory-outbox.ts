// Failure reports as files: one Markdown file per feedstock and source commit, updated in place, never duplicated —
// the hidden per-failure markers in the file itself dedupe even when the ledger is lost.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailureReport, ReportSink, SecurityAlert } from '../model.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { UNATTRIBUTED, safeCommit, safeFeedstock } from './attribution.js';
import { mdCode, mdText } from './markdown.js';

export function failureMarker(r: Pick<FailureReport, 'subdir' | 'filename' | 'reason'>): string {
  return `<!-- forgegate:failure ${r.subdir}/${r.filename} ${r.reason} -->`;
}

function header(feedstock: string, commit: string | null): string {
  const title = commit ? `artifacts from commit ${commit.slice(0, 12)} were not published` : 'artifacts without a source commit were not published';
  return [
    `<!-- forgegate:report feedstock=${feedstock} commit=${commit ?? 'unknown'} -->`,
    `# forgegate: ${title}`,
    '',
    `Feedstock: ${mdCode(feedstock)}. Each row is one artifact forgegate refused to publish, with the reason code and what to do.`,
    '',
  ].join('\n');
}

function row(r: FailureReport): string {
  const run = r.runUrl ? ` ([CI run](${encodeURI(r.runUrl).replace(/[()]/g, encodeURIComponent)}))` : '';
  return `- ${mdCode(`${r.subdir}/${r.filename}`)} label ${mdCode(r.label ?? '-')}: **${r.reason}** — ${mdText(r.fix)} Detail: ${mdCode(r.detail)}${run} ${failureMarker(r)}`;
}

export class DirectoryOutbox implements ReportSink {
  readonly kind = 'directory';
  #root: string;
  #serial: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.#root = root;
  }

  async sendFailures(reports: FailureReport[]): Promise<void> {
    const groups = new Map<string, FailureReport[]>();
    for (const r of reports) {
      const key = `${safeFeedstock(r.feedstock) ?? UNATTRIBUTED}\0${safeCommit(r.commit) ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, list] of groups) {
      const [feedstock, commit] = key.split('\0') as [string, string];
      await this.#update(feedstock, commit || null, list);
    }
  }

  #update(feedstock: string, commit: string | null, reports: FailureReport[]): Promise<void> {
    const next = this.#serial.then(async () => {
      const dir = join(this.#root, feedstock);
      const file = join(dir, `${commit ?? 'unknown'}.md`);
      const existing = await readFile(file, 'utf8').catch(() => null);
      const body = existing ?? header(feedstock, commit);
      const fresh = reports.filter((r, i) => !body.includes(failureMarker(r)) && reports.findIndex((o) => failureMarker(o) === failureMarker(r)) === i);
      if (fresh.length === 0) return;
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(file, `${body.trimEnd()}\n${fresh.map(row).join('\n')}\n`);
    });
    this.#serial = next.catch(() => undefined);
    return next;
  }

  async sendAlert(alert: SecurityAlert): Promise<void> {
    const dir = join(this.#root, '_alerts');
    await mkdir(dir, { recursive: true });
    const at = new Date().toISOString();
    const file = join(dir, `${at.replace(/[:.]/g, '-')}-${alert.kind}.md`);
    const text = [`# SECURITY ALERT: ${alert.kind}`, '', `Artifact: ${mdCode(`${alert.subdir}/${alert.filename}`)}`, `Feedstock: ${mdCode(alert.feedstock ?? '-')}`, `Time: ${at}`, '', mdCode(alert.detail), ''].join('\n');
    await writeFileAtomic(file, text);
  }
}
