import { lstat, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { isSubdir, parseArtifactFilename } from '../../conda/filename.js';
import { KNOWN_SUBDIRS } from '../../conda/subdirs.js';
import { FILE_RULES, type VerifyOptions } from '../../conda/verify-artifact.js';
import { loadConfig } from '../../config/load.js';
import { DEFAULT_POLICY, type Config, type Policy, type RegistrySourceConfig } from '../../config/types.js';
import { ExitCode, ForgegateError, isForgegateError, type ErrorCode } from '../../errors.js';
import { Ledger } from '../../ledger/ledger.js';
import type { LedgerFacts } from '../../ports/ledger-facts.js';
import { claimedSubject } from '../../plan/pair-signatures.js';
import type { PlanItem } from '../../plan/types.js';
import type { StagedSignature } from '../../ports/staging.js';
import type { Stores } from '../../ports/stores.js';
import { fixFor, type ReasonCode } from '../../reasons.js';
import { planCheck, type CheckedFile, type CheckPlan, type EvidenceBytes } from '../../reconcile/check-plan.js';
import { registryHome } from '../../reconcile/run.js';
import { createRegistry, createStores } from '../../reconcile/wiring.js';
import { MAX_SIG_FILE_BYTES } from '../../statement/dsse.js';
import { loadTrust, trustSourceOf, type TrustSource } from '../../reconcile/trust-root.js';
import { missingInput, verifyArtifactFile } from '../artifact-file.js';
import { optional, parse, required, type Values } from '../args.js';
import type { Command } from '../command.js';
import { textTable } from '../io.js';

const usage = `forgegate check --feedstock F (--config C | --registry R --channel URL --label L [--token-env VAR]
                [--trusted-root FILE]) [--subdir S] [--json] ARTIFACT...

The dry run of the gate for one feedstock: reads each built artifact (same package checks as the gate) and decides
it with the planner a run uses (same steps, reason codes and details), as if it were staged now. Where
ARTIFACT.sig lies beside an artifact, check verifies it as the gate will: a registered, usable key of F, fresh,
naming these bytes, the channel and an allowed label. Where ARTIFACT.sigstore.json lies beside it, check verifies
the bundle as the gate will (keyless-v1): against Sigstore's trusted root (the config's, --trusted-root FILE, else
the public-good root through TUF, cached under $XDG_CACHE_HOME/forgegate), for a registered publisher of F. The
subdir is --subdir, else the artifact's folder name when that is a subdir (build_artifacts/linux-64/), else its
info/index.json. One row per artifact.

Two ways to say what the gate is:
  --config C      the gate's own config (admins): registry, channel, labels, subdirs and policy come from it; where
                  the target can be read (anonymously is enough) it is consulted as a run would: another file under
                  the same name is TARGET_CONFLICT, the other format of the build must hold the same package, a file
                  taken off (yanked) is REPLAYED, and exactly these bytes already published is said so.
  --registry R    the public registry alone (feedstock CI): R is a folder (a checkout of the registry) or
                  github:OWNER/REPO[@REF] (REF defaults to main), read through GitHub's GraphQL API with the token
                  in environment variable VAR (--token-env, default GITHUB_TOKEN: in GitHub Actions the job's own
                  token reads a public registry). Needs --channel URL and --label L: the channel and label the
                  statements must name. The target is not consulted, and the gate's default policy is assumed
                  (24 h signature age, 5 min clock skew, every subdir conda knows).
Each artifact is decided on its own: a refused package names the rule it breaks and its fix; a path that does not
exist (a glob that matched nothing) is FG_INPUT_MISSING. Exit 0 when every artifact may be published, 1 when any may
not, 64 when none could be read.`;

const GITHUB_GRAPHQL = 'https://api.github.com/graphql';
const GH_REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HTTP_URL = /^https?:\/\/[^\s/]+(?:\/\S*)?$/;

/** What check compares against: the gate's config, or the registry alone with the channel and label named. */
interface Gate {
  config: Config | null;
  registry: RegistrySourceConfig;
  channel: string;
  labels: readonly string[];
  subdirs: readonly string[];
  policy: Policy;
  trust: TrustSource;
}

const usageFix = { fix: `Usage: ${usage.split('\n')[0]} (see --help)` };

/** `--registry R`: a folder, or github:OWNER/REPO[@REF]. */
function registrySource(spec: string, values: Values, env: NodeJS.ProcessEnv): RegistrySourceConfig {
  if (!spec.startsWith('github:')) return { type: 'directory', path: resolve(spec) };
  const m = /^github:([^@\s]+)(?:@(\S+))?$/.exec(spec);
  if (!m || !GH_REPO.test(m[1]!))
    throw new ForgegateError('FG_USAGE', `--registry "${spec}" is not github:OWNER/REPO[@REF]`, {
      fix: 'Name the registry repository, e.g. --registry github:conda-forge/feedstock-outputs@main, or a folder.',
    });
  const tokenEnv = optional(values, 'token-env') ?? 'GITHUB_TOKEN';
  if (!ENV_NAME.test(tokenEnv))
    throw new ForgegateError('FG_USAGE', '--token-env takes the NAME of an environment variable, not a token', {
      fix: 'Pass e.g. --token-env GITHUB_TOKEN, and export the token in that variable.',
    });
  if (!env[tokenEnv])
    throw new ForgegateError(
      'FG_INPUT_MISSING',
      `check --registry ${spec} reads the registry through GitHub's GraphQL API, which needs a token, and ` +
        `environment variable ${tokenEnv} is not set`,
      {
        fix:
          `Export a GitHub token in ${tokenEnv} (any token reads a public registry; in GitHub Actions: ` +
          `\`env: { ${tokenEnv}: \${{ github.token }} }\`), pass --token-env VAR, or check against a checkout ` +
          'of the registry (--registry DIR).',
      },
    );
  return {
    type: 'github',
    repository: m[1]!,
    ref: m[2] ?? 'main',
    tokenEnv,
    url: optional(values, 'github-url') ?? GITHUB_GRAPHQL,
  };
}

async function gateOf(values: Values, env: NodeJS.ProcessEnv): Promise<Gate> {
  const configPath = optional(values, 'config');
  const registry = optional(values, 'registry');
  const registryOnly = ['channel', 'label', 'token-env', 'github-url', 'trusted-root'].filter(
    (k) => values[k] !== undefined,
  );
  if (configPath !== undefined) {
    if (registry !== undefined || registryOnly.length > 0)
      throw new ForgegateError(
        'FG_USAGE',
        `--config already names the registry, channel and labels: drop ${[
          ...(registry !== undefined ? ['--registry'] : []),
          ...registryOnly.map((k) => `--${k}`),
        ].join(', ')}`,
        { fix: "Pass --config C (the gate's config), or --registry R --channel URL --label L without a config." },
      );
    const config = await loadConfig(configPath);
    return {
      config,
      registry: config.registry,
      channel: config.target.channel,
      labels: config.target.labels,
      subdirs: config.staging.subdirs,
      policy: config.policy,
      trust: trustSourceOf(config),
    };
  }
  if (registry === undefined)
    throw new ForgegateError('FG_USAGE', 'missing --config or --registry: check needs to know the gate', {
      fix:
        'In feedstock CI: --registry github:OWNER/REPO --channel URL --label L (the public registry); ' +
        "with the gate's config: --config C.",
    });
  const missing = ['channel', 'label'].filter((k) => !optional(values, k));
  if (missing.length > 0)
    throw new ForgegateError(
      'FG_USAGE',
      `check --registry needs ${missing.map((k) => `--${k}`).join(' and ')}: the channel URL and label the ` +
        'statements must name',
      usageFix,
    );
  const channel = required(values, 'channel', usage).replace(/\/+$/, '');
  if (!HTTP_URL.test(channel))
    throw new ForgegateError('FG_USAGE', `--channel "${channel}" is not an http(s) URL`, {
      fix: 'Pass the channel URL the gate publishes to, e.g. https://conda.anaconda.org/conda-forge.',
    });
  const label = required(values, 'label', usage);
  if (!/^[A-Za-z0-9_.-]+$/.test(label))
    throw new ForgegateError('FG_USAGE', `--label "${label}" is not a label name`, {
      fix: 'Pass the label the artifacts are signed for (main, rc, dev, …).',
    });
  return {
    config: null,
    registry: registrySource(registry, values, env),
    channel,
    labels: [label],
    subdirs: KNOWN_SUBDIRS,
    policy: DEFAULT_POLICY,
    trust: {
      trustedRoot: optional(values, 'trusted-root'),
      tufCache: join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'forgegate', 'sigstore-tuf'),
    },
  };
}

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
  /** What ARTIFACT.sig says, when one lies beside the artifact: verified, or why not (then `reason` says it too). */
  signature: { path: string; verified: boolean; keyid: string | null; label: string | null } | null;
  /** What ARTIFACT.sigstore.json says, likewise: the publisher it matched, its signing time and Rekor entry. */
  attestation: {
    path: string;
    verified: boolean;
    publisher: string | null;
    signingTime: string | null;
    logIndex: string | null;
  } | null;
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
    'forgegate check --registry github:conda-forge/feedstock-outputs \\',
    '  --channel https://conda.anaconda.org/conda-forge --label main \\',
    '  --feedstock numpy build_artifacts/*/*.conda   # feedstock CI: GITHUB_TOKEN reads the registry',
    'forgegate check --registry ./feedstock-outputs --channel https://conda.example.org/forge --label rc \\',
    '  --feedstock numpy --json build_artifacts/linux-64/numpy-2.1.0-py312h1234567_0.conda   # a registry checkout',
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
        registry: { type: 'string' },
        channel: { type: 'string' },
        label: { type: 'string' },
        'token-env': { type: 'string' },
        'github-url': { type: 'string' },
        'trusted-root': { type: 'string' },
        feedstock: { type: 'string' },
        subdir: { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
      { maxPositionals: Infinity },
    );
    const feedstock = required(values, 'feedstock', usage);
    const gate = await gateOf(values, io.env);
    if (positionals.length === 0)
      throw new ForgegateError('FG_USAGE', 'no ARTIFACT given', { fix: `Usage: ${usage.split('\n')[0]}` });

    const rows: Row[] = [];
    const pending: { row: Row; file: CheckedFile }[] = [];
    const unpackLimits = { maxUnpackedBytes: gate.policy.maxUnpackedBytes, maxUnpackRatio: gate.policy.maxUnpackRatio };
    const limits: VerifyOptions = { limits: unpackLimits };
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
        signature: null,
        attestation: null,
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
          (gate.subdirs.includes(folder) ? folder : parsed ? await subdirFromIndex(path, filename, limits) : null);
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
      if (!gate.subdirs.includes(subdir)) {
        Object.assign(row, {
          reason: 'ARTIFACT_INVALID',
          detail: `"${subdir}" is not a subdir this gate publishes (staging.subdirs)`,
        });
        continue;
      }
      let result;
      try {
        result = await verifyArtifactFile(path, { filename, subdir }, { ...limits, content: true });
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
      const [sig, bundle] = [await readEvidence(path, '.sig'), await readEvidence(path, '.sigstore.json')];
      pending.push({ row, file: { path, subdir, filename, facts: result.facts, sig, bundle } });
    }
    for (const { file } of pending) {
      const sig: StagedSignature | null =
        file.sig === null ? null : { filename: `${file.filename}.sig`, handle: `${file.path}.sig`, ...file.sig };
      const claim = sig === null ? null : claimedSubject(sig);
      if (claim !== null && claim.feedstock !== feedstock)
        throw new ForgegateError(
          'FG_INPUT_INVALID',
          `${file.path}.sig is signed for feedstock "${claim.feedstock}", not "${feedstock}"`,
          { fix: `Check with --feedstock ${claim.feedstock}, or sign again with --feedstock ${feedstock}.` },
        );
    }
    const checked = await withGate(gate, io.env, (stores, ledger) =>
      planCheck(
        pending.map((p) => p.file),
        feedstock,
        {
          registry: createRegistry(gate.registry, { env: io.env, unpinned: true }),
          target: stores?.target ?? null,
          ledger,
          settings: {
            targetChannel: gate.channel,
            labels: gate.labels,
            subdirs: gate.subdirs,
            policy: gate.policy,
            ...(gate.config ? { registryHome: registryHome(gate.config) } : {}),
          },
          label: gate.labels[0] ?? 'main',
          limits: unpackLimits,
          trust: () => loadTrust(gate.trust),
        },
        Date.now(),
      ),
    );
    const items = new Map(checked.plan.items.map((i) => [`${i.subdir}/${i.filename}`, i]));
    for (const { row, file } of pending) rowFromItem(row, file, items.get(`${file.subdir}/${file.filename}`), checked);
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
    const keys = checked.registeredKeys;
    const target = checked.target;
    const allOk = rows.every((r) => r.ok);
    if (values['json']) {
      io.out(
        JSON.stringify(
          {
            formatVersion: 1,
            feedstock,
            channel: gate.channel,
            labels: gate.labels,
            planFormatVersion: checked.plan.formatVersion,
            registryCommit: checked.registryCommit,
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
          { width: io.width },
        ),
      );
      // A refused package's detail already ends with its rule's fix.
      for (const r of rows.filter((x) => x.fix !== null && !x.detail.includes(' — fix: '))) {
        io.out(`  ${r.artifact}: ${r.fix}`);
      }
      if (target.listing === null)
        io.out(`note: the target was not consulted (${target.error}); TARGET_CONFLICT is not predicted.`);
      if (pending.length > 0 && pending.every((p) => p.file.sig === null && p.file.bundle === null))
        io.out(
          'note: no ARTIFACT.sig or ARTIFACT.sigstore.json lies beside the artifacts: the evidence was not checked.',
        );
      if (keys.length === 0 && pending.every((p) => p.file.bundle === null))
        io.out(
          `note: feedstock "${feedstock}" has no signing keys in the registry yet; uploads would be rejected with ` +
            `KEY_UNKNOWN.`,
        );
    }
    return allOk ? ExitCode.OK : ExitCode.NOT_PUBLISHABLE;
  },
};

/** ARTIFACT.sig or ARTIFACT.sigstore.json beside the artifact, as a staging listing would hold it; null: none. */
async function readEvidence(path: string, suffix: '.sig' | '.sigstore.json'): Promise<EvidenceBytes> {
  const evidencePath = `${path}${suffix}`;
  try {
    const st = await stat(evidencePath);
    if (!st.isFile())
      throw new ForgegateError('FG_INPUT_INVALID', `${evidencePath} is not a file`, {
        fix: `Remove it, or ${suffix === '.sig' ? 'sign it again with `forgegate sign`' : 'attest it again'}.`,
      });
    // The gate's limit for both kinds (keyless-v1 keeps upload-statement-v1's 64 KiB).
    return { size: st.size, content: st.size > MAX_SIG_FILE_BYTES ? null : await readFile(evidencePath) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Reasons about the evidence file itself (steps 2-6 of either spec): the row names the file that failed. */
const EVIDENCE_REASONS = new Set<ReasonCode | null>([
  'SIGNATURE_MALFORMED',
  'KEY_UNKNOWN',
  'SIGNATURE_INVALID',
  'KEY_REVOKED',
  'KEY_EXPIRED',
  'SIGNATURE_EXPIRED',
  'PUBLISHER_UNKNOWN',
  'PUBLISHER_MISMATCH',
  'PUBLISHER_REVOKED',
  'PUBLISHER_EXPIRED',
  'PUBLISHER_RENAMED',
  'DIGEST_MISMATCH',
  'SUBJECT_MISMATCH',
  'TARGET_MISMATCH',
]);

/** One row from the plan's item for its file, in the words check has always used. */
function rowFromItem(row: Row, file: CheckedFile, item: PlanItem | undefined, checked: CheckPlan): void {
  if (item === undefined) {
    Object.assign(row, { reason: 'ARTIFACT_INVALID', detail: 'the planner made no decision for it (bug)' });
    return;
  }
  const ownStatement = item.keyid === checked.ownKeyid;
  if (file.sig !== null)
    row.signature = {
      path: `${file.path}.sig`,
      verified: item.keyid !== null && !ownStatement,
      keyid: item.keyid,
      label: item.label,
    };
  const passed = item.passed.find((p) => p.evidence === 'sigstore.json');
  if (file.bundle !== null)
    row.attestation = {
      path: `${file.path}.sigstore.json`,
      verified: passed !== undefined,
      publisher: passed?.publisher ?? null,
      signingTime: passed?.signingTime ?? null,
      logIndex: passed?.logs[0]?.logIndex ?? null,
    };
  const sigNote =
    (row.signature?.verified ? `; ${basename(row.signature.path)} verifies (key id ${item.keyid})` : '') +
    (passed !== undefined
      ? `; ${basename(row.attestation!.path)} verifies (publisher ${passed.publisher}, Rekor log index ` +
        `${passed.logs[0]?.logIndex ?? '-'})`
      : '');
  switch (item.decision) {
    case 'publish':
      Object.assign(row, {
        ok: true,
        detail:
          (item.register
            ? `new name: ${item.detail ?? 'registered on first publish'}`
            : (item.detail ?? 'registered to this feedstock')) + sigNote,
      });
      return;
    case 'cleanup':
      Object.assign(row, {
        ok: true,
        detail: `the channel already holds these exact bytes (label ${item.label})${sigNote}`,
      });
      return;
    case 'wait':
      // A run would check the bundle later; check cannot say yes now.
      if (file.bundle !== null && checked.trustUnavailable !== null) {
        Object.assign(row, { reason: 'TRUST_ROOT_UNAVAILABLE', detail: item.detail });
        return;
      }
      // Both formats of one build in one check: the gate publishes the .conda first, then compares this one.
      Object.assign(row, { ok: true, detail: item.detail });
      return;
    case 'reject': {
      // Name the evidence file that failed: the .sig as before; a bundle when it was the only evidence.
      const failed =
        row.signature !== null && !row.signature.verified
          ? row.signature.path
          : row.attestation !== null && row.signature === null
            ? row.attestation.path
            : null;
      const named = failed !== null && (row.signature !== null || EVIDENCE_REASONS.has(item.reason));
      Object.assign(row, {
        reason: item.reason,
        detail: named ? `${basename(failed)}: ${item.detail}` : item.detail,
        fix: item.fix,
      });
    }
  }
}

/**
 * The gate's stores and ledger, read-only, for what check consults: the target where the config names one (a target
 * that cannot be opened is a note, never an error) and the ledger's tombstones where one exists.
 */
async function withGate<T>(
  gate: Gate,
  env: NodeJS.ProcessEnv,
  work: (stores: Stores | null, ledger: ((keys: string[]) => LedgerFacts) | null) => Promise<T>,
): Promise<T> {
  if (gate.config === null) return work(null, null);
  let stores: Stores | null = null;
  let ledger: Ledger | null = null;
  try {
    try {
      stores = createStores(gate.config, { env, readOnly: true });
    } catch {
      stores = null;
    }
    ledger = Ledger.openReadOnly(gate.config.ledger);
    const lookup = ledger === null ? null : (keys: string[]) => ledger!.lookup(keys);
    return await work(stores, lookup);
  } finally {
    await stores?.close();
    ledger?.close();
  }
}
