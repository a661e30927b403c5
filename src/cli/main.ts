#!/usr/bin/env node
// The forgegate CLI: a command table, and exactly two ways out — a reported error with its exit code, or a bug.
import { readFileSync } from 'node:fs';
import { ExitCode, ForgegateError, isForgegateError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { Command } from './command.js';
import { exitCodeLines } from './exit-codes.js';
import { commandHelp } from './help.js';
import { processIo, type Io } from './io.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  keygen: async () => (await import('./commands/keygen.js')).keygen,
  key: async () => (await import('./commands/key.js')).keyCommand,
  sign: async () => (await import('./commands/sign.js')).sign,
  check: async () => (await import('./commands/check.js')).check,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcileCommand,
  registry: async () => (await import('./commands/registry.js')).registryCommand,
  ledger: async () => (await import('./commands/ledger.js')).ledgerCommand,
  demo: async () => (await import('./commands/demo.js')).demo,
  yank: async () => (await import('./commands/yank.js')).yank,
};
const WORDS = [...Object.keys(COMMANDS), 'help', 'version'];

const HELP = `forgegate — the gate between a conda staging area and a channel

Usage: forgegate <command> [options]   (forgegate help <command>, or forgegate <command> --help, for details)

Commands:
  keygen      make a feedstock signing key (seed file + registry key entry)
  key         show the public key entry of a seed file again
  sign        write ARTIFACT.sig (a signed upload statement) beside each artifact
  check       PR-time dry run: may this feedstock publish these built artifacts?
  reconcile   plan and apply: publish, clean up, reject or wait for everything staged
  registry    init / lint / add-output / add-key / revoke-key on a registry checkout
  ledger      read the ledger: runs, failures, publications, history of one file or package
  demo        build a sandbox with keys, registry and signed artifacts, and reconcile it
  yank        take published files off the channel for good (to the "broken" label)
  help        help for one command
  version     print forgegate's version

EXAMPLES
  forgegate demo                                          # see it work, in ./forgegate-demo
  forgegate reconcile --config forgegate.yml --plan       # what a run would do now
  forgegate ledger history numpy --config forgegate.yml   # what happened to numpy's uploads

EXIT CODES
${exitCodeLines(Object.values(ExitCode)).join('\n')}

Set FORGEGATE_DEBUG=1 for a stack trace with an internal error.`;

function version(): string {
  // dist/src/cli/main.js and src/cli/main.ts both sit three folders below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return `forgegate ${pkg.version}`;
}

const INTERNAL_FIX = 'This is a bug in forgegate: please open an issue with the command you ran.';

/** `--json` among the flags (before a `--` terminator, after which it would be an artifact's name). */
function wantsJson(argv: string[]): boolean {
  const flags = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  return flags.includes('--json');
}

/**
 * An error, told to people on stderr (`error[CODE]: what` and `fix:`) and, under `--json`, to scripts on stdout as
 * `{"formatVersion": 1, "error": {code, message, fix}, "exitCode"}`: the same code, message and fix, so a script
 * that reads stdout never parses text.
 */
function reportError(io: Io, json: boolean, code: string, message: string, fix: string | null, exit: number): number {
  if (json) io.out(JSON.stringify({ formatVersion: 1, error: { code, message, fix }, exitCode: exit }, null, 2));
  io.err(`error[${code}]: ${message}${fix ? `\n  fix: ${fix}` : ''}`);
  return exit;
}

function unknownCommand(name: string): ForgegateError {
  return new ForgegateError(
    'FG_USAGE',
    `unknown command "${name}"${didYouMean(name, WORDS, (c) => `"forgegate ${c}"`)}`,
    { fix: 'Run `forgegate help` for the list of commands.' },
  );
}

async function load(name: string): Promise<Command | null> {
  const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return loader ? loader() : null;
}

async function dispatch(name: string | undefined, rest: string[], io: Io): Promise<number> {
  if (name === undefined)
    throw new ForgegateError('FG_USAGE', 'no command given', { fix: 'Run `forgegate help` for the list of commands.' });
  if (name === '--help' || name === '-h') {
    io.out(HELP);
    return ExitCode.OK;
  }
  if (name === 'version' || name === '--version') {
    io.out(version());
    return ExitCode.OK;
  }
  if (name === 'help') {
    if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
      io.out(HELP);
      return ExitCode.OK;
    }
    const command = await load(rest[0]!);
    if (!command) throw unknownCommand(rest[0]!);
    io.out(commandHelp(command));
    return ExitCode.OK;
  }
  const command = await load(name);
  if (!command) throw unknownCommand(name);
  // Only before a `--` terminator: after it, `--help` is a positional (an artifact could be named that).
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (flags.includes('--help') || flags.includes('-h')) {
    io.out(commandHelp(command));
    return ExitCode.OK;
  }
  return await command.run(rest, io);
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) io.out(HELP);
  try {
    return await dispatch(name, rest, io);
  } catch (e) {
    const json = wantsJson(argv);
    if (isForgegateError(e)) return reportError(io, json, e.code, e.message, e.fix ?? null, e.exitCode);
    const debug = io.env['FORGEGATE_DEBUG'] === '1';
    const message = (e as Error).message;
    if (json) reportError(io, true, 'FG_INTERNAL', message, INTERNAL_FIX, ExitCode.INTERNAL);
    else
      io.err(
        `internal error: ${message}\n` +
          `${debug ? ((e as Error).stack ?? '') : '  (set FORGEGATE_DEBUG=1 for a stack trace)'}\n  ${INTERNAL_FIX}`,
      );
    if (json && debug) io.err((e as Error).stack ?? '');
    return ExitCode.INTERNAL;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
