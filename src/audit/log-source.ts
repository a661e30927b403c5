// Where an audit reads what the gate published: the ledger's publication log, or a manifest exported from it (JSON
// Lines, then a trailer with the count and head hash). Either is checked entry by entry as it streams (chain.ts), on
// every pass: a source that fails the chain stops the audit, never yields a false "clean".
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ForgegateError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { asLoggedEntry, ChainError, ChainVerifier, LOG_FORMAT_VERSION, type LoggedEntry } from './chain.js';

export const MANIFEST_KIND = 'forgegate publication log';

/** The last line of a manifest. */
export interface ManifestTrailer {
  manifest: typeof MANIFEST_KIND;
  formatVersion: number;
  count: number;
  head: string;
}

/** A manifest line may not be longer than this (an entry is well under 2 KiB): a huge line is refused, not read. */
const MAX_LINE = 64 * 1024;

export interface LogSource {
  /** Where the entries come from, for messages. */
  readonly name: string;
  /** Every entry (of one subdir when given), each checked against the whole chain before it. */
  entries(subdir?: string): AsyncGenerator<LoggedEntry, { hash: string; count: number }>;
}

function broken(source: string, e: unknown): ForgegateError {
  const detail = (e as Error).message;
  return new ForgegateError('FG_AUDIT_TAMPERED', `${source}: the publication log does not verify: ${detail}`, {
    fix:
      'Someone changed, removed or reordered entries of the log. Compare it with the last manifest kept where the ' +
      'channel token cannot write (see README "Auditing the channel") and treat the channel as untrusted until then.',
  });
}

/** The ledger's log: its indexed columns must say what each entry says (a hidden entry would escape a subdir pass). */
export function ledgerLog(ledger: Ledger, path: string): LogSource {
  return {
    name: `ledger ${path}`,
    // Synchronous underneath (SQLite), async for the interface a manifest shares.
    // eslint-disable-next-line @typescript-eslint/require-await
    async *entries(subdir?: string) {
      const chain = new ChainVerifier();
      for (const row of ledger.logRows()) {
        try {
          const e = chain.next(asLoggedEntry(JSON.parse(row.entry), chain.head.count + 1));
          if (e.seq !== row.seq || e.subdir !== row.subdir || e.filename !== row.filename)
            throw new ChainError('chain.fields', e.seq, 'the row does not match its entry');
          if (subdir === undefined || e.subdir === subdir) yield e;
        } catch (err) {
          throw broken(`ledger ${path}`, err);
        }
      }
      return chain.head;
    },
  };
}

/** A manifest file: entries, then one trailer whose count and head must be the chain's. */
export function manifestLog(path: string, expectHead?: string): LogSource {
  return {
    name: `manifest ${path}`,
    async *entries(subdir?: string) {
      const chain = new ChainVerifier();
      let trailer: ManifestTrailer | null = null;
      const stream = createReadStream(path, { encoding: 'utf8' });
      const opened = new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
      try {
        await opened;
      } catch (e) {
        throw new ForgegateError('FG_INPUT_MISSING', `cannot read the manifest ${path}: ${(e as Error).message}`, {
          fix: 'Name a file written by `forgegate audit manifest --out FILE`.',
        });
      }
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      try {
        for await (const line of lines) {
          if (line.length > MAX_LINE) throw new Error(`a line of ${line.length} characters (at most ${MAX_LINE})`);
          if (trailer !== null) throw new Error('lines after the trailer');
          const value = JSON.parse(line) as Record<string, unknown>;
          if (value['manifest'] !== undefined) {
            trailer = value as unknown as ManifestTrailer;
            continue;
          }
          const e = chain.next(asLoggedEntry(value, chain.head.count + 1));
          if (subdir === undefined || e.subdir === subdir) yield e;
        }
        if (trailer === null) throw new Error('no trailer: the manifest was cut short');
        if ((trailer.manifest as string) !== MANIFEST_KIND || trailer.formatVersion !== LOG_FORMAT_VERSION)
          throw new Error(`the trailer is not a version ${LOG_FORMAT_VERSION} forgegate manifest`);
        if (trailer.count !== chain.head.count || trailer.head !== chain.head.hash)
          throw new Error(
            `the trailer says ${trailer.count} entries ending ${trailer.head}, the chain ${chain.head.count} ending ` +
              chain.head.hash,
          );
        if (expectHead !== undefined && expectHead !== chain.head.hash)
          throw new Error(`its head ${chain.head.hash} is not the expected ${expectHead}`);
      } catch (err) {
        if (err instanceof ForgegateError) throw err;
        throw broken(`manifest ${path}`, err);
      } finally {
        lines.close();
        stream.destroy();
      }
      return chain.head;
    },
  };
}

/** The manifest's lines, in order (the caller writes them to a file). */
export async function* manifestLines(source: LogSource): AsyncGenerator<string> {
  const it = source.entries();
  for (;;) {
    const r = await it.next();
    if (r.done) {
      const trailer: ManifestTrailer = {
        manifest: MANIFEST_KIND,
        formatVersion: LOG_FORMAT_VERSION,
        count: r.value.count,
        head: r.value.hash,
      };
      yield JSON.stringify(trailer);
      return;
    }
    yield JSON.stringify(r.value);
  }
}
