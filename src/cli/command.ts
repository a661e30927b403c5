import type { ExitCodeValue } from '../errors.js';
import type { Io } from './io.js';

export interface Command {
  name: string;
  summary: string;
  /** The synopsis (first line) and what the command does. */
  usage: string;
  /** Command lines an operator can copy, each optionally followed by `  # what it does`. */
  examples: string[];
  /** The exit codes this command can return (their meanings come from cli/exit-codes.ts). */
  exitCodes: readonly ExitCodeValue[];
  /** Codes with a meaning of this command's own (e.g. `--detailed-exitcode`'s 2). */
  extraExits?: [number, string][];
  run(argv: string[], io: Io): Promise<number>;
}
