// The three stores one run works with, built together by the composition root.
import type { Quarantine } from './quarantine.js';
import type { StagingStore } from './staging.js';
import type { TargetStore } from './target.js';

/** Built by `reconcile/wiring.ts`; closed by whoever asked for them. */
export interface Stores {
  staging: StagingStore;
  quarantine: Quarantine;
  target: TargetStore;
  /** Release connections and other resources. */
  close(): Promise<void>;
}
