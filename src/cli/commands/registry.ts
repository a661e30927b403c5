import { resolve } from 'node:path';
import { ExitCode, ForgegateError } from '../../errors.js';
import { addKey, addOutput, revokeKey } from '../../backends/local/registry-edit.js';
import { lintRegistry } from '../../backends/local/registry-lint.js';
import { parseUtcTime, toUtcString } from '../../util/time.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';

const usage = `forgegate registry <subcommand> DIR [options]

  lint DIR [--json]                                          check every file (for the registry repo's CI);
                                                             exit 1 on problems
  add-output DIR --output NAME --feedstock F                 let feedstock F publish package NAME
  add-key DIR --feedstock F --public-key B64 [--not-after T] [--comment TEXT]
  revoke-key DIR --feedstock F --keyid HEX [--at T]          revoke now (or at T)

DIR is a checkout of the registry repository. The edit commands only change files: review the diff, commit it and
open a pull request.`;

function utc(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (parseUtcTime(value) === null)
    throw new ForgegateError('FG_USAGE', `${flag} "${value}" is not an RFC 3339 UTC time`, {
      fix: 'Use e.g. 2027-11-24T12:00:00Z',
    });
  return value;
}

export const registryCommand: Command = {
  name: 'registry',
  summary: 'Lint a registry checkout, or edit it (add-output, add-key, revoke-key) for a pull request.',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parse(
      rest,
      {
        json: { type: 'boolean' },
        output: { type: 'string' },
        feedstock: { type: 'string' },
        'public-key': { type: 'string' },
        'not-after': { type: 'string' },
        comment: { type: 'string' },
        keyid: { type: 'string' },
        at: { type: 'string' },
      },
      usage,
    );
    const dir = positionals[0];
    if (dir === undefined)
      throw new ForgegateError('FG_USAGE', 'missing registry folder DIR', { fix: `Usage: ${usage.split('\n')[0]}` });
    const root = resolve(dir);
    const now = toUtcString(Date.now());
    switch (sub) {
      case 'lint': {
        const result = await lintRegistry(root);
        if (values['json']) io.out(JSON.stringify({ ok: result.problems.length === 0, ...result }, null, 2));
        else {
          for (const p of result.problems) io.out(`problem: ${p}`);
          io.out(
            `${result.outputs} output files, ${result.keyFiles} key files checked; ${result.problems.length} ` +
              `problem(s)`,
          );
        }
        return result.problems.length === 0 ? ExitCode.OK : ExitCode.NOT_PUBLISHABLE;
      }
      case 'add-output': {
        const r = await addOutput(root, required(values, 'output', usage), required(values, 'feedstock', usage));
        io.out(
          r.changed
            ? `updated ${r.path}: commit it and open a pull request`
            : `${r.path} already lists that feedstock; nothing changed`,
        );
        return ExitCode.OK;
      }
      case 'add-key': {
        const notAfter = utc(optional(values, 'not-after'), '--not-after');
        const comment = optional(values, 'comment');
        const r = await addKey(root, required(values, 'feedstock', usage), required(values, 'public-key', usage), {
          now,
          ...(notAfter ? { notAfter } : {}),
          ...(comment ? { comment } : {}),
        });
        io.out(
          r.changed
            ? `added key ${r.keyid} to ${r.path}: commit it and open a pull request`
            : `${r.path} already has key ${r.keyid}; nothing changed`,
        );
        return ExitCode.OK;
      }
      case 'revoke-key': {
        const r = await revokeKey(
          root,
          required(values, 'feedstock', usage),
          required(values, 'keyid', usage),
          utc(optional(values, 'at'), '--at') ?? now,
        );
        io.out(
          r.changed
            ? `revoked the key in ${r.path}: commit it and open a pull request`
            : 'the key was already revoked; nothing changed',
        );
        return ExitCode.OK;
      }
      default:
        throw new ForgegateError('FG_USAGE', `unknown registry subcommand "${sub ?? ''}"`, {
          fix: 'Use lint, add-output, add-key or revoke-key.',
        });
    }
  },
};
