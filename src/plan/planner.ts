// The planner: a pure function of observed facts. No I/O, no clock: `--plan` and apply share it.
import { artifactTwin, parseArtifactFilename } from '../conda/filename.js';
import type { RegistryKey, StagedArtifact, StagedItem, StagedSignature, TargetFile } from '../model.js';
import { fixFor, type ReasonCode } from '../reasons.js';
import { authorizeOutput } from '../registry/authorize.js';
import type { UploadStatement } from '../statement/statement.js';
import { verifySignatureFile, type VerifyResult } from '../statement/verify.js';
import { sameDigests } from '../util/digest.js';
import { parseUtcTime, toUtcString } from '../util/time.js';
import { artifactKey, sighting, uploadIdentity } from './identity.js';
import { claimedSubject, pairSignatures } from './pair-signatures.js';
import {
  PLAN_FORMAT_VERSION,
  type Decision,
  type Observation,
  type Plan,
  type PlanItem,
  type PlanSettings,
  type StrayItem,
} from './types.js';

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
 * Both formats of one name-version-build staged and publishable in one run: only one is published (the .conda,
 * which clients prefer); the other is a conflict naming it, exactly as it would be on the next run.
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
    const reason = 'TARGET_CONFLICT';
    return {
      ...i,
      decision: 'reject',
      register: false,
      reason,
      fix: fixFor(reason),
      detail: `${i.subdir}/${twin} holds this name-version-build: this run publishes it`,
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
  const base: PlanItem = {
    subdir: artifact.subdir,
    filename: artifact.filename,
    feedstock: null,
    decision: 'reject',
    reason: null,
    fix: null,
    detail: null,
    label: null,
    sha256: null,
    md5: null,
    size: null,
    register: false,
    deleteStaged: false,
    pastRetention: false,
    sourceCommit: null,
    sourceRunUrl: null,
    keyid: null,
    signatures: sigs.map((s) => s.handle),
    inspection: null,
    adminCause: null,
  };
  const age = ageMs(artifact, sighting.artifact(artifact), obs);
  base.pastRetention = age > settings.policy.rejectRetentionMs;
  const reject = (reason: ReasonCode, detail: string, st: UploadStatement | null): PlanItem => ({
    ...withStatement(base, st),
    decision: 'reject',
    reason,
    fix: fixFor(reason),
    detail,
    deleteStaged: age > settings.policy.rejectRetentionMs,
  });

  // 1. a signature exists (else wait within the grace time)
  if (sigs.length === 0) {
    if (age < settings.policy.stagingGraceMs)
      return { ...base, decision: 'wait', detail: 'signature not uploaded yet; inside the staging grace time' };
    return reject(
      'SIGNATURE_MISSING',
      `no signature ${Math.round(age / 60_000)} minutes after forgegate first saw the artifact`,
      null,
    );
  }

  // 2-5 and the channel/label half of 6: the newest signature that verifies wins; else the newest one's failure.
  const ctx = {
    nowMs: obs.nowMs,
    maxSignatureAgeMs: settings.policy.maxSignatureAgeMs,
    clockSkewMs: settings.policy.clockSkewMs,
    targetChannel: settings.targetChannel,
    labels: settings.labels,
    keysFor: (f: string): readonly RegistryKey[] | null => obs.registry.keys.get(f) ?? null,
  };
  const results = sigs.map((s) => verifySignatureFile(s.content, ctx));
  const verified: VerifyResult = results.find((r) => r.ok) ?? results[0]!;

  // 6. binding to what staging holds: name, subdir, size, store-reported digests; the spec checks these before
  // channel/label.
  const st = verified.statement;
  if (st !== null && (verified.ok || verified.reason === 'TARGET_MISMATCH')) {
    const binding = bindToStaged(artifact, st);
    if (binding) return reject(binding.reason, binding.detail, st);
  }
  if (!verified.ok) {
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
  const statement = verified.statement;
  const item = { ...withStatement(base, statement), keyid: verified.keyid };

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
  const parsed = parseArtifactFilename(artifact.filename);
  if (parsed === null)
    return reject('SUBJECT_MISMATCH', 'file name is not <name>-<version>-<build>.conda|.tar.bz2', statement);
  const auth = authorizeOutput(obs.registry, statement.feedstock, parsed.name);
  if (!auth.ok && auth.reason === 'OUTPUT_NOT_REGISTERED') {
    // The exact command the admin runs, and where to ask for it.
    const command = `forgegate registry add-output REGISTRY --output ${parsed.name} --feedstock ${statement.feedstock}`;
    const where = settings.registryHome === undefined ? '' : `; ask in ${settings.registryHome}`;
    return reject(auth.reason, `${auth.detail}; an admin runs \`${command}\`${where}`, statement);
  }
  if (!auth.ok) return reject(auth.reason, auth.detail, statement);

  // 9. the target
  const copies: TargetFile[] = obs.target.get(artifactKey(artifact.subdir, artifact.filename)) ?? [];
  const other = copies.find(
    (c) => c.sha256 !== statement.sha256 || c.md5 !== statement.md5 || c.size !== statement.size,
  );
  if (other)
    return reject(
      'TARGET_CONFLICT',
      `the target holds other bytes under this name (label ${other.label}, sha256 ${other.sha256})`,
      statement,
    );
  if (copies.some((c) => c.label === statement.label)) {
    return { ...item, decision: 'cleanup', detail: 'the target already holds these exact bytes under this label' };
  }
  if (copies.length > 0) {
    return reject(
      'REPLAYED',
      `published before and now only under label(s) ${copies.map((c) => c.label).join(', ')}`,
      statement,
    );
  }
  const before = obs.ledger.publications.get(artifactKey(artifact.subdir, artifact.filename));
  if (before && before.length > 0) {
    return reject(
      'REPLAYED',
      `published before (label ${before.map((p) => p.label).join(', ')}) and since removed from the target`,
      statement,
    );
  }
  // A .conda and a .tar.bz2 of one name-version-build are one package: clients pick the .conda, so a second format
  // would replace what users install. Once either is published (or tombstoned), the other is refused.
  const twin = artifactTwin(artifact.filename);
  const twinCopies = obs.target.get(artifactKey(artifact.subdir, twin)) ?? [];
  if (twinCopies.length > 0) {
    return reject(
      'TARGET_CONFLICT',
      `${artifact.subdir}/${twin} already holds this name-version-build ` +
        `(label ${twinCopies.map((c) => c.label).join(', ')})`,
      statement,
    );
  }
  const twinBefore = obs.ledger.publications.get(artifactKey(artifact.subdir, twin)) ?? [];
  if (twinBefore.length > 0) {
    return reject(
      'REPLAYED',
      `${artifact.subdir}/${twin} held this name-version-build (published before, since removed from the target)`,
      statement,
    );
  }
  return {
    ...item,
    decision: 'publish',
    inspection,
    register: auth.register,
    detail: auth.register ? `registers "${parsed.name}" for ${statement.feedstock} (${auth.via})` : null,
  };
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

function withStatement(item: PlanItem, st: UploadStatement | null): PlanItem {
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
