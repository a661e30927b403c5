import { writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isSubdir } from '../../conda/filename.js';
import { verifyArtifactFile } from '../artifact-file.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { buildStatement, signEnvelope } from '../../statement/sign.js';
import type { StatementSource } from '../../statement/statement.js';
import { parseDuration } from '../../util/time.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { fsError } from '../../util/fs-errors.js';
import { readSeedFrom } from '../key-entry.js';

const usage = `forgegate sign --feedstock F (--key-env VAR | --key-file SEED) --channel URL --label L [--subdir S]
               [--expires-in 24h] [--source-repository R --source-commit C --source-run-url U] [--json] ARTIFACT...

Reads each artifact (checking it is a sound conda package), then writes ARTIFACT.sig beside it: a DSSE envelope
around an upload statement v1 binding the file's name, subdir, size, sha256 and md5 to the feedstock, channel
and label, signed with the Ed25519 seed (what \`forgegate keygen\` wrote to FEEDSTOCK.seed). In CI, keep the seed
in a secret and pass it in an environment variable: --key-env VAR reads it from VAR, so it is never written to
disk, and no message ever prints it; --key-file SEED reads it from a file. The subdir is --subdir, else the
artifact's folder name (conda-build's output layout), and must agree with the artifact's info/index.json. Prints
the full key id that signed (the id \`registry revoke-key --key-id\` takes). A path that does not exist (a glob
that matched nothing) is an error.`;

export const sign: Command = {
  name: 'sign',
  summary: 'Write ARTIFACT.sig (a signed upload statement v1) beside each artifact.',
  usage,
  examples: [
    'forgegate sign --feedstock numpy --key-env FORGEGATE_SEED --channel https://conda.example.org/forge \\',
    '  --label main build_artifacts/*/*.conda build_artifacts/*/*.tar.bz2   # CI: seed in a secret; every subdir',
    'forgegate sign --feedstock numpy --key-file numpy.seed --channel https://conda.example.org/forge \\',
    '  --label rc --subdir linux-64 dist/numpy-2.1.0-py312h1234567_0.conda  # a file outside its subdir folder',
  ],
  exitCodes: [ExitCode.OK, ExitCode.USAGE, ExitCode.PERMISSION],
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        feedstock: { type: 'string' },
        'key-file': { type: 'string' },
        'key-env': { type: 'string' },
        channel: { type: 'string' },
        label: { type: 'string' },
        subdir: { type: 'string' },
        'expires-in': { type: 'string' },
        'source-repository': { type: 'string' },
        'source-commit': { type: 'string' },
        'source-run-url': { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
      { maxPositionals: Infinity },
    );
    const feedstock = required(values, 'feedstock', usage);
    const channel = required(values, 'channel', usage).replace(/\/+$/, '');
    const label = required(values, 'label', usage);
    if (positionals.length === 0)
      throw new ForgegateError('FG_USAGE', 'no ARTIFACT given', { fix: `Usage: ${usage.split('\n')[0]}` });
    const key = await readSeedFrom(
      { keyFile: optional(values, 'key-file'), keyEnv: optional(values, 'key-env') },
      io.env,
      usage,
    );
    const expiresIn = optional(values, 'expires-in');
    const expiresMs = expiresIn === undefined ? undefined : parseDuration(expiresIn);
    if (expiresMs === null)
      throw new ForgegateError('FG_USAGE', `--expires-in "${expiresIn}" is not a duration`, {
        fix: 'Use e.g. 90m, 24h or 2d.',
      });
    const source: StatementSource = {};
    const repo = optional(values, 'source-repository'),
      commit = optional(values, 'source-commit'),
      runUrl = optional(values, 'source-run-url');
    if (repo) source.repository = repo;
    if (commit) source.commit = commit;
    if (runUrl) source.runUrl = runUrl;

    const signed: { artifact: string; signature: string; keyid: string }[] = [];
    for (const path of positionals) {
      const filename = basename(path);
      const folder = basename(dirname(path));
      const subdir = optional(values, 'subdir') ?? (isSubdir(folder) ? folder : null);
      if (subdir === null)
        throw new ForgegateError('FG_USAGE', `cannot tell the subdir of ${path}`, {
          fix: 'Pass --subdir (e.g. linux-64), or keep the artifact in its subdir folder.',
        });
      const check = await verifyArtifactFile(path, { filename, subdir });
      if (!check.ok)
        throw new ForgegateError('FG_INPUT_INVALID', `${path}: ${check.reason}: ${check.detail}`, {
          fix: 'Fix the package before signing: the gate would reject it.',
        });
      const now = Date.now();
      const payload = buildStatement({
        filename,
        digests: check.facts,
        feedstock,
        targetChannel: channel,
        label,
        subdir,
        issuedAtMs: now,
        ...(expiresMs !== undefined ? { expiresAtMs: now + expiresMs } : {}),
        source,
      });
      await writeFile(`${path}.sig`, signEnvelope(payload, [key])).catch((e: unknown) => {
        throw fsError(e, `${path}.sig`, 'write the signature');
      });
      signed.push({ artifact: `${subdir}/${filename}`, signature: `${path}.sig`, keyid: key.keyid });
      if (!values['json']) io.out(`signed ${subdir}/${filename} → ${path}.sig (key id ${key.keyid})`);
    }
    if (values['json']) io.out(JSON.stringify({ formatVersion: 1, signed }, null, 2));
    return ExitCode.OK;
  },
};
