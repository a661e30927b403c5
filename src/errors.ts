// One place for process exit codes and the user-facing error class (undici-style: a stable code per error).
// Scripts read these: 2 is never an error (it is `reconcile --plan --detailed-exitcode`'s "changes pending", as in
// Terraform), a usage error is 64 and a bug 70 (BSD sysexits' EX_USAGE and EX_SOFTWARE), every other error its own.
export const ExitCode = {
  OK: 0,
  /** `check`: at least one artifact may not be published; `registry lint`: problems found. */
  NOT_PUBLISHABLE: 1,
  /** `reconcile --plan --detailed-exitcode` only: applying would change something. Never an error. */
  CHANGES_PENDING: 2,
  /** The registry could not be read completely; the run stopped before applying anything. */
  REGISTRY_UNAVAILABLE: 3,
  /** Another run holds the ledger lock; this run did nothing. */
  LOCKED: 4,
  /** Some items failed for a transient reason; the next run retries them. */
  PARTIAL: 5,
  /** A security alert was raised (target confirmation mismatch, registry conflict). */
  SECURITY_ALERT: 6,
  /** A store (staging, target) could not be listed; nothing was applied. */
  STORE_UNAVAILABLE: 7,
  /** The ledger is unusable: damaged, truncated, not forgegate's, or cannot be opened. Nothing ran. */
  LEDGER_UNUSABLE: 8,
  /** The system clock moved backwards or far forwards since the last run; nothing ran. */
  CLOCK_UNTRUSTED: 9,
  /** A folder forgegate works in lets others replace what it acts on (staging, quarantine); nothing ran. */
  UNSAFE_LAYOUT: 10,
  /** forgegate may not write where it must (EACCES, EPERM, EROFS): an admin's fix; nothing more was applied. */
  PERMISSION: 11,
  /** `audit`: the channel holds something the gate did not put there (or lost something it did): see the findings. */
  AUDIT_FINDINGS: 12,
  /** `audit`: part of the channel could not be checked (unreadable, hostile or cut-short input); never "clean". */
  AUDIT_INCOMPLETE: 13,
  /** Bad flags, bad config, bad or missing input file (sysexits EX_USAGE). Nothing ran. */
  USAGE: 64,
  /** A bug in forgegate (sysexits EX_SOFTWARE). */
  INTERNAL: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A run stopped by a signal exits as a shell reports it: 128 + the signal number. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export type ErrorCode =
  | 'FG_USAGE'
  | 'FG_CONFIG_INVALID'
  | 'FG_INPUT_INVALID'
  | 'FG_INPUT_MISSING'
  | 'FG_PERMISSION'
  | 'FG_REGISTRY_UNAVAILABLE'
  | 'FG_REGISTRY_INVALID'
  | 'FG_REGISTRY_CONFLICT'
  | 'FG_LOCKED'
  | 'FG_STORE_UNAVAILABLE'
  | 'FG_STORE_CONFLICT'
  | 'FG_LEDGER'
  | 'FG_LEDGER_INVALID'
  | 'FG_HTTP'
  | 'FG_CLOCK'
  | 'FG_UNSAFE_LAYOUT'
  | 'FG_STAGING_CHANGED'
  | 'FG_AUDIT_TAMPERED'
  | 'FG_AUDIT_INCOMPLETE';

const EXIT_FOR: Record<ErrorCode, ExitCodeValue> = {
  FG_USAGE: ExitCode.USAGE,
  FG_CONFIG_INVALID: ExitCode.USAGE,
  FG_INPUT_INVALID: ExitCode.USAGE,
  FG_INPUT_MISSING: ExitCode.USAGE,
  FG_PERMISSION: ExitCode.PERMISSION,
  FG_REGISTRY_UNAVAILABLE: ExitCode.REGISTRY_UNAVAILABLE,
  FG_REGISTRY_INVALID: ExitCode.REGISTRY_UNAVAILABLE,
  FG_REGISTRY_CONFLICT: ExitCode.SECURITY_ALERT,
  FG_LOCKED: ExitCode.LOCKED,
  FG_STORE_UNAVAILABLE: ExitCode.STORE_UNAVAILABLE,
  FG_STORE_CONFLICT: ExitCode.PARTIAL,
  FG_LEDGER: ExitCode.LEDGER_UNUSABLE,
  FG_LEDGER_INVALID: ExitCode.LEDGER_UNUSABLE,
  FG_HTTP: ExitCode.STORE_UNAVAILABLE,
  FG_CLOCK: ExitCode.CLOCK_UNTRUSTED,
  FG_UNSAFE_LAYOUT: ExitCode.UNSAFE_LAYOUT,
  FG_STAGING_CHANGED: ExitCode.SECURITY_ALERT,
  FG_AUDIT_TAMPERED: ExitCode.SECURITY_ALERT,
  FG_AUDIT_INCOMPLETE: ExitCode.AUDIT_INCOMPLETE,
};

/**
 * An error a user can act on: `code` is stable, `fix` says what to do.
 * `transient` marks failures that a later run may not hit (network, 5xx, lock); the applier retries those next run.
 */
export class ForgegateError extends Error {
  override readonly name = 'ForgegateError';
  readonly code: ErrorCode;
  readonly fix: string | undefined;
  readonly transient: boolean;
  constructor(code: ErrorCode, message: string, opts: { fix?: string; transient?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.fix = opts.fix;
    this.transient = opts.transient ?? false;
  }
  get exitCode(): ExitCodeValue {
    return EXIT_FOR[this.code];
  }
}

export function isForgegateError(e: unknown): e is ForgegateError {
  return e instanceof ForgegateError;
}
