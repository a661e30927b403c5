import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError, isForgegateError } from '../../errors.js';
import { Ledger } from '../../ledger/ledger.js';
import { asLedgerError } from '../../ledger/open.js';
import {
  failures,
  history,
  LEDGER_FORMAT_VERSION,
  publications,
  runs,
  type FileHistory,
  type View,
  type ViewFilter,
} from '../../ledger/views.js';
import { isReasonCode } from '../../reasons.js';
import { didYouMean } from '../../util/suggest.js';
import { escapeControl } from '../../util/escape-control.js';
import { toUtcString } from '../../util/time.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { textTable, type Io } from '../io.js';
import { timeFlag } from '../time-flags.js';

const VIEWS = ['runs', 'failures', 'publications', 'history'];

/** One table cell: text as it is, numbers as digits, nothing for null. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const usage = `forgegate ledger [runs|failures|publications|history NAME] --config C [--since T] [--feedstock F]
                 [--reason CODE] [--limit N] [--json]

Reads the ledger named in the config:
  runs           recent runs, with their status (ok, exit-N, interrupted) and counts
  failures       rejections (one row per upload and reason, with first and last seen and the number of runs),
                 transient failures and alerts, each with its time
  publications   every file forgegate published (the tombstones that make REPLAYED work)
  history NAME   every run that saw NAME (a file name, subdir/file, or a package name): first seen, decisions,
                 rejections, deletion, publication and reports, in time order
--since T (RFC 3339 UTC, or a duration back from now: 24h), --feedstock F and --reason CODE narrow a view; a view
cut short by --limit (default 50) says so. --json prints {"formatVersion": 1, "view": …, "rows": […],
"truncated": …} with camelCase keys.`;

export const ledgerCommand: Command = {
  name: 'ledger',
  summary: 'Read the ledger: runs, failures, publications, and the history of one file or package.',
  usage,
  examples: [
    'forgegate ledger history numpy-2.1.0-py312h1234567_0.conda --config forgegate.yml   # what happened to it',
    'forgegate ledger history numpy --config forgegate.yml --since 24h                   # every numpy file, today',
    'forgegate ledger failures --config forgegate.yml --feedstock numpy --reason SIGNATURE_EXPIRED',
    'forgegate ledger runs --config forgegate.yml --limit 10 --json',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.LEDGER_UNUSABLE],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        config: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        since: { type: 'string' },
        feedstock: { type: 'string' },
        reason: { type: 'string' },
      },
      usage,
      { maxPositionals: 2, words: VIEWS },
    );
    const view = positionals[0] ?? 'runs';
    if (!VIEWS.includes(view))
      throw new ForgegateError('FG_USAGE', `unknown ledger view "${view}"${didYouMean(view, VIEWS, (c) => `"${c}"`)}`, {
        fix: 'Use runs, failures, publications or history NAME.',
      });
    const name = positionals[1];
    if (view === 'history' && name === undefined)
      throw new ForgegateError('FG_USAGE', 'ledger history needs a file or package name', {
        fix: 'e.g. forgegate ledger history numpy --config C',
      });
    if (view !== 'history' && name !== undefined)
      throw new ForgegateError('FG_USAGE', `unexpected argument "${name}"`, {
        fix: `Only history takes a name: forgegate ledger history ${name} --config C`,
      });
    const limit = Number(values['limit'] ?? '50');
    if (!Number.isInteger(limit) || limit < 1)
      throw new ForgegateError('FG_USAGE', '--limit must be a positive integer', { fix: 'e.g. --limit 20' });
    const reason = optional(values, 'reason');
    if (reason !== undefined && !isReasonCode(reason) && !['failed', 'alert', 'FG_PERMISSION'].includes(reason))
      throw new ForgegateError('FG_USAGE', `--reason "${reason}" is not a reason code`, {
        fix: 'Use a code from the "Reason codes" table of docs/reference.md, e.g. --reason DIGEST_MISMATCH.',
      });
    const since = timeFlag(optional(values, 'since'), '--since', Date.now(), 'past');
    const feedstock = optional(values, 'feedstock');
    const filter: ViewFilter = {
      limit,
      ...(since !== undefined ? { since: toUtcString(since) } : {}),
      ...(feedstock !== undefined ? { feedstock } : {}),
      ...(reason !== undefined ? { reason } : {}),
    };
    const config = await loadConfig(required(values, 'config', usage));
    if (!existsSync(config.ledger))
      throw new ForgegateError('FG_USAGE', `no ledger at ${config.ledger} yet`, {
        fix: 'Run `forgegate reconcile` first.',
      });
    const ledger = openForViews(config.ledger);
    try {
      const result: View<object> =
        view === 'runs'
          ? runs(ledger, filter)
          : view === 'failures'
            ? failures(ledger, filter)
            : view === 'publications'
              ? publications(ledger, filter)
              : history(ledger, name!, filter);
      if (values['json']) {
        io.out(
          JSON.stringify(
            {
              formatVersion: LEDGER_FORMAT_VERSION,
              view,
              ...(name !== undefined ? { query: name } : {}),
              rows: result.rows,
              truncated: result.truncated,
              limit,
            },
            null,
            2,
          ),
        );
      } else {
        printView(io, view, name, result, limit);
      }
    } catch (e) {
      throw asLedgerError(e, config.ledger);
    } finally {
      ledger.close();
    }
    return ExitCode.OK;
  },
};

function printView(io: Io, view: string, name: string | undefined, result: View<object>, limit: number): void {
  if (result.rows.length === 0) {
    io.out(view === 'history' ? `the ledger has nothing about "${escapeControl(name ?? '')}"` : `no ${view} recorded`);
  } else if (view === 'history') {
    for (const h of result.rows as FileHistory[]) {
      io.out(
        `${escapeControl(h.artifact)} · feedstock ${escapeControl(h.feedstock ?? '-')} · first seen ` +
          `${h.firstSeenAt ?? '-'} · last outcome ${h.lastOutcome ?? '-'}` +
          (h.publishedAt ? ` · published ${h.publishedAt}` : ''),
      );
      io.out(
        textTable(
          ['at', 'event', 'run', 'outcome', 'reason', 'detail'],
          h.events.map((e) => [e.at, e.event, cell(e.runId), cell(e.outcome), cell(e.reason), cell(e.detail)]),
          { width: io.width },
        ),
      );
      io.out('');
    }
  } else {
    const header = Object.keys(result.rows[0]!);
    io.out(
      textTable(
        header,
        result.rows.map((r) => header.map((h) => cell((r as Record<string, unknown>)[h]))),
        { width: io.width },
      ),
    );
  }
  if (result.truncated)
    io.out(`(showing the latest ${limit}: more match; pass --limit N or narrow with --since, --feedstock, --reason)`);
}

/**
 * Views open the ledger as a run does (so an older schema is migrated once); on a ledger this user may not write,
 * they read it as it is.
 */
function openForViews(path: string): Ledger {
  try {
    return new Ledger(path);
  } catch (e) {
    if (isForgegateError(e) && e.code === 'FG_LEDGER') return new Ledger(path, { readOnly: true });
    throw e;
  }
}
