import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, ForgegateError } from '../../errors.js';
import { isRegistryName } from '../../registry/layout.js';
import { generateKeyPair, encodeKey } from '../../statement/keys.js';
import { toUtcString } from '../../util/time.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';
import { fsError } from '../../util/fs-errors.js';
import { addKeyCommand, keyEntry, publicEntryPath, registryKeyPath } from '../key-entry.js';

const usage = `forgegate keygen --feedstock F --dir DIR [--json]

Writes DIR/F.seed (the secret: a base64 Ed25519 seed, mode 0600; never overwritten) and DIR/F.public.json (the
public key entry to add to the registry at keys/<c1>/<c2>/<c3>/F.json, or with \`forgegate registry add-key\`),
and prints that entry. \`forgegate key show --key-file DIR/F.seed\` prints it again at any time.
Store the seed as a CI secret of the feedstock; do not commit it. (--out is the old spelling of --dir.)`;

export const keygen: Command = {
  name: 'keygen',
  summary: 'Make a feedstock signing key: a secret seed file and the public registry key entry.',
  usage,
  examples: [
    'forgegate keygen --feedstock numpy --dir ~/keys           # writes ~/keys/numpy.seed and numpy.public.json',
    'forgegate keygen --feedstock numpy --dir ~/keys --json    # the same, as JSON',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.PERMISSION],
  async run(argv, io) {
    const { values } = parse(
      argv,
      { feedstock: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' } },
      usage,
      { aliases: { out: 'dir' } },
    );
    const feedstock = required(values, 'feedstock', usage);
    if (!isRegistryName(feedstock))
      throw new ForgegateError('FG_USAGE', `"${feedstock}" is not a valid feedstock name`, {
        fix: 'Use the feedstock name as the registry spells it, e.g. numpy.',
      });
    const dir = resolve(required(values, 'dir', usage));
    await mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw fsError(e, dir, 'create the key folder');
    });
    const kp = generateKeyPair();
    const seedPath = join(dir, `${feedstock}.seed`);
    try {
      await writeFile(seedPath, `${encodeKey(kp.seed)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ForgegateError('FG_USAGE', `${seedPath} already exists; refusing to overwrite a secret key`, {
          fix:
            'Choose another --dir folder, or move the old seed away first. ' +
            `\`forgegate key show --key-file ${seedPath}\` prints its public entry.`,
        });
      }
      throw fsError(e, seedPath, 'write the seed');
    }
    const entry = keyEntry(kp, feedstock, toUtcString(Date.now()));
    const entryPath = publicEntryPath(seedPath);
    // Written before anything is printed: output into a closed pipe must not lose the only copy.
    await writeFile(entryPath, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o644 }).catch((e: unknown) => {
      throw fsError(e, entryPath, 'write the public key entry');
    });
    const registryPath = registryKeyPath(feedstock);
    if (values['json']) {
      io.out(
        JSON.stringify(
          { formatVersion: 1, seedFile: seedPath, publicEntryFile: entryPath, registryPath, key: entry },
          null,
          2,
        ),
      );
    } else {
      io.out(`secret seed written to ${seedPath} (mode 0600): add it to the feedstock's CI secrets`);
      io.out(`public key entry written to ${entryPath}\n`);
      io.out(`registry key entry for ${registryPath} (or: ${addKeyCommand(feedstock, entry.publicKey)}):`);
      io.out(JSON.stringify(entry, null, 2));
    }
    return ExitCode.OK;
  },
};
