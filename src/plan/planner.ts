// The planner: a pure function of observed facts. No I/O, no clock: `--plan` and apply share it.
import { artifactTwin, parseArtifactFilename } from '../conda/filename.js';
import type { StagedArtifact, StagedItem, StagedSignature } from '../ports/staging.js';
import { fixFor, type ReasonCode } from '../reasons.js';
import { authorizeOutput } from '../registry/authorize.js';
import type { UploadStatement } from '../statement/statement.js';
import { checkEvidence } from './check-evidence.js';
import { chooseEvidence, type IgnoredPiece } from './evidence.js';
import { checkTarget } from './target-check.js';
import { sameDigests } from '../util/digest.js';
import { parseUtcTime, toUtcString } from '../util/time.js';
import { artifactKey, sighting, uploadIdentity } from './identity.js';
import { claimedSubject, pairSignatures } from './pair-signatures.js';
import {
  PLAN_FORMAT_VERSION,
  type Decision,
  type Observation,
  type Plan,
  type Bound,
  type CleanupItem,
  type ItemCommon,
  type PlanItem,
  type PlanSettings,
  type RejectItem,
  type WaitItem,
  type StrayItem,
} from './types.js';

/**
 * The longest file name a channel can serve: conda downloads into `<name>.partial` beside the file, and a folder
 * name holds at most 255 bytes. (An artifact name is ASCII, so characters are bytes.)
 */
export const MAX_SERVED_NAME_BYTES = 255 - '.partial'.length;

const longNameDetail = (bytes: number): string =>
  `file name is ${bytes} bytes; a channel serves at most ${MAX_SERVED_NAME_BYTES} (conda downloads into ` +
  '<name>.partial and a file name holds 255 bytes): shorten the package name, version or build string';

export function assemblePlan(obs: Observation, settings: PlanSettings): Plan {
  // Only known subdirs hold artifacts: `zz/` or `label/` is no platform, and `label/` is the channel's namespace.
  const known = (a: StagedArtifact): boolean => settings.subdirs.includes(a.subdir);
  const outside = obs.staging.artifacts.filter((a) => !known(a));
  const { byArtifact, strays } = pairSignatures(obs.staging.artifacts.filter(known), obs.staging.signatures);
  const artifacts = obs.staging.artifacts
    .filter(known)
    .sort((a, b) => artifactKey(a.subdir, a.filename).localeCompare(artifactKey(b.subdir, b.filename)));
  const items = oneFormatPerPackage(
    artifacts.map((a) => planArtifact(a, byArtifact.get(artifactKey(a.subdir, a.filename)) ?? [], obs, settings)),
  );
  const summary: Record<Decision, number> = { publish: 0, cleanup: 0, reject: 0, wait: 0 };
  for (const item of items) summary[item.decision]++;
  const stray = (kind: StrayItem['kind'], subdir: string | null, item: StagedItem, key: string, debris = false) => {
    const old = ageMs(item, key, obs) > settings.policy.rejectRetentionMs;
    return { kind, subdir, filename: item.filename, handle: item.handle, delete: old || debris } satisfies StrayItem;
  };
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    now: toUtcString(obs.nowMs),
    registryCommit: obs.registry.commit,
    targetChannel: settings.targetChannel,
    items,
    strays: [
      ...strays.map((s) =>
        stray('signature', s.besideArtifact?.subdir ?? null, s, sighting.signature(s), publishedDebris(s, obs)),
      ),
      ...outside.map((a) => stray('unknown-subdir', a.subdir, a, sighting.artifact(a))),
      ...obs.staging.others.map((f) => stray('other', f.subdir, f, sighting.file(f))),
    ],
    summary,
  };
}

/**
 * Both formats of one name-version-build staged and publishable in one run: the .conda (which clients prefer) is
 * published first; the .tar.bz2 waits, and the next run compares it with the published .conda like any twin.
 */
function oneFormatPerPackage(items: PlanItem[]): PlanItem[] {
  const publishing = new Set(
    items.filter((i) => i.decision === 'publish').map((i) => artifactKey(i.subdir, i.filename)),
  );
  return items.map((i) => {
    const twin = artifactTwin(i.filename);
    if (i.decision !== 'publish' || !i.filename.endsWith('.tar.bz2') || !publishing.has(artifactKey(i.subdir, twin))) {
      return i;
    }
    return {
      ...i,
      decision: 'wait',
      register: false,
      twin: null,
      detail: `its twin ${twin} is published first by this run; the next run compares this one with it`,
    };
  });
}

/** A stray signature whose exact subject an earlier run published: left behind by a crash between deletions. */
function publishedDebris(sig: StagedSignature, obs: Observation): boolean {
  const claim = claimedSubject(sig);
  if (claim === null) return false;
  return (obs.ledger.publications.get(artifactKey(claim.subdir, claim.filename)) ?? []).some(
    (p) => p.sha256 === claim.sha256,
  );
}

/**
 * How long forgegate has known this exact staged file: since an earlier run first saw it, or since now. A store's
 * server-side upload time counts where there is one; a time the uploader chose (mtime) never does. So a lost ledger
 * can only delay a deletion.
 */
function ageMs(item: StagedItem, sightingKey: string, obs: Observation): number {
  let seen = obs.ledger.firstSeen.get(sightingKey) ?? obs.observedAtMs;
  const server = item.uploadedAt === undefined ? null : parseUtcTime(item.uploadedAt);
  if (server !== null && server < seen) seen = server;
  return obs.nowMs - seen;
}

function planArtifact(
  artifact: StagedArtifact,
  sigs: StagedSignature[],
  obs: Observation,
  settings: PlanSettings,
): PlanItem {
  const age = ageMs(artifact, sighting.artifact(artifact), obs);
  const base: ItemCommon = {
    subdir: artifact.subdir,
    filename: artifact.filename,
    feedstock: null,
    label: null,
    sha256: null,
    md5: null,
    size: null,
    pastRetention: age > settings.policy.rejectRetentionMs,
    sourceCommit: null,
    sourceRunUrl: null,
    keyid: null,
    signatures: sigs.map((s) => s.handle),
    inspection: null,
    adminCause: null,
    warnings: [],
    evidenceWarnings: [],
    passed: [],
  };
  const reject = (reason: ReasonCode, detail: string, st: UploadStatement | null): RejectItem => ({
    ...withStatement(base, st),
    decision: 'reject',
    reason,
    fix: fixFor(reason),
    detail,
    register: false,
    twin: null,
    deleteStaged: age > settings.policy.rejectRetentionMs,
  });

  // 1. evidence exists (else wait within the grace time)
  if (sigs.length === 0) return missing(base, age, settings, reject, []);

  // 2-6 for every piece the evidence table lets count (2-5 and the channel/label half of 6 for a .sig); pieces by a
  // feedstock that owns the name decide.
  const parsed = parseArtifactFilename(artifact.filename);
  const owns = (feedstock: string): boolean =>
    parsed !== null && authorizeOutput(obs.registry, feedstock, parsed.name).ok;
  const pieces = checkEvidence(artifact, sigs, obs, settings);
  if ('wait' in pieces) return waitItem(base, pieces.wait);
  const evidence = chooseEvidence(artifact, pieces.checked, pieces.ignored, owns, bindToStaged);
  base.warnings = evidence.warnings;
  base.evidenceWarnings = evidence.evidenceWarnings;
  const verified = evidence.deciding;
  if (!verified.ok && verified.missing) return missing(base, age, settings, reject, pieces.ignored);
  // A failing bundle names its feedstock without a statement: its report still goes there.
  if (!verified.ok && verified.statement === null) base.feedstock = verified.feedstock;
  if (!verified.ok && verified.waiting)
    return waitItem(withStatement(base, verified.statement), `${verified.reason}: ${verified.detail}`);

  // 6. binding to what staging holds: name, subdir, size, store-reported digests; the spec checks these before
  // channel/label.
  const st = verified.statement;
  if (st !== null && (verified.ok || verified.reason === 'TARGET_MISMATCH')) {
    const binding = bindToStaged(artifact, st);
    if (binding) return reject(binding.reason, binding.detail, st);
  }
  if (!verified.ok) {
    // A staged copy of what is already published under its label is cleaned up even once its statement is stale
    // (spec step 9): removing a copy of published bytes needs no freshness.
    const stale = evidence.stale;
    if (stale !== null) {
      const copies = obs.target.files.get(artifactKey(artifact.subdir, artifact.filename)) ?? [];
      if (copies.some((c) => c.label === stale.statement.label && sameDigests(c, stale.statement))) {
        return cleanupItem(
          bound(base, stale.statement, stale.staleKeyid),
          'the target already holds these exact bytes under this label (the statement is no longer fresh)',
        );
      }
    }
    // An upload an admin-side failure kept from publishing while its statement was good: its expiry is the
    // administrators' to answer for, never a maintainer's.
    const hold = st === null ? undefined : obs.ledger.holds.get(uploadIdentity(artifact, st.sha256));
    if (hold && (verified.reason === 'SIGNATURE_EXPIRED' || verified.reason === 'KEY_EXPIRED')) {
      return {
        ...reject(verified.reason, verified.detail, st),
        adminCause: `${hold.code} since ${toUtcString(hold.sinceMs)}: ${hold.detail}`,
      };
    }
    return reject(verified.reason, verified.detail, st);
  }
  base.passed = verified.passed;
  const statement = verified.statement;
  const item = bound(base, statement, verified.keyid);

  // 7 is checked by the applier on quarantined bytes; an earlier run's verdict on this exact upload is reused.
  const identity = uploadIdentity(artifact, statement.sha256);
  const earlier = obs.ledger.verifyFailures.get(identity);
  if (earlier) return reject(earlier.reason, `${earlier.detail} (found by an earlier run)`, statement);
  // A plan's own look at the staged bytes predicts what the applier will find in the quarantined copy.
  const inspected = obs.inspections?.get(identity);
  const expected = { size: statement.size, sha256: statement.sha256, md5: statement.md5 };
  if (inspected && inspected.kind !== 'unavailable') {
    if (inspected.digests !== null && !sameDigests(inspected.digests, expected))
      return reject(
        'DIGEST_MISMATCH',
        `staged bytes: size ${inspected.digests.size}, sha256 ${inspected.digests.sha256}; statement: size ` +
          `${expected.size}, sha256 ${expected.sha256}`,
        statement,
      );
    if (inspected.kind === 'refused')
      return reject(inspected.reason, `${inspected.detail} (found inspecting the staged bytes)`, statement);
  }
  const inspection =
    obs.inspections === undefined
      ? null
      : inspected === undefined
        ? 'not inspected: not read by this plan'
        : inspected.kind === 'verified'
          ? 'verified'
          : `not inspected: ${inspected.detail}`;

  // 8. authorization against the registry
  if (parsed === null)
    return reject('SUBJECT_MISMATCH', 'file name is not <name>-<version>-<build>.conda|.tar.bz2', statement);
  if (artifact.filename.length > MAX_SERVED_NAME_BYTES)
    return reject('ARTIFACT_INVALID', longNameDetail(artifact.filename.length), statement);
  const auth = authorizeOutput(obs.registry, statement.feedstock, parsed.name);
  if (!auth.ok && auth.reason === 'OUTPUT_NOT_REGISTERED') {
    // The exact command the admin runs, and where to ask for it.
    // An edit made and not committed is invisible to the run: asking for it again would not help.
    const pending = obs.registry.uncommitted?.outputs.get(parsed.name);
    if (pending !== undefined)
      return reject(
        auth.reason,
        `${auth.detail}; the registry has uncommitted changes to ${pending}: commit them (runs read the last commit)`,
        statement,
      );
    const command = `forgegate registry add-output REGISTRY --output ${parsed.name} --feedstock ${statement.feedstock}`;
    const where = settings.registryHome === undefined ? '' : `; ask in ${settings.registryHome}`;
    return reject(auth.reason, `${auth.detail}; an admin runs \`${command}\`${where}`, statement);
  }
  if (!auth.ok) return reject(auth.reason, auth.detail, statement);

  // 9. the target
  const content = inspected?.kind === 'verified' ? inspected.content : undefined;
  const target = checkTarget(artifact, statement, obs, settings.labels, content);
  if (target.kind === 'reject') return reject(target.reason, target.detail, statement);
  if (target.kind === 'cleanup')
    return cleanupItem(item, 'the target already holds these exact bytes under this label');
  const notes = [
    auth.register ? `registers "${parsed.name}" for ${statement.feedstock} (${auth.via})` : null,
    target.detail,
  ];
  const detail = notes.filter((n) => n !== null).join('; ');
  return {
    ...item,
    decision: 'publish',
    reason: null,
    fix: null,
    inspection,
    register: auth.register,
    twin: target.twin,
    detail: detail === '' ? null : detail,
    deleteStaged: false,
  };
}

/** Nothing checked: wait within the staging grace time, then SIGNATURE_MISSING (ignored pieces said as warnings). */
function missing(
  base: ItemCommon,
  age: number,
  settings: PlanSettings,
  reject: (reason: ReasonCode, detail: string, st: UploadStatement | null) => RejectItem,
  ignored: readonly IgnoredPiece[],
): PlanItem {
  const files = `${base.filename}.sig or ${base.filename}.sigstore.json`;
  const what =
    ignored.length === 0 ? `no ${files}` : `no ${files} that counts (${ignored.map((i) => i.file).join(', ')} ignored)`;
  if (age < settings.policy.stagingGraceMs) return waitItem(base, `${what} yet; inside the staging grace time`);
  return reject(
    'SIGNATURE_MISSING',
    `${what} ${Math.round(age / 60_000)} minutes after forgegate first saw the artifact`,
    null,
  );
}

function bindToStaged(artifact: StagedArtifact, st: UploadStatement): { reason: ReasonCode; detail: string } | null {
  if (st.name !== artifact.filename || st.subdir !== artifact.subdir) {
    return {
      reason: 'SUBJECT_MISMATCH',
      detail: `statement names ${st.subdir}/${st.name}, staged file is ${artifact.subdir}/${artifact.filename}`,
    };
  }
  if (st.size !== artifact.size)
    return { reason: 'DIGEST_MISMATCH', detail: `statement says ${st.size} bytes, staged file has ${artifact.size}` };
  if (artifact.sha256 !== undefined && artifact.sha256 !== st.sha256)
    return { reason: 'DIGEST_MISMATCH', detail: 'staged sha256 differs from the statement' };
  if (artifact.md5 !== undefined && artifact.md5 !== st.md5)
    return { reason: 'DIGEST_MISMATCH', detail: 'staged md5 differs from the statement' };
  if (artifact.labels !== undefined && (artifact.labels.length !== 1 || artifact.labels[0] !== st.label)) {
    return {
      reason: 'TARGET_MISMATCH',
      detail: `staged with label(s) [${artifact.labels.join(', ')}], statement names "${st.label}"`,
    };
  }
  return null;
}

/** What a statement says, verified or not (a rejection still names its feedstock and label for the report). */
function withStatement(item: ItemCommon, st: UploadStatement | null): ItemCommon {
  if (st === null) return item;
  return {
    ...item,
    feedstock: st.feedstock,
    label: st.label,
    sha256: st.sha256,
    md5: st.md5,
    size: st.size,
    sourceCommit: st.source?.commit ?? null,
    sourceRunUrl: st.source?.runUrl ?? null,
  };
}

/** What a verified statement binds, with the key id that verified it. */
function bound(item: ItemCommon, st: UploadStatement, keyid: string | null): ItemCommon & Bound {
  return { ...withStatement(item, st), feedstock: st.feedstock, label: st.label, ...pick(st), keyid };
}

const pick = (st: UploadStatement): Pick<Bound, 'sha256' | 'md5' | 'size'> => ({
  sha256: st.sha256,
  md5: st.md5,
  size: st.size,
});

function cleanupItem(item: ItemCommon & Bound, detail: string): CleanupItem {
  return {
    ...item,
    decision: 'cleanup',
    reason: null,
    fix: null,
    detail,
    register: false,
    twin: null,
    deleteStaged: false,
  };
}

function waitItem(item: ItemCommon, detail: string): WaitItem {
  return {
    ...item,
    decision: 'wait',
    reason: null,
    fix: null,
    detail,
    register: false,
    twin: null,
    deleteStaged: false,
  };
}
