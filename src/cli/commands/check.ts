import { basename, dirname } from 'node:path';
import { isSubdir, parseArtifactFilename } from '../../conda/filename.js';
import { verifyArtifactFile } from '../artifact-file.js';
import { loadConfig } from '../../config/load.js';
import { ExitCode, ForgegateError } from '../../errors.js';
import { fixFor, type ReasonCode } from '../../reasons.js';
import { authorizeOutput } from '../../registry/authorize.js';
import { createRegistry } from '../../reconcile/wiring.js';
import { optional, parse, required } from '../args.js';
import type { Command } from '../command.js';
import { textTable } from '../io.js';

const usage = `forgegate check --config C --feedstock F [--subdir S] [--json] ARTIFACT...

The PR-time dry run: reads each built artifact (same package checks as the gate) and asks the registry, through
the same authorization code the reconciler uses, whether feedstock F may publish it. One row per artifact.
Exit 0 when every artifact may be published, 1 when any may not.`;

interface Row {
  artifact: string;
  name: string | null;
  ok: boolean;
  reason: ReasonCode | null;
  detail: string;
  fix: string | null;
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
    const pending: { row: Row; name: string }[] = [];
    for (const path of positionals) {
      const filename = basename(path);
      const folder = basename(dirname(path));
      const subdir = optional(values, 'subdir') ?? (isSubdir(folder) ? folder : null);
      const parsed = parseArtifactFilename(filename);
      const row: Row = {
        artifact: subdir ? `${subdir}/${filename}` : filename,
        name: parsed?.name ?? null,
        ok: false,
        reason: null,
        detail: '',
        fix: null,
      };
      rows.push(row);
      if (!parsed || subdir === null) {
        Object.assign(row, {
          reason: 'ARTIFACT_INVALID',
          detail: !parsed
            ? 'not a <name>-<version>-<build>.conda|.tar.bz2 file name'
            : 'unknown subdir: pass --subdir or keep the file in its subdir folder',
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
      const result = await verifyArtifactFile(
        path,
        { filename, subdir },
        { limits: { maxUnpackedBytes: config.policy.maxUnpackedBytes, maxUnpackRatio: config.policy.maxUnpackRatio } },
      );
      if (!result.ok) {
        Object.assign(row, { reason: result.reason, detail: result.detail });
        continue;
      }
      pending.push({ row, name: parsed.name });
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
    for (const row of rows) row.fix = row.reason ? fixFor(row.reason) : null;
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
          rows.map((r) => [r.artifact, r.ok ? 'ok' : (r.reason ?? 'refused'), r.detail]),
        ),
      );
      for (const r of rows.filter((x) => x.fix)) io.out(`  ${r.artifact}: ${r.fix}`);
      if (keys.length === 0)
        io.out(
          `note: feedstock "${feedstock}" has no signing keys in the registry yet; uploads would be rejected with ` +
            `KEY_UNKNOWN.`,
        );
    }
    return allOk ? ExitCode.OK : ExitCode.NOT_PUBLISHABLE;
  },
};
