// `forgegate check`, decided by the run's own planner. The files given stand for staging: each with the ARTIFACT.sig
// and ARTIFACT.sigstore.json beside it, or, with neither (before signing, pull requests), with a statement check
// signs itself under a one-off key added to the feedstock's keys. Every step after the signature is then the run's
// own: authorization, the target (conflicts, twins, what was taken off) and the ledger's tombstones, with the same
// reason codes and details.
import { publishedTwinContent } from '../apply/twin.js';
import { artifactTwin, parseArtifactFilename } from '../conda/filename.js';
import type { UnpackLimits } from '../conda/limits.js';
import { noLedgerFacts, type LedgerFacts } from '../ports/ledger-facts.js';
import type { ArtifactFacts } from '../model.js';
import { artifactKey, uploadIdentity } from '../plan/identity.js';
import { assemblePlan } from '../plan/planner.js';
import { twinContentKey } from '../plan/target-check.js';
import type { Inspection, Observation, Plan, PlanSettings } from '../plan/types.js';
import type { RegistryKey, RegistrySource } from '../ports/registry.js';
import type { StagedArtifact, StagedSignature } from '../ports/staging.js';
import type { TargetListing, TargetStore } from '../ports/target.js';
import { claimedSubject } from '../plan/pair-signatures.js';
import { claimedRepository } from '../plan/check-evidence.js';
import type { TrustState } from './trust-root.js';
import { encodeKey, generateKeyPair } from '../statement/keys.js';
import { buildStatement, signEnvelope } from '../statement/sign.js';

/** An evidence file's bytes; `content` null when it is larger than evidence may be (it is then malformed). */
export type EvidenceBytes = { content: Uint8Array | null; size: number } | null;

/** One artifact file that verified as a package, and the evidence beside it (null: none). */
export interface CheckedFile {
  path: string;
  subdir: string;
  filename: string;
  /** What verifying the file established; read with `content` (twins are compared by it). */
  facts: ArtifactFacts;
  sig: EvidenceBytes;
  /** ARTIFACT.sigstore.json (keyless-v1). */
  bundle: EvidenceBytes;
}

export interface CheckGate {
  registry: RegistrySource;
  /** The target, where it can be read (the gate's config); null when only the registry is known. */
  target: TargetStore | null;
  /** What the ledger knows (the gate's config, when it has one yet); null otherwise. */
  ledger: ((keys: string[]) => LedgerFacts) | null;
  settings: PlanSettings;
  /** The label a statement check signs itself names. */
  label: string;
  limits: UnpackLimits;
  /** The Sigstore trusted root, asked for only when a bundle lies beside an artifact. */
  trust: () => Promise<TrustState>;
}

export interface CheckPlan {
  plan: Plan;
  /** The key id check signed its own statements with: an item verified by it had no .sig of its own. */
  ownKeyid: string;
  /** Whether the target was read, or why not. */
  target: { listing: TargetListing; error: null } | { listing: null; error: string };
  /** The feedstock's keys in the registry, before check added its own. */
  registeredKeys: readonly RegistryKey[];
  registryCommit: string | null;
  /** Why bundles could not be checked (no trusted root); null when they were, or there were none. */
  trustUnavailable: string | null;
}

export async function planCheck(
  files: readonly CheckedFile[],
  feedstock: string,
  gate: CheckGate,
  nowMs: number,
): Promise<CheckPlan> {
  const own = generateKeyPair();
  const { settings } = gate;
  const artifacts: StagedArtifact[] = files.map((f) => ({
    subdir: f.subdir,
    filename: f.filename,
    size: f.facts.size,
    sha256: f.facts.sha256,
    md5: f.facts.md5,
    handle: f.path,
  }));
  const bundles: StagedSignature[] = files.flatMap((f) =>
    f.bundle === null
      ? []
      : [
          {
            filename: `${f.filename}.sigstore.json`,
            kind: 'sigstore.json' as const,
            besideArtifact: { subdir: f.subdir, filename: f.filename },
            handle: `${f.path}.sigstore.json`,
            ...f.bundle,
          },
        ],
  );
  const signatures: StagedSignature[] = files.flatMap((f) => {
    const beside = { subdir: f.subdir, filename: f.filename };
    const handle = `${f.path}.sig`;
    if (f.sig !== null) return [{ filename: `${f.filename}.sig`, besideArtifact: beside, handle, ...f.sig }];
    // A bundle alone is the evidence the gate will weigh: check adds no statement of its own beside it.
    if (f.bundle !== null) return [];
    const statement = buildStatement({
      filename: f.filename,
      digests: f.facts,
      feedstock,
      targetChannel: settings.targetChannel,
      label: gate.label,
      subdir: f.subdir,
      issuedAtMs: nowMs,
    });
    const content = Buffer.from(signEnvelope(statement, [own]));
    return [{ filename: `${f.filename}.sig`, besideArtifact: beside, handle, content, size: content.length }];
  });

  const names = [...new Set(files.flatMap((f) => parseArtifactFilename(f.filename)?.name ?? []))];
  const claimed = signatures.flatMap((s) => claimedSubject(s)?.feedstock ?? []);
  const repositories = [...new Set(bundles.flatMap((b) => claimedRepository(b) ?? []))].sort();
  const snapshot = await gate.registry.snapshot({
    names,
    feedstocks: [...new Set([feedstock, ...claimed])].sort(),
    ...(bundles.length > 0 ? { repositories, publisherIndex: true } : {}),
  });
  const registeredKeys = snapshot.keys.get(feedstock) ?? [];
  const keys = new Map(snapshot.keys);
  keys.set(feedstock, [...registeredKeys, { keyid: own.keyid, publicKey: encodeKey(own.publicKey) }]);

  const focus = files.flatMap((f) => [f, { subdir: f.subdir, filename: artifactTwin(f.filename) }]);
  const target = await readTarget(gate.target, focus);
  const lookupKeys = focus.map((f) => artifactKey(f.subdir, f.filename));
  const ledger = gate.ledger?.(lookupKeys) ?? noLedgerFacts();
  const inspections = new Map<string, Inspection>(
    artifacts.map((a, i) => {
      const { facts } = files[i]!;
      const inspection: Inspection = {
        kind: 'verified',
        digests: { size: facts.size, sha256: facts.sha256, md5: facts.md5 },
        ...(facts.content ? { content: facts.content } : {}),
      };
      return [uploadIdentity(a, facts.sha256), inspection];
    }),
  );
  const keyless = bundles.length > 0 && snapshot.config.sigstore !== undefined ? await gate.trust() : null;
  const observation: Observation = {
    nowMs,
    observedAtMs: nowMs,
    staging: { artifacts, signatures: [...signatures, ...bundles], others: [] },
    target: target.listing ?? { files: new Map(), removed: new Set() },
    registry: { ...snapshot, keys },
    ledger,
    inspections,
    ...(keyless === null
      ? {}
      : {
          keyless: {
            trust: keyless.trust,
            ...(keyless.unavailable !== undefined ? { unavailable: keyless.unavailable } : {}),
            digests: new Map(
              files.map((f) => [
                artifactKey(f.subdir, f.filename),
                { size: f.facts.size, sha256: f.facts.sha256, md5: f.facts.md5 },
              ]),
            ),
          },
        }),
  };
  let plan = assemblePlan(observation, settings);
  // A twin in the target is compared by what both install, as a plan does.
  const twins = plan.items.flatMap((i) =>
    i.decision === 'publish' && i.twin !== null ? [{ ...i, twin: i.twin }] : [],
  );
  if (twins.length > 0 && gate.target !== null) {
    const twinContents: NonNullable<Observation['twinContents']> = new Map();
    for (const item of twins) {
      const content = await publishedTwinContent(gate.target, item.subdir, item.twin, gate.limits).catch(() => null);
      if (content !== null)
        twinContents.set(twinContentKey(item.subdir, item.twin.filename, item.twin.sha256), content);
    }
    plan = assemblePlan({ ...observation, twinContents }, settings);
  }
  return {
    plan,
    ownKeyid: own.keyid,
    target,
    registeredKeys,
    registryCommit: snapshot.commit,
    trustUnavailable: keyless?.unavailable ?? null,
  };
}

/** The target's copies of the named files and their twins, read-only; why not, when it cannot be read. */
async function readTarget(
  target: TargetStore | null,
  files: { subdir: string; filename: string }[],
): Promise<CheckPlan['target']> {
  if (target === null)
    return { listing: null, error: 'registry-only check: pass --config to look the files up in the target' };
  try {
    target.focus?.(files.map((f) => ({ subdir: f.subdir, filename: f.filename })));
    return { listing: await target.list(), error: null };
  } catch (e) {
    return { listing: null, error: (e as Error).message.split('\n')[0]! };
  }
}
