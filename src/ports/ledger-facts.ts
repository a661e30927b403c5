// What a run may know from earlier runs (the ledger answers it). Optimisations and history only: an empty answer must
// still give a safe plan.
import type { ReasonCode } from '../reasons.js';

export interface LedgerFacts {
  /** `${subdir}/${filename}` → labels it was published under by an earlier run. */
  publications: Map<string, { label: string; sha256: string }[]>;
  /** Staged-identity key → the verification failure an earlier run found for exactly that upload. */
  verifyFailures: Map<string, { reason: ReasonCode; detail: string }>;
  /** Sighting key (plan/identity.ts) → when an earlier run first saw that exact staged file (epoch ms). */
  firstSeen: Map<string, number>;
  /** Upload identity → an admin-side failure (FG_PERMISSION) that kept an earlier run from publishing it. */
  holds: Map<string, { code: string; detail: string; sinceMs: number }>;
}

/** Nothing known: the first run, a plan without a ledger, or a lost ledger. */
export function noLedgerFacts(): LedgerFacts {
  return { publications: new Map(), verifyFailures: new Map(), firstSeen: new Map(), holds: new Map() };
}
