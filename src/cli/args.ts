// Thin wrapper over node:util parseArgs: unknown flags, stray words and missing values are usage errors that name
// the bad input and, where one is close, the flag or word that was meant.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ForgegateError } from '../errors.js';
import { closest } from '../util/suggest.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ParseSpec {
  /** How many positional arguments the command takes (default: none). */
  maxPositionals?: number;
  /** Old spelling → the flag's one name now; both are accepted, never both at once. */
  aliases?: Record<string, string>;
  /** Words that are meant positionally (subcommands, views): suggested for a stray word. */
  words?: readonly string[];
}

function usageFix(usage: string): string {
  return `Usage: ${usage.split('\n')[0]} (see --help)`;
}

export function parse(
  argv: string[],
  options: Options,
  usage: string,
  spec: ParseSpec = {},
): { values: Values; positionals: string[] } {
  const aliases = spec.aliases ?? {};
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
  for (const [old, name] of Object.entries(aliases)) all[old] = options[name]!;
  const flagNames = Object.keys(options);
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  } catch (e) {
    const message = (e as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) {
      const near = closest(unknown.replace(/^-+/, '').split('=')[0]!, flagNames);
      throw new ForgegateError(
        'FG_USAGE',
        `unknown flag ${unknown}${near === null ? '' : ` (did you mean --${near}?)`}`,
        { fix: usageFix(usage) },
      );
    }
    throw new ForgegateError('FG_USAGE', message.split('\n')[0]!, { fix: usageFix(usage) });
  }
  const values: Values = Object.fromEntries(Object.entries(parsed.values).filter(([k]) => !Object.hasOwn(aliases, k)));
  for (const [old, name] of Object.entries(aliases)) {
    if (parsed.values[old] === undefined) continue;
    if (values[name] !== undefined)
      throw new ForgegateError('FG_USAGE', `--${old} and --${name} are the same flag: pass it once`, {
        fix: `Use --${name} (--${old} is its old spelling).`,
      });
    values[name] = parsed.values[old];
  }
  const max = spec.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    const stray = parsed.positionals[max]!;
    // `reconcile plan` meant `--plan`: a stray word that names a flag (or a view) is never silently ignored.
    const word = closest(stray, spec.words ?? []);
    const flag = closest(stray.replace(/^-+/, ''), flagNames);
    const hint = word !== null ? ` (did you mean "${word}"?)` : flag !== null ? ` (did you mean --${flag}?)` : '';
    throw new ForgegateError('FG_USAGE', `unexpected argument "${stray}"${hint}`, { fix: usageFix(usage) });
  }
  return { values, positionals: parsed.positionals };
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
