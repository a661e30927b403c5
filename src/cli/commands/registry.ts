import { resolve } from 'node:path';
import { ExitCode, ForgegateError } from '../../errors.js';
import { addKey, addOutput, addPublisher, revokeKey, revokePublisher } from '../../backends/local/registry-edit.js';
import type { RegistryPublisher } from '../../ports/registry.js';
import { assertRegistryFolder, initRegistry } from '../../backends/local/registry-folder.js';
import { headCommit } from '../../backends/local/git.js';
import { lintRegistry } from '../../backends/local/registry-lint.js';
import { shellQuote } from '../../util/shell-quote.js';
import { toUtcString } from '../../util/time.js';
import { didYouMean } from '../../util/suggest.js';
import { readFile } from 'node:fs/promises';
import { fsError } from '../../util/fs-errors.js';
import { optional, parse, required, type Values } from '../args.js';
import type { Command } from '../command.js';
import type { Io } from '../io.js';
import { timeFlag } from '../time-flags.js';
import { loadConfig } from '../../config/load.js';
import { GitHubGraphQL, githubToken } from '../../backends/github/client.js';
import { lookUpRepositoryIds, type RepositoryIds } from '../../backends/github/repository-ids.js';

const SUBCOMMANDS = ['init', 'lint', 'add-output', 'add-key', 'revoke-key', 'add-publisher', 'revoke-publisher'];

const usage = `forgegate registry <subcommand> DIR [options]

  init DIR [--auto-register-all]                             create a registry (config.json, outputs/, keys/)
  lint DIR [--json]                                          check every file (for the registry repo's CI);
                                                             exit 1 on problems
  add-output DIR --output NAME --feedstock F                 let feedstock F publish package NAME
  add-key DIR --feedstock F (--public-key B64 | --public-key-file F.public.json) [--not-after T] [--comment TEXT]
  revoke-key DIR --feedstock F --key-id ID [--at T]          revoke now (or at T); ID is the full key id or its
                                                             first 16+ hex digits (--keyid: old spelling)
  add-publisher DIR --feedstock F --id ID --repository OWNER/NAME
      (--config FILE | --repository-id N --owner-id N)
      --workflow .github/workflows/FILE --ref REF... [--event E...] [--signer-workflow URL...]
      [--environment ENV] [--runner github-hosted|self-hosted] [--not-after T] [--comment TEXT]
      [--accept any|sigstore]                                trust a GitHub Actions identity (keyless-v1); --ref,
                                                             --event and --signer-workflow repeat; events default
                                                             to push. --config looks the ids up through the
                                                             config's GitHub registry or reports (and checks ids
                                                             given with it); by hand: gh api repos/OWNER/NAME
                                                             --jq '.id, .owner.id'
  revoke-publisher DIR --feedstock F --id ID [--at T]        revoke a publisher now (or at T)

DIR is a checkout of the registry repository: every subcommand but init refuses a folder without the registry
layout. The edit commands only change files. A run reads a git checkout at its last commit (HEAD): an edit counts
once it is committed, and the command prints the git line that commits it (then push it or open a pull request).
Times (T) are RFC 3339 UTC (2027-01-01T00:00:00Z) or a duration from now (90d).`;

export const registryCommand: Command = {
  name: 'registry',
  summary:
    'Create, lint or edit (add-output, add-key, revoke-key, add-publisher, revoke-publisher) a registry checkout ' +
    'for a pull request.',
  usage,
  examples: [
    'forgegate registry init ./registry && git -C ./registry init   # a new registry',
    'forgegate registry add-output ./registry --output numpy --feedstock numpy',
    'forgegate registry add-key ./registry --feedstock numpy --public-key-file ~/keys/numpy.public.json',
    'forgegate registry revoke-key ./registry --feedstock numpy --key-id 3f2a9c0d1e4b5a6c',
    'forgegate registry add-publisher ./registry --feedstock numpy --id gha-main --repository ' +
      'conda-forge/numpy-feedstock --repository-id 123456789 --owner-id 987654321 --workflow ' +
      '.github/workflows/conda-build.yml --ref refs/heads/main --runner github-hosted',
    'forgegate registry add-publisher ./registry --feedstock numpy --id gha-main --repository ' +
      'conda-forge/numpy-feedstock --config forgegate.yml --workflow .github/workflows/conda-build.yml --ref ' +
      'refs/heads/main   # ids from GitHub',
    'forgegate registry add-publisher ./registry --feedstock numpy --id gha-release ... --accept sigstore   # keys ' +
      'no longer count',
    'forgegate registry revoke-publisher ./registry --feedstock numpy --id gha-main   # after CI switched',
    "forgegate registry lint ./registry --json                      # in the registry repository's CI",
  ],
  exitCodes: [ExitCode.OK, ExitCode.NOT_PUBLISHABLE, ExitCode.USAGE, ExitCode.REGISTRY_UNAVAILABLE],
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || !SUBCOMMANDS.includes(sub))
      throw new ForgegateError(
        'FG_USAGE',
        `unknown registry subcommand "${sub ?? ''}"${didYouMean(sub ?? '', SUBCOMMANDS, (c) => `"${c}"`)}`,
        { fix: `Use ${SUBCOMMANDS.join(', ')}.` },
      );
    const { values, positionals } = parse(
      rest,
      {
        json: { type: 'boolean' },
        output: { type: 'string' },
        feedstock: { type: 'string' },
        'public-key': { type: 'string' },
        'public-key-file': { type: 'string' },
        'not-after': { type: 'string' },
        comment: { type: 'string' },
        'key-id': { type: 'string' },
        at: { type: 'string' },
        'auto-register-all': { type: 'boolean' },
        id: { type: 'string' },
        repository: { type: 'string' },
        'repository-id': { type: 'string' },
        'owner-id': { type: 'string' },
        workflow: { type: 'string' },
        ref: { type: 'string', multiple: true },
        event: { type: 'string', multiple: true },
        'signer-workflow': { type: 'string', multiple: true },
        environment: { type: 'string' },
        runner: { type: 'string' },
        accept: { type: 'string' },
        config: { type: 'string' },
      },
      usage,
      { maxPositionals: 1, aliases: { keyid: 'key-id' } },
    );
    const dir = positionals[0];
    if (dir === undefined)
      throw new ForgegateError('FG_USAGE', 'missing registry folder DIR', { fix: `Usage: ${usage.split('\n')[0]}` });
    const root = resolve(dir);
    const nowMs = Date.now();
    const now = toUtcString(nowMs);
    if (sub === 'init') {
      const made = await initRegistry(root, { autoRegisterAll: Boolean(values['auto-register-all']) });
      if (values['json']) io.out(JSON.stringify({ formatVersion: 1, root, created: made }, null, 2));
      else
        io.out(`created a registry in ${root}: ${made.join(', ')}. Commit it and push it as the registry repository.`);
      return ExitCode.OK;
    }
    await assertRegistryFolder(root);
    switch (sub) {
      case 'lint': {
        const result = await lintRegistry(root);
        if (values['json'])
          io.out(JSON.stringify({ formatVersion: 1, ok: result.problems.length === 0, ...result }, null, 2));
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
        const output = required(values, 'output', usage);
        const feedstock = required(values, 'feedstock', usage);
        const r = await addOutput(root, output, feedstock);
        const next = await afterEdit(dir, root, r, `Add output ${output} for feedstock ${feedstock}`);
        if (values['json']) return printJson(io, { path: r.path, changed: r.changed, ...next.json });
        io.out(r.changed ? `updated ${r.path}${next.text}` : `${r.path} already lists that feedstock; nothing changed`);
        return ExitCode.OK;
      }
      case 'add-key': {
        const notAfter = timeFlag(optional(values, 'not-after'), '--not-after', nowMs, 'future');
        const comment = optional(values, 'comment');
        const feedstock = required(values, 'feedstock', usage);
        const r = await addKey(root, feedstock, await publicKeyOf(values, usage), {
          now,
          ...(notAfter !== undefined ? { notAfter: toUtcString(notAfter) } : {}),
          ...(comment ? { comment } : {}),
        });
        const next = await afterEdit(dir, root, r, `Add key ${r.keyid.slice(0, 16)} for feedstock ${feedstock}`);
        if (values['json']) return printJson(io, { path: r.path, changed: r.changed, keyid: r.keyid, ...next.json });
        io.out(
          r.changed
            ? `added key ${r.keyid} to ${r.path}${next.text}`
            : `${r.path} already has key ${r.keyid}; nothing changed`,
        );
        return ExitCode.OK;
      }
      case 'add-publisher': {
        const feedstock = required(values, 'feedstock', usage);
        const id = required(values, 'id', usage);
        const accept = optional(values, 'accept');
        if (accept !== undefined && accept !== 'any' && accept !== 'sigstore')
          throw new ForgegateError('FG_USAGE', `--accept must be "any" or "sigstore", not "${accept}"`, {
            fix: "--accept sigstore stops the feedstock's .sig files from counting; any (the default) keeps both.",
          });
        const notAfter = timeFlag(optional(values, 'not-after'), '--not-after', nowMs, 'future');
        const runner = optional(values, 'runner');
        const comment = optional(values, 'comment');
        const refs = list(values, 'ref');
        if (refs.length === 0)
          throw new ForgegateError('FG_USAGE', 'missing --ref', { fix: 'Pass --ref refs/heads/main (repeatable).' });
        const ids = await publisherIds(values, io);
        const r = await asUsage(() =>
          addPublisher(
            root,
            feedstock,
            {
              id,
              ...ids,
              workflow: required(values, 'workflow', usage),
              signerWorkflows: list(values, 'signer-workflow'),
              refs,
              events: list(values, 'event').length > 0 ? list(values, 'event') : ['push'],
              environment: optional(values, 'environment') ?? null,
              runner: (runner ?? null) as RegistryPublisher['runner'],
              addedAt: now,
              ...(notAfter !== undefined ? { notAfter: toUtcString(notAfter) } : {}),
              ...(comment ? { comment } : {}),
            },
            accept === undefined ? {} : { accept },
          ),
        );
        const next = await afterEdit(dir, root, r, `Add publisher ${id} for feedstock ${feedstock}`);
        if (values['json']) return printJson(io, { path: r.path, changed: r.changed, ...next.json });
        io.out(
          r.changed ? `added publisher ${id} to ${r.path}${next.text}` : `${r.path} already has it; nothing changed`,
        );
        return ExitCode.OK;
      }
      case 'revoke-publisher': {
        const at = timeFlag(optional(values, 'at'), '--at', nowMs, 'future');
        const feedstock = required(values, 'feedstock', usage);
        const id = required(values, 'id', usage);
        const r = await revokePublisher(root, feedstock, id, at === undefined ? now : toUtcString(at));
        const next = await afterEdit(dir, root, r, `Revoke publisher ${id} of feedstock ${feedstock}`);
        if (values['json']) return printJson(io, { path: r.path, changed: r.changed, ...next.json });
        io.out(
          r.changed
            ? `revoked publisher ${id} in ${r.path}${next.text}`
            : 'the publisher was already revoked; nothing changed',
        );
        return ExitCode.OK;
      }
      default: {
        const at = timeFlag(optional(values, 'at'), '--at', nowMs, 'future');
        const feedstock = required(values, 'feedstock', usage);
        const keyId = required(values, 'key-id', usage);
        const r = await revokeKey(root, feedstock, keyId, at === undefined ? now : toUtcString(at));
        const next = await afterEdit(dir, root, r, `Revoke key ${keyId.slice(0, 16)} of feedstock ${feedstock}`);
        if (values['json']) return printJson(io, { path: r.path, changed: r.changed, ...next.json });
        io.out(r.changed ? `revoked the key in ${r.path}${next.text}` : 'the key was already revoked; nothing changed');
        return ExitCode.OK;
      }
    }
  },
};

/** A repeatable flag's values, in order. */
function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A publisher the gate's parser refuses was given on the command line: say which flag, not which file to fix. */
async function asUsage<T>(edit: () => Promise<T>): Promise<T> {
  try {
    return await edit();
  } catch (e) {
    if (!(e instanceof ForgegateError) || e.code !== 'FG_REGISTRY_INVALID') throw e;
    const what = e.message.replace(/^registry file \S+: publishers\[\d+\]\./, '');
    throw new ForgegateError('FG_USAGE', `the publisher is refused: ${what}`, {
      fix: "Fix the flag named (its field in keyless-v1's publisher table: --repository-id is repositoryId, …).",
    });
  }
}

/** --public-key B64, or --public-key-file: the entry keygen wrote beside the seed (or a file holding the base64). */
async function publicKeyOf(values: Values, usage: string): Promise<string> {
  const file = optional(values, 'public-key-file');
  if (file === undefined) return required(values, 'public-key', usage);
  if (optional(values, 'public-key') !== undefined)
    throw new ForgegateError('FG_USAGE', 'pass --public-key or --public-key-file, not both', {
      fix: 'Keep one of them.',
    });
  const text = (
    await readFile(file, 'utf8').catch((e: unknown) => {
      throw fsError(e, file, 'read the public key file');
    })
  ).trim();
  if (!text.startsWith('{')) return text;
  try {
    const entry = JSON.parse(text) as { publicKey?: unknown };
    if (typeof entry.publicKey === 'string') return entry.publicKey;
  } catch {
    // Reported below.
  }
  throw new ForgegateError('FG_INPUT_INVALID', `${file} holds no "publicKey"`, {
    fix: 'Pass the F.public.json file `forgegate keygen` wrote beside the seed.',
  });
}

/**
 * What an edit needs before a run sees it. A git checkout is read at its last commit (HEAD), so an edit there
 * counts only once committed: say so, with the git command to paste. A plain folder is read as it is.
 */
async function afterEdit(
  dir: string,
  root: string,
  edit: { path: string; changed: boolean },
  message: string,
): Promise<{ text: string; json: { needsCommit: boolean; commitCommand: string | null } }> {
  if (!edit.changed || (await headCommit(root)) === null)
    return {
      text: edit.changed ? ': a plain folder, read as it is by the next run (for a git registry: commit it)' : '',
      json: { needsCommit: false, commitCommand: null },
    };
  const [git, path] = [`git -C ${shellQuote(dir)}`, shellQuote(edit.path)];
  const command = `${git} add -- ${path} && ${git} commit -m ${shellQuote(message)} -- ${path}`;
  return {
    text:
      '\nnot committed yet: forgegate reads this registry at its last commit (HEAD), so runs and plans do not see ' +
      `the change until it is committed:\n  ${command}\nthen push it or open a pull request.`,
    json: { needsCommit: true, commitCommand: command },
  };
}

function printJson(io: Io, body: object): number {
  io.out(JSON.stringify({ formatVersion: 1, ...body }, null, 2));
  return ExitCode.OK;
}

/** The publisher's repository and its ids: given, or looked up through the config's GitHub backend (and compared). */
async function publisherIds(values: Values, io: Io): Promise<RepositoryIds> {
  const repository = required(values, 'repository', usage);
  const given = { repositoryId: optional(values, 'repository-id'), ownerId: optional(values, 'owner-id') };
  const configPath = optional(values, 'config');
  if (configPath === undefined) {
    for (const [flag, v] of [
      ['--repository-id', given.repositoryId],
      ['--owner-id', given.ownerId],
    ] as const)
      if (v === undefined)
        throw new ForgegateError('FG_USAGE', `missing ${flag}`, {
          fix:
            'Pass --config FILE to look the ids up through its GitHub registry or reports, or give both ids: ' +
            `gh api repos/${repository} --jq '.id, .owner.id'`,
        });
    return { repository, repositoryId: given.repositoryId!, ownerId: given.ownerId! };
  }
  const config = await loadConfig(configPath);
  const github =
    config.registry.type === 'github'
      ? { ...config.registry, where: 'registry' }
      : config.reports.type === 'github'
        ? { ...config.reports, where: 'reports' }
        : null;
  if (github === null)
    throw new ForgegateError('FG_USAGE', `${configPath} has no GitHub registry or reports to look the ids up with`, {
      fix: `Give --repository-id and --owner-id instead: gh api repos/${repository} --jq '.id, .owner.id'`,
    });
  const gh = new GitHubGraphQL({ url: github.url, token: githubToken(github.tokenEnv, github.where, io.env) });
  const found = await lookUpRepositoryIds(gh, repository);
  for (const [flag, v, want] of [
    ['--repository-id', given.repositoryId, found.repositoryId],
    ['--owner-id', given.ownerId, found.ownerId],
  ] as const)
    if (v !== undefined && v !== want)
      throw new ForgegateError('FG_USAGE', `${flag} ${v} is not ${repository}'s: GitHub says ${want}`, {
        fix: `Drop ${flag} (the lookup fills it in) or check which repository you meant.`,
      });
  return found;
}
