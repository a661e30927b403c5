// Named points of a run: a copy admitted, a file published, the index forms written, a staged file removed, … Nothing
// listens in production. The crash and attack tests preload a probe (test/helpers/fault-probe.ts, through node's
// --import) that kills the process at a point, or pauses it there while the test changes the world.
export type ProbePoint =
  | 'planned'
  | 'admitted'
  | 'verified'
  | 'published'
  | 'flushed'
  | 'confirmed'
  | 'recorded'
  | 'artifact-removed'
  | 'staging-removed'
  | 'temp-written'
  | 'forms-written'
  | 'form-renamed';

let listener: ((point: ProbePoint) => void) | null = null;

/** Listen to every point reached from now on (one listener: a test's). */
export function installProbe(fn: (point: ProbePoint) => void): void {
  listener = fn;
}

/** This point was reached. */
export function probe(point: ProbePoint): void {
  listener?.(point);
}
