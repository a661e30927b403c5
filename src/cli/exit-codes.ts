// What each exit code means, in one place: every command's --help lists the ones it can return from here, and the
// the table in docs/reference.md says the same (test/cli/exit-codes.test.ts compares them).
import { ExitCode, SIGNAL_EXIT, type ExitCodeValue } from '../errors.js';

export const EXIT_MEANING: Record<ExitCodeValue, string> = {
  [ExitCode.OK]: 'ok',
  [ExitCode.NOT_PUBLISHABLE]: 'check: an artifact may not be published; registry lint: problems found',
  [ExitCode.CHANGES_PENDING]: 'reconcile --plan --detailed-exitcode only: changes are pending (never an error)',
  [ExitCode.REGISTRY_UNAVAILABLE]: 'the registry could not be read completely: nothing was applied',
  [ExitCode.LOCKED]: 'another run holds the ledger lock: this run did nothing',
  [ExitCode.PARTIAL]: 'some items failed transiently (I/O, network): the next run retries them',
  [ExitCode.SECURITY_ALERT]: 'security alert raised (see the alerts in the report sink)',
  [ExitCode.STORE_UNAVAILABLE]: 'a store (staging or target) could not be listed: nothing was applied',
  [ExitCode.LEDGER_UNUSABLE]: 'the ledger is unusable (FG_LEDGER_INVALID, FG_LEDGER): nothing ran',
  [ExitCode.CLOCK_UNTRUSTED]: 'the clock moved backwards or far forwards since the last run (FG_CLOCK): nothing ran',
  [ExitCode.UNSAFE_LAYOUT]: 'a folder forgegate works in lets others replace what it acts on (FG_UNSAFE_LAYOUT)',
  [ExitCode.PERMISSION]:
    'forgegate may not write where it must (FG_PERMISSION: EACCES, EPERM, EROFS on the channel, quarantine or ' +
    'an output file): fix the permissions',
  [ExitCode.USAGE]:
    'usage, config or input error (FG_USAGE, FG_CONFIG_INVALID, FG_INPUT_INVALID, FG_INPUT_MISSING): nothing ran',
  [ExitCode.INTERNAL]: 'internal error: a bug in forgegate, please report it',
};

export function exitCodeLines(codes: readonly ExitCodeValue[], extra: [number, string][] = []): string[] {
  return [...codes.map((c): [number, string] => [c, EXIT_MEANING[c]]), ...extra]
    .sort((a, b) => a[0] - b[0])
    .map(([c, m]) => `  ${String(c).padStart(3)}  ${m}`);
}

/** The codes a run stopped by a signal exits with, for the --help of commands that can be stopped mid-run. */
export const SIGNAL_EXIT_LINES: [number, string][] = [
  [SIGNAL_EXIT.SIGINT, 'interrupted by Ctrl-C (SIGINT): says what was finished; the ledger marks the run interrupted'],
  [SIGNAL_EXIT.SIGTERM, 'stopped by SIGTERM (a service stop): as Ctrl-C'],
];
