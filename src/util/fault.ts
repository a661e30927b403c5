// Crash injection for the end-to-end crash tests: FORGEGATE_FAULT=<point>[:<n>] kills the process with SIGKILL at
// the n-th time (default 1st) it reaches <point>. It is read once; unset in production it costs one map lookup.
const spec = process.env['FORGEGATE_FAULT'] ?? '';
const [point, nth] = spec.split(':');
const target = Number(nth ?? '1');
let hits = 0;

export type FaultPoint =
  'admitted' | 'verified' | 'published' | 'confirmed' | 'recorded' | 'artifact-removed' | 'staging-removed';

export function faultPoint(name: FaultPoint): void {
  if (name !== point) return;
  hits += 1;
  if (hits === target) process.kill(process.pid, 'SIGKILL');
}
