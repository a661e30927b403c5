import type { ReasonCode } from '../reasons.js';
import type { PlanItem } from '../plan/types.js';

/** What happened to one plan item. Expected outcomes are values; only bugs throw. */
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
  | { kind: 'failed'; detail: string; code?: string }
  /** A security alert was raised (e.g. the target served other bytes after publishing). */
  | { kind: 'alert'; detail: string };

export interface ItemResult {
  item: PlanItem;
  outcome: Outcome;
}
