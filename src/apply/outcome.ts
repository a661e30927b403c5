// What applying a plan produces: one outcome per item, and the facts it learnt on the way (for the one writer of the
// ledger, reconcile/record.ts). Expected outcomes are values; only bugs throw.
import type { Digests } from '../model.js';
import type { ErrorCode } from '../errors.js';
import type { ReasonCode } from '../reasons.js';
import type { PassedEvidence, PlanItem } from '../plan/types.js';

export type Outcome =
  /** `detail`: what the admin should know about the published package (e.g. info/paths.json disagreements). */
  | { kind: 'published'; registered: boolean; detail?: string }
  | { kind: 'cleaned' }
  | { kind: 'rejected'; reason: ReasonCode; detail: string; deleted: boolean }
  | { kind: 'waiting' }
  /**
   * The next run retries. `code` FG_PERMISSION: forgegate may not write where it must (an admin's fix, never a
   * maintainer's); otherwise transient.
   */
  | { kind: 'failed'; detail: string; code?: ErrorCode }
  /** A security alert was raised (e.g. the target served other bytes after publishing). */
  | { kind: 'alert'; detail: string };

export interface ItemResult {
  item: PlanItem;
  outcome: Outcome;
}

/**
 * What applying learnt that later runs must know, told as it happens: a publication is recorded before its staged
 * copy is removed (a crash in between still leaves the tombstone), and a verdict on bytes proven to be the
 * statement's holds for every later upload of exactly them.
 */
export type ApplyFact =
  | {
      kind: 'publication';
      subdir: string;
      filename: string;
      label: string;
      digests: Digests;
      feedstock: string;
      /** The upload time the target reported right after publishing (null: it has none). */
      uploadedAt: string | null;
      /** The evidence that passed (recorded beside the publication, and in the publication log). */
      evidence: readonly PassedEvidence[];
      /** What the target serves as its attestations (Held.attestations), for the publication log. */
      attestations?: string | null;
      at: string;
    }
  | {
      kind: 'verdict';
      identity: string;
      subdir: string;
      filename: string;
      reason: ReasonCode;
      detail: string;
      at: string;
    };

/** Where the applier tells its facts (the run's record; nothing when a test or a plan has no ledger). */
export type FactSink = (fact: ApplyFact) => void;
