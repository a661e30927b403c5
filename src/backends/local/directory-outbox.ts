// Failure reports as files: one Markdown file per feedstock and source commit, updated in place, never duplicated —
// the hidden per-failure markers in the file itself dedupe even when the ledger is lost.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FailureReport, ReportSink, SecurityAlert } from '../../ports/reports.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { UNATTRIBUTED } from '../../reports/attribution.js';
import { mdCode } from '../../reports/markdown.js';
import { renderReport } from '../../reports/report-body.js';
import { groupReports } from '../../reports/report-format.js';

export class DirectoryOutbox implements ReportSink {
  readonly kind = 'directory';
  #root: string;
  #runLink: string | null;
  #serial: Promise<unknown> = Promise.resolve();

  /** `runLink`: where this run's full list can be read (the reconciler's CI run), named when a report overflows. */
  constructor(root: string, opts: { runLink?: string | null } = {}) {
    this.#root = root;
    this.#runLink = opts.runLink ?? null;
  }

  async sendFailures(reports: FailureReport[]): Promise<void> {
    for (const g of groupReports(reports)) await this.#update(g.feedstock ?? UNATTRIBUTED, g.commit, g.reports);
  }

  #update(feedstock: string, commit: string | null, reports: FailureReport[]): Promise<void> {
    const next = this.#serial.then(async () => {
      const dir = join(this.#root, feedstock);
      const file = join(dir, `${commit ?? 'unknown'}.md`);
      const existing = await readFile(file, 'utf8').catch(() => null);
      // The same bounded body as an issue: a report file is read by people and forwarded as it is.
      const { body, added } = renderReport(existing, reports, { feedstock, commit, runLink: this.#runLink });
      if (added.length === 0) return;
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(file, body);
    });
    this.#serial = next.catch(() => undefined);
    return next;
  }

  async sendAlert(alert: SecurityAlert): Promise<void> {
    const dir = join(this.#root, '_alerts');
    await mkdir(dir, { recursive: true });
    const at = new Date().toISOString();
    // Alerts are raised concurrently (the applier works on many items at once): one file each, never shared.
    const file = join(dir, `${at.replace(/[:.]/g, '-')}-${alert.kind}-${randomBytes(4).toString('hex')}.md`);
    const text = [
      `# SECURITY ALERT: ${alert.kind}`,
      '',
      `Artifact: ${mdCode(`${alert.subdir}/${alert.filename}`)}`,
      `Feedstock: ${mdCode(alert.feedstock ?? '-')}`,
      `Time: ${at}`,
      '',
      mdCode(alert.detail),
      '',
    ].join('\n');
    await writeFileAtomic(file, text);
  }
}
