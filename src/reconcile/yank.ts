// An administrator takes published files off for good (a yank): under the run lock, through the target store,
// which records it where the channel itself keeps it, and in the ledger's history of admin actions.
import type { Config } from '../config/types.js';
import { isArtifactFilename, isSubdir } from '../conda/filename.js';
import { ForgegateError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { RunLock } from '../ledger/lock.js';
import type { YankOutcome } from '../ports/target.js';
import { toUtcString } from '../util/time.js';
import type { Stores } from '../ports/stores.js';
import { recordAdminAction } from './record.js';
import { createStores } from './wiring.js';

export interface YankResult extends YankOutcome {
  subdir: string;
  filename: string;
}

/** `subdir/filename` → its parts, or a usage error naming the bad input. */
export function parseYankTarget(text: string): { subdir: string; filename: string } {
  const [subdir, filename, ...rest] = text.split('/');
  if (
    subdir === undefined ||
    filename === undefined ||
    rest.length > 0 ||
    !isSubdir(subdir) ||
    !isArtifactFilename(filename)
  )
    throw new ForgegateError('FG_USAGE', `"${text}" is not SUBDIR/FILENAME of a conda artifact`, {
      fix: 'Name the file as the channel lists it, e.g. linux-64/numpy-2.1.0-py312h1234567_0.conda.',
    });
  return { subdir, filename };
}

export async function yankFiles(
  config: Config,
  files: { subdir: string; filename: string }[],
  reason: string,
  env: NodeJS.ProcessEnv,
): Promise<YankResult[]> {
  const ledger = new Ledger(config.ledger);
  const lock = new RunLock(ledger);
  let stores: Stores | null = null;
  try {
    stores = createStores(config, { env });
    // A reconcile publishing meanwhile could rewrite the same index: yanks wait their turn like a run.
    lock.acquire();
    const results: YankResult[] = [];
    for (const f of files) {
      const outcome = await stores.target.yank(f.subdir, f.filename);
      if (outcome.to !== null)
        recordAdminAction(
          ledger,
          {
            action: 'yank',
            subdir: f.subdir,
            filename: f.filename,
            detail: JSON.stringify({ from: outcome.from, to: outcome.to, reason }),
            at: toUtcString(Date.now()),
          },
          { from: outcome.from, to: outcome.to, reason },
        );
      results.push({ ...f, ...outcome });
    }
    return results;
  } finally {
    lock.release();
    await stores?.close();
    ledger.close();
  }
}
