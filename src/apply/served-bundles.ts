// What a keyless publication serves beside its file: the verified bytes of each deciding `.sigstore.json` (the
// evidence that passed and decided, never an ignored or failing sibling), found among the item's own staged evidence
// by the sha256 verification recorded. These are the bytes the run listed and verified, held since; the target checks
// them against that sha256 again right before it writes them.
import type { PublishItem } from '../plan/types.js';
import type { StagedIndex } from '../plan/staged-index.js';
import type { StagedSignature } from '../ports/staging.js';
import type { ServedBundle } from '../ports/target.js';
import { sha256Hex } from '../util/digest.js';

export function servedBundles(
  item: Pick<PublishItem, 'passed' | 'signatures'>,
  staged: StagedIndex,
): ServedBundle[] | { error: string } {
  const bundles: ServedBundle[] = [];
  for (const passed of item.passed) {
    if (passed.evidence !== 'sigstore.json') continue;
    const held = item.signatures
      .map((h) => staged.byHandle.get(h))
      .find(
        (s): s is StagedSignature =>
          s !== undefined &&
          'content' in s &&
          s.kind === 'sigstore.json' &&
          s.filename === passed.file &&
          s.content !== null &&
          sha256Hex(s.content) === passed.bundleSha256,
      );
    if (held === undefined)
      return {
        error:
          `the verified bundle ${passed.file} (sha256 ${passed.bundleSha256}) is not among the evidence listed ` +
          'with this file; nothing was published, the next run re-plans',
      };
    bundles.push({ bytes: held.content!, sha256: passed.bundleSha256 });
  }
  return bundles;
}
