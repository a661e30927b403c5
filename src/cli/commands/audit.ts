import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { exportManifest } from '../../reconcile/audit.js';
import { didYouMean } from '../../util/suggest.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';

const SUBCOMMANDS = ['manifest'];

const usage = `forgegate audit manifest --config C --out FILE [--json]

Proves that everything in the channel came through the gate.
  manifest   export the ledger's publication log (append-only, each entry committing to the one before it by
             hash) as JSON Lines ending in a trailer with the entry count and head hash. Keep it where the channel
             token cannot write (see README "Auditing the channel"); anyone can audit the channel from it alone.
A log that does not verify (an entry edited, removed or moved) is FG_AUDIT_TAMPERED (exit 6).`;

export const audit: Command = {
  name: 'audit',
  summary: 'Prove that everything in the channel came through the gate.',
  usage,
  examples: ['forgegate audit manifest --config forgegate.yml --out audit/publications.jsonl   # export the log'],
  exitCodes: [ExitCode.OK, ExitCode.SECURITY_ALERT, ExitCode.LEDGER_UNUSABLE, ExitCode.PERMISSION, ExitCode.USAGE],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      { config: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      { maxPositionals: 1, words: SUBCOMMANDS },
    );
    const sub = positionals[0];
    if (sub !== 'manifest')
      throw new ForgegateError(
        'FG_USAGE',
        sub === undefined
          ? 'audit needs a subcommand'
          : `unknown audit subcommand "${sub}"${didYouMean(sub, SUBCOMMANDS, (c) => `"${c}"`)}`,
        { fix: `Usage: ${usage.split('\n')[0]}` },
      );
    const config = await loadConfig(required(values, 'config', usage));
    const out = required(values, 'out', usage);
    const { head, count } = await exportManifest(config, out);
    if (values['json']) io.out(JSON.stringify({ formatVersion: 1, manifest: out, entries: count, head }, null, 2));
    else io.out(`wrote ${count} entries to ${out}\nhead ${head}`);
    return ExitCode.OK;
  },
};
