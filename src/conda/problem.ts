// A reason the bytes are not an acceptable conda package, tied to the rule of the accepted subset it breaks.
export type ArtifactReason = 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE';

/** One rule of an accepted subset: what is accepted, the reason it refuses with, and what fixes a refusal. */
export interface Rule {
  reason: ArtifactReason;
  /** What is accepted (docs/package-rules.md shows it word for word). */
  text: string;
  /** What the maintainer does about a refusal: true for this rule (for a writer bug: which writer, where to report). */
  fix: string;
}

/** A format's rules table, keyed by rule id. */
export type RuleTable = Readonly<Record<string, Rule>>;

export class ArtifactProblem extends Error {
  readonly reason: ArtifactReason;
  /** The rule id from a format's rules table (`tar.checksum`, `zip.comment`, …). */
  readonly rule: string;
  /** The rule's fix. */
  readonly fix: string;
  constructor(rule: string, spec: Rule, detail: string) {
    super(`${rule}: ${detail}`);
    this.reason = spec.reason;
    this.rule = rule;
    this.fix = spec.fix;
  }
}

/** The problem for breaking `id` of `table`, with what was found. */
export function broke(table: RuleTable, id: string, detail: string): ArtifactProblem {
  const rule = table[id];
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return new ArtifactProblem(id, rule, detail);
}
