import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, ForgegateError } from '../../errors.js';
import { DEFAULT_REGISTRY_CONFIG, isRegistryName, keyPath } from '../../registry/layout.js';
import { encodeKey, generateKeyPair } from '../../statement/keys.js';
import { toUtcString } from '../../util/time.js';
import { parse, required } from '../args.js';
import type { Command } from '../command.js';

const usage = `forgegate keygen --feedstock F --out DIR [--json]

Writes DIR/F.seed (the secret: a base64 Ed25519 seed, mode 0600; never overwritten) and prints the key entry
to add to the registry (keys/<c1>/<c2>/<c3>/F.json, or run \`forgegate registry add-key\`).
Store the seed as a CI secret of the feedstock; do not commit it.`;

export const keygen: Command = {
  name: 'keygen',
  summary: 'Make a feedstock signing key: a secret seed file and the public registry key entry.',
  usage,
  async run(argv, io) {
    const { values } = parse(
      argv,
      { feedstock: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
      usage,
    );
    const feedstock = required(values, 'feedstock', usage);
    if (!isRegistryName(feedstock))
      throw new ForgegateError('FG_USAGE', `"${feedstock}" is not a valid feedstock name`, {
        fix: 'Use the feedstock name as the registry spells it, e.g. numpy.',
      });
    const dir = resolve(required(values, 'out', usage));
    await mkdir(dir, { recursive: true });
    const kp = generateKeyPair();
    const seedPath = join(dir, `${feedstock}.seed`);
    try {
      await writeFile(seedPath, `${encodeKey(kp.seed)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ForgegateError('FG_USAGE', `${seedPath} already exists; refusing to overwrite a secret key`, {
          fix: 'Choose another --out folder, or move the old seed away first.',
        });
      }
      throw e;
    }
    const entry = {
      keyid: kp.keyid,
      publicKey: encodeKey(kp.publicKey),
      addedAt: toUtcString(Date.now()),
      notAfter: null,
      revokedAt: null,
      comment: `${feedstock} CI key`,
    };
    const registryPath = keyPath(feedstock, DEFAULT_REGISTRY_CONFIG);
    if (values['json']) {
      io.out(JSON.stringify({ seedFile: seedPath, registryPath, key: entry }, null, 2));
    } else {
      io.out(`secret seed written to ${seedPath} (mode 0600): add it to the feedstock's CI secrets\n`);
      io.out(
        `registry key entry for ${registryPath} (or: forgegate registry add-key REGISTRY --feedstock ${feedstock} ` +
          `--public-key ${entry.publicKey}):`,
      );
      io.out(JSON.stringify(entry, null, 2));
    }
    return ExitCode.OK;
  },
};
