// The staging listing indexed for lookups by name and by handle: built once when staging is observed, read by the
// plan's inspection, the applier and the record.
import type { StagedArtifact, StagedItem, StagingListing } from '../ports/staging.js';
import { artifactKey } from './identity.js';

export interface StagedIndex {
  /** `${subdir}/${filename}` → artifact. */
  artifacts: Map<string, StagedArtifact>;
  /** handle → every listed item (signatures, strays). */
  byHandle: Map<string, StagedItem>;
}

export function indexStaging(staging: StagingListing): StagedIndex {
  return {
    artifacts: new Map(staging.artifacts.map((a) => [artifactKey(a.subdir, a.filename), a])),
    byHandle: new Map(
      [...staging.artifacts, ...staging.signatures, ...staging.others].map((item) => [item.handle, item]),
    ),
  };
}
