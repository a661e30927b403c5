import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { parseYankTarget, yankFiles } from '../../reconcile/yank.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';
import { textTable } from '../io.js';

const usage = `forgegate yank --config C --reason TEXT [--json] SUBDIR/FILENAME...

Takes published files off the channel for good: each moves from every label to the label "broken" (conda-forge's
convention; no client reads it by default), and the channel itself remembers it: a folder channel lists the file in
each label's repodata.json "removed", anaconda.org keeps it under "broken". So a later upload of the same file, or of
the other format of the same build, is REPLAYED even if the ledger is lost. The ledger records who did what and why.
Runs under the reconcile lock (exit 4 while a run holds it). A file the channel does not hold is reported, not an
error.`;

export const yank: Command = {
  name: 'yank',
  summary: 'Take published files off the channel for good (to the "broken" label).',
  usage,
  examples: [
    'forgegate yank --config forgegate.yml --reason "broken ABI, see #123" linux-64/foo-1.0-h0_0.conda',
    'forgegate yank --config forgegate.yml --reason CVE-2026-1 --json \\',
    '  noarch/bar-2.0-pyh0_0.conda noarch/bar-2.0-pyh0_0.tar.bz2   # both formats of one build',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.LOCKED, ExitCode.LEDGER_UNUSABLE, ExitCode.PERMISSION],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      { config: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      { maxPositionals: Infinity },
    );
    const config = await loadConfig(required(values, 'config', usage));
    const reason = required(values, 'reason', usage);
    if (positionals.length === 0)
      throw new ForgegateError('FG_USAGE', 'no SUBDIR/FILENAME given', { fix: `Usage: ${usage.split('\n')[0]}` });
    const files = positionals.map(parseYankTarget);
    const results = await yankFiles(config, files, reason, io.env);
    if (values['json']) {
      io.out(JSON.stringify({ formatVersion: 1, reason, files: results }, null, 2));
    } else {
      io.out(
        textTable(
          ['file', 'taken off', 'now under'],
          results.map((r) => [`${r.subdir}/${r.filename}`, r.from.join(', ') || '-', r.to ?? 'not in the channel']),
          { width: io.width },
        ),
      );
    }
    return ExitCode.OK;
  },
};
