import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { Ledger } from '../../ledger/ledger.js';
import { asLedgerError } from '../../ledger/open.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';
import { didYouMean } from '../../util/suggest.js';
import { textTable } from '../io.js';

/** One table cell: text as it is, numbers as digits, nothing for null. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const usage = `forgegate ledger [runs|failures|publications] --config C [--limit N] [--json]

Reads the ledger named in the config: recent runs (default), failures (rejections, transient failures and
alerts), or publications (every file forgegate published: the tombstones that make REPLAYED work).
Exit: 0 ok · 2 usage or config error · 8 the ledger is unusable (damaged, truncated or not forgegate's)`;

export const ledgerCommand: Command = {
  name: 'ledger',
  summary: 'Read the ledger: runs, failures, publications.',
  usage,
  examples: [
    'forgegate ledger runs --config forgegate.yml --limit 10',
    'forgegate ledger failures --config forgegate.yml --json',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.LEDGER_UNUSABLE],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      { config: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      { maxPositionals: 1, words: ['runs', 'failures', 'publications'] },
    );
    const view = positionals[0] ?? 'runs';
    if (!['runs', 'failures', 'publications'].includes(view))
      throw new ForgegateError(
        'FG_USAGE',
        `unknown ledger view "${view}"${didYouMean(view, ['runs', 'failures', 'publications'], (c) => `"${c}"`)}`,
        {
          fix: 'Use runs, failures or publications.',
        },
      );
    const limit = Number(values['limit'] ?? '50');
    if (!Number.isInteger(limit) || limit < 1)
      throw new ForgegateError('FG_USAGE', '--limit must be a positive integer', { fix: 'e.g. --limit 20' });
    const config = await loadConfig(required(values, 'config', usage));
    if (!existsSync(config.ledger))
      throw new ForgegateError('FG_USAGE', `no ledger at ${config.ledger} yet`, {
        fix: 'Run `forgegate reconcile` first.',
      });
    const ledger = new Ledger(config.ledger);
    try {
      const rows: object[] =
        view === 'runs'
          ? ledger.runs(limit)
          : view === 'failures'
            ? ledger.failures(limit)
            : ledger.publications(limit);
      if (values['json']) {
        io.out(JSON.stringify(rows, null, 2));
      } else if (rows.length === 0) {
        io.out(`no ${view} recorded`);
      } else {
        const header = Object.keys(rows[0]!);
        io.out(
          textTable(
            header,
            rows.map((r) => header.map((h) => cell((r as Record<string, unknown>)[h]))),
          ),
        );
      }
    } catch (e) {
      throw asLedgerError(e, config.ledger);
    } finally {
      ledger.close();
    }
    return ExitCode.OK;
  },
};
