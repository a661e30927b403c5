import { basename, dirname } from 'node:path';
import { isSubdir, parseArtifactFilename } from '../../conda/filename.js';
import { lstat } from 'node:fs/promises';
import { missingInput, verifyArtifactFile } from '../artifact-file.js';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError, isForgegateError, type ErrorCode } from '../../errors.js';
import { fixFor, type ReasonCode } from '../../reasons.js';
import { authorizeOutput } from '../../registry/authorize.js';
import { FILE_RULES, type VerifyOptions } from '../../conda/verify-artifact.js';
import type { Config } from '../../config/types.js';
import type { Digests, TargetListing } from '../../model.js';
import { createRegistry, createStores } from '../../reconcile/wiring.js';
import { sameDigests } from '../../util/digest.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { textTable } from '../io.js';

const usage = `forgegate check --config C --feedstock F [--subdir S] [--json] ARTIFACT...

The PR-time dry run: reads each built artifact (same package checks as the gate) and asks the registry, through
the same authorization code the reconciler uses, whether feedstock F may publish it. The subdir is --subdir, else
the artifact's folder name when that is a subdir (build_artifacts/linux-64/), else its info/index.json. When the
target can be read (anonymously is enough), check looks up the named files there: another file under the same name
is TARGET_CONFLICT, exactly these bytes already published is said so. One row per artifact, each decided on its
own: a refused package names the rule it breaks and its fix; a path that does not exist (a glob that matched
nothing) is FG_INPUT_MISSING. Exit 0 when every artifact may be published, 1 when any may not, 64 when none could
be read.`;

interface Row {
  artifact: string;
  name: string | null;
  ok: boolean;
  reason: ReasonCode | null;
  /** An input error instead of a verdict (FG_INPUT_MISSING: the path does not exist; FG_INPUT_INVALID: a folder). */
  error: ErrorCode | null;
  /** The rule a refused package breaks (`tar.strings`, `index.subdir`, …). */
  rule: string | null;
  detail: string;
  fix: string | null;
}

/** What verify-artifact says when info/index.json names another subdir than the one expected. */
const INDEX_SUBDIR = /^index\.subdir: info\/index\.json says subdir ("(?:[^"\\]|\\.)*"), expected /;

/** The subdir info/index.json names, for a file outside a subdir folder: read once without knowing it. */
async function subdirFromIndex(path: string, filename: string, limits: VerifyOptions): Promise<string | null> {
  const probe = await verifyArtifactFile(path, { filename, subdir: '' }, limits);
  if (probe.ok) return null;
  const m = INDEX_SUBDIR.exec(probe.detail);
  const named = m ? (JSON.parse(m[1]!) as string) : null;
  return named !== null && isSubdir(named) ? named : null;
}

export const check: Command = {
  name: 'check',
  summary: 'PR-time dry run: may this feedstock publish these built artifacts?',
  usage,
  examples: [
    'forgegate check --config forgegate.yml --feedstock numpy build_artifacts/*/*.conda build_artifacts/*/*.tar.bz2',
    'forgegate check --config forgegate.yml --feedstock numpy --subdir linux-64 dist/numpy-2.1.0-0.conda --json',
  ],
  exitCodes: [ExitCode.OK, ExitCode.NOT_PUBLISHABLE, ExitCode.USAGE, ExitCode.REGISTRY_UNAVAILABLE],
  // A target that cannot be read is a note, not an exit code: check still answers for the registry and the bytes.
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        config: { type: 'string' },
        feedstock: { type: 'string' },
        subdir: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
      { maxPositionals: Infinity },
    );
    const config = await loadConfig(required(values, 'config', usage));
    const feedstock = required(values, 'feedstock', usage);
    if (positionals.length === 0)
      throw new ForgegateError('FG_USAGE', 'no ARTIFACT given', { fix: `Usage: ${usage.split('\n')[0]}` });

    const rows: Row[] = [];
    const pending: { row: Row; name: string; subdir: string; filename: string; digests: Digests }[] = [];
    const limits: VerifyOptions = {
      limits: { maxUnpackedBytes: config.policy.maxUnpackedBytes, maxUnpackRatio: config.policy.maxUnpackRatio },
    };
    const inputError = (e: unknown): ForgegateError => {
      // A path that is not an artifact file is that row's answer; anything else (I/O, a bug) stops the command.
      if (isForgegateError(e) && (e.code === 'FG_INPUT_MISSING' || e.code === 'FG_INPUT_INVALID')) return e;
      throw e;
    };
    for (const path of positionals) {
      const filename = basename(path);
      const folder = basename(dirname(path));
      const parsed = parseArtifactFilename(filename);
      const row: Row = {
        artifact: filename,
        name: parsed?.name ?? null,
        ok: false,
        reason: null,
        error: null,
        rule: null,
        detail: '',
        fix: null,
      };
      rows.push(row);
      const exists = await lstat(path).then(
        () => true,
        () => false,
      );
      if (!exists) {
        const e = missingInput(path);
        Object.assign(row, { artifact: path, error: e.code, detail: e.message, fix: e.fix ?? null });
        continue;
      }
      let subdir: string | null;
      try {
        subdir =
          optional(values, 'subdir') ??
          // Only a folder named after a subdir this gate publishes says the subdir (`built/` looks like one).
          (config.staging.subdirs.includes(folder)
            ? folder
            : parsed
              ? await subdirFromIndex(path, filename, limits)
              : null);
      } catch (e) {
        const err = inputError(e);
        Object.assign(row, { artifact: path, error: err.code, detail: err.message, fix: err.fix ?? null });
        continue;
      }
      if (subdir) row.artifact = `${subdir}/${filename}`;
      if (!parsed) {
        const rule = FILE_RULES['file.name']!;
        Object.assign(row, {
          reason: rule.reason,
          rule: 'file.name',
          detail: `file.name: ${filename} is not a <name>-<version>-<build>.conda|.tar.bz2 name — fix: ${rule.fix}`,
          fix: rule.fix,
        });
        continue;
      }
      if (subdir === null) {
        Object.assign(row, {
          error: 'FG_USAGE',
          detail: 'unknown subdir: info/index.json names none and the folder is not a subdir',
          fix: 'Pass --subdir, or keep the file in its subdir folder (build_artifacts/linux-64/).',
        });
        continue;
      }
      // The gate would leave it in staging as a stray, unpublished.
      if (!config.staging.subdirs.includes(subdir)) {
        Object.assign(row, {
          reason: 'ARTIFACT_INVALID',
          detail: `"${subdir}" is not a subdir this gate publishes (staging.subdirs)`,
        });
        continue;
      }
      let result;
      try {
        result = await verifyArtifactFile(path, { filename, subdir }, limits);
      } catch (e) {
        const err = inputError(e);
        Object.assign(row, { error: err.code, detail: err.message, fix: err.fix ?? null });
        continue;
      }
      if (!result.ok) {
        // The detail ends with the rule's fix; the row's fix is that same text, for --json readers.
        Object.assign(row, {
          reason: result.reason,
          rule: result.rule ?? null,
          detail: result.detail,
          fix: result.fix ?? null,
        });
        continue;
      }
      pending.push({ row, name: parsed.name, subdir, filename, digests: result.facts });
    }
    const registry = createRegistry(config.registry, { env: io.env, unpinned: true });
    const snapshot = await registry.snapshot({ names: pending.map((p) => p.name), feedstocks: [feedstock] });
    for (const { row, name } of pending) {
      const auth = authorizeOutput(snapshot, feedstock, name);
      if (auth.ok)
        Object.assign(row, {
          ok: true,
          detail: auth.register
            ? `new name: registered on first publish (${auth.via})`
            : 'registered to this feedstock',
        });
      else Object.assign(row, { reason: auth.reason, detail: auth.detail });
    }
    const target = await readTarget(config, io.env, pending);
    for (const p of pending.filter((x) => x.row.ok)) {
      if (target.listing === null) continue;
      const copies = target.listing.files.get(`${p.subdir}/${p.filename}`) ?? [];
      const other = copies.find((c) => !sameDigests(c, p.digests));
      if (other)
        Object.assign(p.row, {
          ok: false,
          reason: 'TARGET_CONFLICT',
          detail: `the channel holds other bytes under this name (label ${other.label}, sha256 ${other.sha256})`,
        });
      else if (copies.length > 0)
        p.row.detail += `; the channel already holds these exact bytes (label ${labelsOf(copies)})`;
    }
    for (const row of rows) if (row.reason && row.fix === null) row.fix = fixFor(row.reason);
    if (rows.every((r) => r.error !== null)) {
      // Nothing could be read at all: an input error, as for any command given no usable input.
      const first = rows[0]!;
      throw new ForgegateError(
        first.error!,
        rows.length === 1 ? first.detail : `no artifact could be read (${rows.length} given)`,
        { fix: first.fix ?? 'Check the paths.' },
      );
    }
    const keys = snapshot.keys.get(feedstock) ?? [];
    const allOk = rows.every((r) => r.ok);
    if (values['json']) {
      io.out(
        JSON.stringify(
          {
            formatVersion: 1,
            feedstock,
            registryCommit: snapshot.commit,
            feedstockHasKeys: keys.length > 0,
            targetChecked: target.listing !== null,
            ...(target.error !== null ? { targetError: target.error } : {}),
            ok: allOk,
            artifacts: rows,
          },
          null,
          2,
        ),
      );
    } else {
      io.out(
        textTable(
          ['artifact', 'verdict', 'detail'],
          rows.map((r) => [r.artifact, r.ok ? 'ok' : (r.reason ?? r.error ?? 'refused'), r.detail]),
        ),
      );
      // A refused package's detail already ends with its rule's fix.
      for (const r of rows.filter((x) => x.fix !== null && !x.detail.includes(' — fix: '))) {
        io.out(`  ${r.artifact}: ${r.fix}`);
      }
      if (target.listing === null)
        io.out(`note: the target was not consulted (${target.error}); TARGET_CONFLICT is not predicted.`);
      if (keys.length === 0)
        io.out(
          `note: feedstock "${feedstock}" has no signing keys in the registry yet; uploads would be rejected with ` +
            `KEY_UNKNOWN.`,
        );
    }
    return allOk ? ExitCode.OK : ExitCode.NOT_PUBLISHABLE;
  },
};

const labelsOf = (copies: { label: string }[]): string => copies.map((c) => c.label).join(', ');

/** The target's copies of the named files, read-only (anonymous where the store allows); null when unreadable. */
async function readTarget(
  config: Config,
  env: NodeJS.ProcessEnv,
  files: { subdir: string; filename: string }[],
): Promise<{ listing: TargetListing | null; error: string | null }> {
  if (files.length === 0) return { listing: { files: new Map(), removed: new Set() }, error: null };
  let stores;
  try {
    stores = createStores(config, { env, readOnly: true });
  } catch (e) {
    return { listing: null, error: (e as Error).message.split('\n')[0]! };
  }
  try {
    stores.target.focus?.(files.map((f) => ({ subdir: f.subdir, filename: f.filename })));
    return { listing: await stores.target.list(), error: null };
  } catch (e) {
    return { listing: null, error: (e as Error).message.split('\n')[0]! };
  } finally {
    await stores.close();
  }
}
