import { ExitCode, ForgegateError } from '../../errors.js';
import { isRegistryName } from '../../registry/layout.js';
import { toUtcString } from '../../util/time.js';
import { didYouMean } from '../../util/suggest.js';
import { optional, parse } from '../args.js';
import type { Command } from '../command.js';
import { addKeyCommand, keyEntry, readSeedFrom, registryKeyPath } from '../key-entry.js';

const usage = `forgegate key show (--key-file SEED | --key-env VAR) [--feedstock F] [--json]

Prints the public key entry of a seed written by \`forgegate keygen\` (key id, public key) and the command an
admin runs to register it. --key-env reads the seed from environment variable VAR (a CI secret), never printing it.
The feedstock defaults to the seed file's name (numpy.seed → numpy).`;

export const keyCommand: Command = {
  name: 'key',
  summary: 'Show the public key entry of a seed file again.',
  usage,
  examples: [
    'forgegate key show --key-file ~/keys/numpy.seed          # the entry keygen printed',
    'forgegate key show --key-env FORGEGATE_SEED --feedstock numpy --json   # which key is in the CI secret?',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE],
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'show')
      throw new ForgegateError(
        'FG_USAGE',
        `unknown key subcommand "${sub ?? ''}"${didYouMean(sub ?? '', ['show'], (c) => `"${c}"`)}`,
        { fix: `Usage: ${usage.split('\n')[0]}` },
      );
    const { values } = parse(
      rest,
      {
        'key-file': { type: 'string' },
        'key-env': { type: 'string' },
        feedstock: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    const path = optional(values, 'key-file');
    const kp = await readSeedFrom({ keyFile: path, keyEnv: optional(values, 'key-env') }, io.env, usage);
    const feedstock = optional(values, 'feedstock') ?? /([^/\\]+)\.seed$/.exec(path ?? '')?.[1] ?? 'FEEDSTOCK';
    if (!isRegistryName(feedstock))
      throw new ForgegateError('FG_USAGE', `"${feedstock}" is not a valid feedstock name`, {
        fix: 'Pass --feedstock with the feedstock name as the registry spells it.',
      });
    const entry = keyEntry(kp, feedstock, toUtcString(Date.now()));
    if (values['json']) {
      io.out(JSON.stringify({ formatVersion: 1, registryPath: registryKeyPath(feedstock), key: entry }, null, 2));
    } else {
      io.out(`key id ${entry.keyid}`);
      io.out(
        `registry key entry for ${registryKeyPath(feedstock)} (or: ${addKeyCommand(feedstock, entry.publicKey)}):`,
      );
      io.out(JSON.stringify(entry, null, 2));
    }
    return ExitCode.OK;
  },
};
