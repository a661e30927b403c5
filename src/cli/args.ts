// Thin wrapper over node:util parseArgs: unknown flags and missing values become usage errors that name the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ForgegateError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(
  argv: string[],
  options: Options,
  usage: string,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (e) {
    throw new ForgegateError('FG_USAGE', (e as Error).message, { fix: `Usage: ${usage.split('\n')[0]} (see --help)` });
  }
}

export function required(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0)
    throw new ForgegateError('FG_USAGE', `missing --${name}`, { fix: `Usage: ${usage.split('\n')[0]}` });
  return v;
}

export function optional(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
