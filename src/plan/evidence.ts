// Which of an artifact's statements decides it. Staging is shared by every feedstock's CI, so anyone can stage a
// statement over anyone's bytes: among all statements for one artifact, only those whose feedstock owns the name
// decide; the others are warnings (a feedstock that does not own a name can never veto, or publish, its upload).
import type { StagedArtifact } from '../ports/staging.js';
import type { ReasonCode } from '../reasons.js';
import type { UploadStatement } from '../statement/statement.js';
import type { VerifyResult } from '../statement/verify.js';

/** At most this many warnings per item: the rest are counted (a stager can pair any number of statements). */
const MAX_WARNINGS = 5;

export interface Binding {
  reason: ReasonCode;
  detail: string;
}

/** A failed verdict whose only failure is freshness: its statement and the key id that verified it. */
export type Stale = VerifyResult & { ok: false; statement: UploadStatement; staleKeyid: string };

export interface Evidence {
  /** The statement whose result decides the item: verified and bound if any is, else the newest failure. */
  deciding: VerifyResult;
  /** A statement, by a feedstock that owns the name, failing only its freshness and bound to the staged file. */
  stale: Stale | null;
  warnings: string[];
}

/**
 * `results` are the verdicts on every statement paired with the artifact, newest first. `owns` says whether a
 * feedstock owns (or may register) the artifact's name; `bind` checks a statement against the staged file.
 */
export function chooseEvidence(
  artifact: StagedArtifact,
  results: readonly VerifyResult[],
  owns: (feedstock: string) => boolean,
  bind: (artifact: StagedArtifact, st: UploadStatement) => Binding | null,
): Evidence {
  const owner = results.filter((r) => r.statement !== null && owns(r.statement.feedstock));
  // Without a statement by an owner, the newest statement decides as before: the artifact is refused either way,
  // and its stager learns why. With one, nobody else's evidence counts.
  const deciding = owner.length > 0 ? owner : results;
  const binds = (r: VerifyResult): boolean => r.statement !== null && bind(artifact, r.statement) === null;
  const chosen = deciding.find((r) => r.ok && binds(r)) ?? deciding.find((r) => r.ok) ?? deciding[0]!;
  const stale = owner.find((r): r is Stale => !r.ok && r.staleKeyid !== undefined && binds(r));
  const warnings: string[] = [];
  for (const r of results) {
    if (r === chosen) continue;
    const who = r.statement === null ? 'an unreadable statement' : `a statement by "${r.statement.feedstock}"`;
    const verdict = r.ok ? 'verifies' : `${r.reason}: ${r.detail}`;
    if (owner.length > 0 && !owner.includes(r)) {
      warnings.push(`ignored ${who}, which does not own this name (${verdict})`);
    } else if (!r.ok && chosen.ok) {
      warnings.push(`${who} paired with this file fails (${verdict})`);
    }
  }
  const shown = warnings.slice(0, MAX_WARNINGS);
  if (warnings.length > MAX_WARNINGS) shown.push(`and ${warnings.length - MAX_WARNINGS} more`);
  return { deciding: chosen, stale: stale ?? null, warnings: shown };
}
