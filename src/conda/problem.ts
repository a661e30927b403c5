// A reason the bytes are not an acceptable conda package, tied to the rule of the accepted subset it breaks.
export type ArtifactReason = 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE';

export class ArtifactProblem extends Error {
  readonly reason: ArtifactReason;
  /** The rule id from a format's rules table (`tar.checksum`, `zip.comment`, …); null for general checks. */
  readonly rule: string | null;
  constructor(reason: ArtifactReason, detail: string, rule: string | null = null) {
    super(rule === null ? detail : `${rule}: ${detail}`);
    this.reason = reason;
    this.rule = rule;
  }
}
export const invalid = (detail: string): ArtifactProblem => new ArtifactProblem('ARTIFACT_INVALID', detail);
export const unsafe = (detail: string): ArtifactProblem => new ArtifactProblem('ARTIFACT_UNSAFE', detail);

/** One rule of an accepted subset: its text (for the README and the message) and the reason it refuses with. */
export interface Rule {
  reason: ArtifactReason;
  text: string;
}

/** A format's rules table, keyed by rule id. */
export type RuleTable = Readonly<Record<string, Rule>>;

/** The problem for breaking `id` of `table`, with what was found. */
export function broke(table: RuleTable, id: string, detail: string): ArtifactProblem {
  const rule = table[id];
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return new ArtifactProblem(rule.reason, detail, id);
}
