// What each exit code means, in one place: every command's --help lists the ones it can return from here.
import { ExitCode, type ExitCodeValue } from '../errors.js';

export const EXIT_MEANING: Record<ExitCodeValue, string> = {
  [ExitCode.OK]: 'ok',
  [ExitCode.NOT_PUBLISHABLE]: 'check: an artifact may not be published; registry lint: problems found',
  [ExitCode.USAGE]: 'usage, config or input error (FG_USAGE, FG_CONFIG_INVALID, FG_INPUT_INVALID): nothing ran',
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
  [ExitCode.INTERNAL]: 'internal error: a bug in forgegate, please report it',
};

/** `reconcile --plan --detailed-exitcode` only: changes are pending (Terraform's convention). */
export const DETAILED_CHANGES = 2;

export function exitCodeLines(codes: readonly ExitCodeValue[], extra: [number, string][] = []): string[] {
  return [...codes.map((c): [number, string] => [c, EXIT_MEANING[c]]), ...extra]
    .sort((a, b) => a[0] - b[0])
    .map(([c, m]) => `  ${String(c).padStart(2)}  ${m}`);
}
