import { ExitCode, ForgegateError } from '../../errors.js';
import { isRegistryName } from '../../registry/layout.js';
import { toUtcString } from '../../util/time.js';
import { didYouMean } from '../../util/suggest.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { addKeyCommand, keyEntry, readSeedFile, registryKeyPath } from '../key-entry.js';

const usage = `forgegate key show --key-file SEED [--feedstock F] [--json]

Prints the public key entry of a seed file written by \`forgegate keygen\` (key id, public key) and the command an
admin runs to register it. The feedstock defaults to the seed file's name (numpy.seed → numpy).`;

export const keyCommand: Command = {
  name: 'key',
  summary: 'Show the public key entry of a seed file again.',
  usage,
  examples: [
    'forgegate key show --key-file ~/keys/numpy.seed          # the entry keygen printed',
    'forgegate key show --key-file "$SEED_FILE" --feedstock numpy --json',
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
      { 'key-file': { type: 'string' }, feedstock: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    const path = required(values, 'key-file', usage);
    const kp = await readSeedFile(path);
    const feedstock = optional(values, 'feedstock') ?? /([^/\\]+)\.seed$/.exec(path)?.[1] ?? 'FEEDSTOCK';
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
