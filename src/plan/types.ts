// The plan: plain, versioned JSON (`reconcile --plan --json` prints it; apply consumes it).
import type { Policy } from '../config/types.js';
import type { Digests, EvidenceWarning, PassedEvidence } from '../model.js';
import type { LedgerFacts } from '../ports/ledger-facts.js';
import type { RegistrySnapshot } from '../ports/registry.js';
import type { StagingListing } from '../ports/staging.js';
import type { TargetListing } from '../ports/target.js';
import type { PackageContent } from '../conda/package-content.js';
import type { ReasonCode } from '../reasons.js';
import type { KeylessTrust } from '../statement/keyless/sigstore.js';

export const PLAN_FORMAT_VERSION = 1;

/** What every item says, whatever its decision. */
export interface ItemCommon {
  subdir: string;
  filename: string;
  /** Feedstock the statement names (verified or not); null when there is no readable statement. */
  feedstock: string | null;
  /** Label from the statement; null without one. */
  label: string | null;
  /** Digests the statement binds; null without a parsed statement. */
  sha256: string | null;
  md5: string | null;
  size: number | null;
  /** forgegate has known this upload for longer than rejectRetention (whatever the decision). */
  pastRetention: boolean;
  /** Where the build came from (statement `source`), used only to aim reports. */
  sourceCommit: string | null;
  sourceRunUrl: string | null;
  /** The key id that verified the deciding .sig; null when none did (a bundle alone passed, or nothing). */
  keyid: string | null;
  /** Handles of the signature files paired with this artifact (deleted with it). */
  signatures: string[];
  /**
   * What a plan learnt from the staged bytes: `verified` (they pass every package check), `not inspected: why`, or
   * null when nothing was inspected (applying, where the quarantined copy is verified instead).
   */
  inspection: string | null;
  /** Why the administrators, not the maintainers, answer for this rejection (an admin-side failure held it). */
  adminCause: string | null;
  /** Evidence that did not decide this item: statements by feedstocks that do not own the name, and the like. */
  warnings: string[];
  /** The same warnings by code and evidence file (EVIDENCE_IGNORED, a failing sibling's reason). */
  evidenceWarnings: EvidenceWarning[];
  /** The evidence that passed (empty unless the item publishes or cleans up). */
  passed: PassedEvidence[];
}

export type { EvidenceKind, EvidenceWarning, PassedEvidence } from '../model.js';

/** What a verified statement binds: every item that publishes or cleans up has all of it. */
export interface Bound {
  feedstock: string;
  label: string;
  sha256: string;
  md5: string;
  size: number;
  keyid: string | null;
}

/** The staged bytes go to the target (after the quarantined copy verifies). */
export type PublishItem = ItemCommon &
  Bound & {
    decision: 'publish';
    reason: null;
    fix: null;
    /** What an admin should know (a registration, the twin it joins); null when nothing. */
    detail: string | null;
    /** The package name must be registered to the feedstock first. */
    register: boolean;
    /**
     * The other format of this build is already published (these bytes); this one is published beside it only if
     * it holds the same package, which the applier checks on the quarantined copy. Null otherwise.
     */
    twin: PublishedTwin | null;
    deleteStaged: false;
  };

/** The target already holds these exact bytes under the label: only staging is cleaned. */
export type CleanupItem = ItemCommon &
  Bound & {
    decision: 'cleanup';
    reason: null;
    fix: null;
    detail: string;
    register: false;
    twin: null;
    deleteStaged: false;
  };

export type RejectItem = ItemCommon & {
  decision: 'reject';
  reason: ReasonCode;
  fix: string;
  /** Technical detail for admins and the report. */
  detail: string;
  register: false;
  twin: null;
  /** Past rejectRetention, so the staged artifact and its signatures are deleted. */
  deleteStaged: boolean;
};

/** Nothing to do yet (a signature not uploaded yet, a twin published first). */
export type WaitItem = ItemCommon & {
  decision: 'wait';
  reason: null;
  fix: null;
  detail: string;
  register: false;
  twin: null;
  deleteStaged: false;
};

/** One decision per staged artifact; each branch holds exactly what applying it needs (the JSON shape is one). */
export type PlanItem = PublishItem | CleanupItem | RejectItem | WaitItem;

export type Decision = PlanItem['decision'];

/** The other format of a build as the target holds it: where to read it, and the bytes it must be. */
export interface PublishedTwin {
  filename: string;
  label: string;
  size: number;
  sha256: string;
}

/** A plan's look at the staged bytes of one upload (fed back into the planner as an observed fact). */
export type Inspection =
  | { kind: 'verified'; digests: Digests; content?: PackageContent }
  | { kind: 'refused'; reason: 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE'; detail: string; digests: Digests | null }
  | { kind: 'unavailable'; detail: string };

export interface StrayItem {
  /**
   * `signature`: a signature whose artifact is not staged; `unknown-subdir`: an artifact in a folder that is not a
   * known subdir (staging.subdirs); `other`: neither an artifact nor a signature (junk, a symlink, a FIFO).
   */
  kind: 'signature' | 'unknown-subdir' | 'other';
  /** Where it was found, where the store says (hostile text). */
  subdir: string | null;
  filename: string;
  handle: string;
  /**
   * Past rejectRetention, or its subject was already published (crash debris): delete. Otherwise kept (its artifact
   * may still arrive).
   */
  delete: boolean;
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  now: string;
  registryCommit: string | null;
  targetChannel: string;
  items: PlanItem[];
  strays: StrayItem[];
  summary: Record<Decision, number>;
}

export interface Observation {
  /** The time decisions are made at: the machine clock, or `--now` for a plan. */
  nowMs: number;
  /** The machine clock when staging was listed: when anything not in `ledger.firstSeen` counts as first seen. */
  observedAtMs: number;
  staging: StagingListing;
  target: TargetListing;
  registry: RegistrySnapshot;
  ledger: LedgerFacts;
  /**
   * Keyless evidence: the run's Sigstore trusted root (null when it could not be had: bundles then wait), and the
   * digests of each staged artifact a bundle is paired with (artifactKey → digests of the staged bytes; a bundle
   * binds only a sha256, the rest is computed). Absent: no bundle was staged.
   */
  keyless?: {
    trust: KeylessTrust | null;
    unavailable?: string;
    digests: Map<string, Digests | { error: string }>;
  };
  /** `--plan` only: upload identity → what reading the staged bytes showed. Absent when applying. */
  inspections?: Map<string, Inspection>;
  /** `--plan` only: `${subdir}/${filename}|${sha256}` of a published twin → what it installs, or why unreadable. */
  twinContents?: Map<string, PackageContent | { error: string }>;
}

export interface PlanSettings {
  targetChannel: string;
  labels: readonly string[];
  /** The subdirs artifacts may be staged in; an artifact anywhere else is a stray. */
  subdirs: readonly string[];
  policy: Policy;
  /** Where a maintainer asks for a registry change (e.g. the registry repository's issues); shown in details. */
  registryHome?: string;
}
