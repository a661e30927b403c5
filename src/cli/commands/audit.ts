import { loadConfig } from '../../config/load.js';
import type { Finding } from '../../audit/findings.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { exportManifest, runAudit, takeBaseline, type AuditResult } from '../../reconcile/audit.js';
import { escapeControl } from '../../util/escape-control.js';
import { didYouMean } from '../../util/suggest.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { textTable, type Io } from '../io.js';

const SUBCOMMANDS = ['manifest', 'baseline'];

const usage = `forgegate audit --config C [--baseline DIR] [--manifest FILE [--expect-head HASH]] [--full]
                [--no-report] [--json]
       forgegate audit baseline --config C --out DIR [--json]
       forgegate audit manifest --config C --out FILE [--json]

Proves that everything in the channel came through the gate, and that nothing the gate published changed. Reads
the channel (every label and subdir) and compares it with the gate's publication log (the ledger's, or a manifest
exported from it: --manifest) plus a baseline of what was there before the gate (--baseline). Never changes the
channel. Findings (stable codes):
  AUDIT_UNKNOWN_FILE          critical  in the channel, but neither the log nor the baseline knows it (a bypass)
  AUDIT_REPLACED              critical  a known file's sha256, md5 or size changed
  AUDIT_REUPLOADED            high      a known file's upload time is not the one read back after publishing
  AUDIT_LABELS_CHANGED        high      under other labels than the log says, with no admin's record (rc → main)
  AUDIT_ATTESTATIONS_CHANGED  high      a folder channel's F.sigs or attestations_sha256 is not what the gate served
  AUDIT_GONE                  warning   a published file is in no label any more (an admin's yank is recorded: fine)
Each new finding is sent once, as a security alert, through the configured reports and remembered in the ledger.
Part of the channel that cannot be read (hostile, looping or huge answers) is listed as not checked: exit 13,
never "clean". --full checks every upload time (anaconda.org: one lookup per package name, not only names whose
files changed since the last audit) and, on a folder channel, re-hashes every stored file (sha256 and md5), so
bytes swapped at equal size with the mtime put back show as AUDIT_REPLACED. Memory stays bounded whatever the
channel's size: what is read is sorted in a temporary SQLite file under the OS temp folder, deleted afterwards.
  baseline   the channel now, one sorted JSON Lines file per subdir (file, subdir, labels, sha256, md5, size,
             uploadedAt): commit it once, before the gate takes over
  manifest   the ledger's publication log (append-only, each entry committing to the one before by hash) as JSON
             Lines with a trailer (count, head hash): keep it where the channel token cannot write
--json prints {"formatVersion": 1, "status", "log", "checked", "notChecked", "counts", "findings", "reported"}.
A log or manifest that does not verify (an entry edited, removed or moved) is FG_AUDIT_TAMPERED (exit 6).`;

function findingRows(findings: Finding[], limit: number): string[][] {
  return findings
    .slice(0, limit)
    .map((f) => [f.severity, f.code, escapeControl(`${f.subdir}/${f.filename}`), escapeControl(f.detail)]);
}

function summary(r: AuditResult, io: Io): void {
  const files = r.checked.reduce((n, c) => n + c.files, 0);
  io.out(
    `audited ${files} files in ${r.checked.length} subdirs of the ${r.channel} channel against ${r.log.source} ` +
      `(${r.log.entries} entries, head ${r.log.head.slice(0, 16)}…)${r.baseline ? ` and baseline ${r.baseline}` : ''}`,
  );
  if (r.findings.length > 0) {
    const shown = 50;
    io.out(textTable(['severity', 'code', 'file', 'detail'], findingRows(r.findings, shown), { width: io.width }));
    if (r.findings.length > shown) io.out(`… and ${r.findings.length - shown} more (--json lists every one)`);
  }
  for (const n of r.notChecked) io.out(`NOT CHECKED ${escapeControl(n.where)}: ${escapeControl(n.why)}`);
  const counts = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`);
  io.out(
    r.status === 'clean'
      ? 'clean: everything in the channel came through the gate or is in the baseline'
      : r.status === 'findings'
        ? `FINDINGS: ${counts.join(', ')}`
        : `INCOMPLETE: ${r.notChecked.length} part(s) not checked` +
          (counts.length ? `; findings: ${counts.join(', ')}` : ''),
  );
  const rep = r.reported;
  if (rep.skipped !== null) io.out(`reports: none sent (${rep.skipped})`);
  else io.out(`reports: ${rep.sent} sent, ${rep.alreadyReported} reported before${rep.error ? `; ${rep.error}` : ''}`);
}

export const audit: Command = {
  name: 'audit',
  summary: 'Prove that everything in the channel came through the gate.',
  usage,
  examples: [
    'forgegate audit baseline --config forgegate.yml --out audit/baseline    # once, before the gate takes over',
    'forgegate audit --config forgegate.yml --baseline audit/baseline        # on a schedule, next to reconcile',
    'forgegate audit manifest --config forgegate.yml --out audit/publications.jsonl   # export the log',
    'forgegate audit --config forgegate.yml --manifest audit/publications.jsonl --baseline audit/baseline --json',
  ],
  exitCodes: [
    ExitCode.OK,
    ExitCode.SECURITY_ALERT,
    ExitCode.LEDGER_UNUSABLE,
    ExitCode.PERMISSION,
    ExitCode.AUDIT_FINDINGS,
    ExitCode.AUDIT_INCOMPLETE,
    ExitCode.USAGE,
  ],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        config: { type: 'string' },
        out: { type: 'string' },
        baseline: { type: 'string' },
        manifest: { type: 'string' },
        'expect-head': { type: 'string' },
        full: { type: 'boolean' },
        'no-report': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      usage,
      { maxPositionals: 1, words: SUBCOMMANDS },
    );
    const sub = positionals[0];
    if (sub !== undefined && !SUBCOMMANDS.includes(sub))
      throw new ForgegateError(
        'FG_USAGE',
        `unknown audit subcommand "${sub}"${didYouMean(sub, SUBCOMMANDS, (c) => `"${c}"`)}`,
        { fix: 'Use `forgegate audit`, `forgegate audit baseline` or `forgegate audit manifest` (see --help).' },
      );
    const config = await loadConfig(required(values, 'config', usage));
    const json = values['json'] === true;
    if (sub === 'manifest') {
      const out = required(values, 'out', usage);
      const { head, count } = await exportManifest(config, out);
      if (json) io.out(JSON.stringify({ formatVersion: 1, manifest: out, entries: count, head }, null, 2));
      else io.out(`wrote ${count} entries to ${out}\nhead ${head}`);
      return ExitCode.OK;
    }
    if (sub === 'baseline') {
      const out = required(values, 'out', usage);
      const subdirs = await takeBaseline(config, out, io.env);
      if (json) io.out(JSON.stringify({ formatVersion: 1, baseline: out, subdirs }, null, 2));
      else
        io.out(
          textTable(
            ['subdir', 'files', 'lines'],
            subdirs.map((s) => [s.subdir, String(s.files), String(s.lines)]),
            { width: io.width },
          ) + `\nbaseline written to ${out}`,
        );
      return ExitCode.OK;
    }
    const manifest = optional(values, 'manifest');
    const expectHead = optional(values, 'expect-head');
    if (expectHead !== undefined && manifest === undefined)
      throw new ForgegateError('FG_USAGE', '--expect-head needs --manifest', {
        fix: 'Pass the manifest whose head you expect: --manifest FILE --expect-head HASH.',
      });
    const baseline = optional(values, 'baseline');
    const result = await runAudit(
      config,
      {
        ...(baseline !== undefined ? { baseline } : {}),
        ...(manifest !== undefined ? { manifest } : {}),
        ...(expectHead !== undefined ? { expectHead } : {}),
        full: values['full'] === true,
        report: values['no-report'] !== true,
      },
      io.env,
    );
    if (json) io.out(JSON.stringify(result, null, 2));
    else summary(result, io);
    return result.status === 'clean'
      ? ExitCode.OK
      : result.status === 'findings'
        ? ExitCode.AUDIT_FINDINGS
        : ExitCode.AUDIT_INCOMPLETE;
  },
};
