/** A reason the bytes are not an acceptable conda package. */
export class ArtifactProblem extends Error {
  readonly reason: 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE';
  constructor(reason: 'ARTIFACT_INVALID' | 'ARTIFACT_UNSAFE', detail: string) {
    super(detail);
    this.reason = reason;
  }
}
export const invalid = (detail: string): ArtifactProblem => new ArtifactProblem('ARTIFACT_INVALID', detail);
export const unsafe = (detail: string): ArtifactProblem => new ArtifactProblem('ARTIFACT_UNSAFE', detail);
