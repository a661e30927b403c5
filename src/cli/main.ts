#!/usr/bin/env node
// The forgegate CLI: a command table, and exactly two ways out — a reported error with its exit code, or a bug.
import { ExitCode, isForgegateError } from '../errors.js';
import type { Command } from './command.js';
import { processIo, type Io } from './io.js';

const COMMANDS: Record<string, () => Promise<Command>> = {
  keygen: async () => (await import('./commands/keygen.js')).keygen,
  sign: async () => (await import('./commands/sign.js')).sign,
  check: async () => (await import('./commands/check.js')).check,
  reconcile: async () => (await import('./commands/reconcile.js')).reconcileCommand,
  registry: async () => (await import('./commands/registry.js')).registryCommand,
  ledger: async () => (await import('./commands/ledger.js')).ledgerCommand,
  demo: async () => (await import('./commands/demo.js')).demo,
};

const HELP = `forgegate — the gate between a conda staging area and a channel

Usage: forgegate <command> [options]   (forgegate <command> --help for details)

Commands:
  keygen      make a feedstock signing key (seed file + registry key entry)
  sign        write ARTIFACT.sig (a signed upload statement) beside each artifact
  check       PR-time dry run: may this feedstock publish these built artifacts?
  reconcile   plan and apply: publish, clean up, reject or wait for everything staged
  registry    lint / add-output / add-key / revoke-key on a registry checkout
  ledger      read the ledger: runs, failures, publications
  demo        build a sandbox with keys, registry and signed artifacts, and reconcile it

Exit codes: 0 ok · 1 check: not publishable / registry lint: problems · 2 usage or config error ·
            3 registry unavailable · 4 another run holds the lock · 5 some items failed transiently (retried next run) ·
            6 security alert · 7 a store could not be listed · 8 the ledger is unusable (damaged, not forgegate's) ·
            9 the clock moved backwards or far forwards since the last run ·
            10 unsafe staging or quarantine layout · 70 internal error`;

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version') {
    io.out('forgegate 0.1.0');
    return ExitCode.OK;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(`error[FG_USAGE]: unknown command "${name}"\n  fix: run \`forgegate --help\` for the list of commands`);
    return ExitCode.USAGE;
  }
  const command = await load();
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${command.summary}\n\nUsage: ${command.usage}`);
      return ExitCode.OK;
    }
    return await command.run(rest, io);
  } catch (e) {
    if (isForgegateError(e)) {
      io.err(`error[${e.code}]: ${e.message}${e.fix ? `\n  fix: ${e.fix}` : ''}`);
      return e.exitCode;
    }
    const debug = io.env['FORGEGATE_DEBUG'] === '1';
    io.err(
      `internal error: ${(e as Error).message}\n` +
        `${debug ? ((e as Error).stack ?? '') : '  (set FORGEGATE_DEBUG=1 for a stack trace)'}\n` +
        '  This is a bug in forgegate: please open an issue with the command you ran.',
    );
    return ExitCode.INTERNAL;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  import.meta.url === new URL(`file://${(await import('node:fs')).realpathSync(process.argv[1])}`).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
