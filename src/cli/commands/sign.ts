import { lstat, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isSubdir } from '../../conda/filename.js';
import { missingInput, verifyArtifactFile } from '../artifact-file.js';
import { ExitCode, ForgegateError, isForgegateError, type ErrorCode } from '../../errors.js';
import type { ReasonCode } from '../../reasons.js';
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
the full key id that signed (the id \`registry revoke-key --key-id\` takes).
Each artifact is decided on its own: the sound ones are signed, and every other one is named with what is wrong
(the rule it breaks, or FG_INPUT_MISSING for a path that does not exist, such as a glob that matched nothing) and
its fix. Exit 0 when every artifact was signed, 1 when some were not (the others were), 64 when none could be
read.`;

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
  extraExits: [[1, 'at least one artifact was not signed (each is named with its reason and fix); the others were']],
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
    const failed: NotSigned[] = [];
    const json = values['json'] === true;
    for (const path of positionals) {
      const filename = basename(path);
      const folder = basename(dirname(path));
      const subdir = optional(values, 'subdir') ?? (isSubdir(folder) ? folder : null);
      const notSigned = (f: Omit<NotSigned, 'path'>): void => {
        failed.push({ path, ...f });
        if (!json)
          io.out(`not signed ${path}: ${f.code}: ${f.detail}${f.rule === undefined ? ` — fix: ${f.fix}` : ''}`);
      };
      if (subdir === null) {
        const exists = await lstat(path).then(
          () => true,
          () => false,
        );
        const missing = missingInput(path);
        notSigned(
          exists
            ? {
                code: 'FG_USAGE',
                detail: `cannot tell the subdir of ${path}`,
                fix: 'Pass --subdir (e.g. linux-64), or keep the artifact in its subdir folder.',
              }
            : { code: missing.code, detail: missing.message, fix: missing.fix ?? '' },
        );
        continue;
      }
      let check;
      try {
        check = await verifyArtifactFile(path, { filename, subdir });
      } catch (e) {
        // An input that is not an artifact file is this file's failure; anything else (I/O, a bug) stops the batch.
        if (!isForgegateError(e) || (e.code !== 'FG_INPUT_MISSING' && e.code !== 'FG_INPUT_INVALID')) throw e;
        notSigned({ code: e.code, detail: e.message, fix: e.fix ?? '' });
        continue;
      }
      if (!check.ok) {
        notSigned({
          code: check.reason,
          detail: check.detail,
          fix: check.fix ?? '',
          ...(check.rule ? { rule: check.rule } : {}),
        });
        continue;
      }
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
      if (!json) {
        io.out(`signed ${subdir}/${filename} → ${path}.sig (key id ${key.keyid})`);
        for (const note of check.facts.notes) io.out(`  note: ${note}`);
      }
    }
    // Nothing could be read at all: an input error, as for any command given no usable input.
    const noneRead = signed.length === 0 && failed.every((f) => f.code.startsWith('FG_'));
    if (json && !noneRead) {
      io.out(JSON.stringify({ formatVersion: 1, ok: failed.length === 0, signed, notSigned: failed }, null, 2));
    }
    if (failed.length === 0) return ExitCode.OK;
    if (!json) {
      const codes = [...new Set(failed.map((f) => f.code))].map(
        (c) => `${failed.filter((f) => f.code === c).length} ${c}`,
      );
      io.out(
        `signed ${signed.length} of ${positionals.length} artifact${positionals.length === 1 ? '' : 's'}; ` +
          `not signed: ${codes.join(', ')} (each named above with its fix)`,
      );
    }
    if (noneRead) {
      throw new ForgegateError(
        failed[0]!.code as ErrorCode,
        failed.length === 1 ? failed[0]!.detail : `no artifact could be read (${failed.length} given)`,
        { fix: failed[0]!.fix },
      );
    }
    return ExitCode.NOT_PUBLISHABLE;
  },
};

/** An artifact `sign` did not sign: the reason code or input error, the rule it broke, what happened and the fix. */
interface NotSigned {
  path: string;
  code: ReasonCode | ErrorCode;
  rule?: string;
  /** For a refused package, `<rule>: what broke it — fix: …` as the gate reports it. */
  detail: string;
  fix: string;
}
