// `forgegate audit`: what the channel holds against what the gate published (the ledger's hash-chained log, or a
// manifest exported from it) plus a baseline of what was there before the gate. Reads the channel only; the one
// write is to the ledger, to remember which findings were reported.
import { existsSync } from 'node:fs';
import { manifestLines, ledgerLog } from '../audit/log-source.js';
import type { Config } from '../config/types.js';
import { ForgegateError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { writeLinesAtomic } from '../util/atomic-write.js';

/** The ledger named in the config, opened for writing (an older one is migrated, which adds the log). */
export function openAuditLedger(config: Config): Ledger {
  if (!existsSync(config.ledger))
    throw new ForgegateError('FG_USAGE', `there is no ledger at ${config.ledger} yet`, {
      fix: 'Run `forgegate reconcile` first, or audit from a manifest with --manifest FILE.',
    });
  return new Ledger(config.ledger);
}

/** Export the ledger's publication log, checked as it streams, to `out`: its head hash and entry count. */
export async function exportManifest(config: Config, out: string): Promise<{ head: string; count: number }> {
  const ledger = openAuditLedger(config);
  try {
    const source = ledgerLog(ledger, config.ledger);
    let trailer = '';
    const lines = (async function* () {
      for await (const line of manifestLines(source)) {
        trailer = line;
        yield line;
      }
    })();
    await writeLinesAtomic(out, lines);
    const t = JSON.parse(trailer) as { head: string; count: number };
    return { head: t.head, count: t.count };
  } finally {
    ledger.close();
  }
}
