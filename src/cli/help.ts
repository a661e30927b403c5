// One help layout for every command: what it does, EXAMPLES to copy, and the EXIT CODES it can return.
import type { Command } from './command.js';
import { exitCodeLines } from './exit-codes.js';

export function commandHelp(command: Command): string {
  return [
    command.summary,
    '',
    `Usage: ${command.usage}`,
    '',
    'EXAMPLES',
    ...command.examples.map((e) => `  ${e}`),
    '',
    'EXIT CODES',
    ...exitCodeLines(command.exitCodes, command.extraExits),
  ].join('\n');
}
