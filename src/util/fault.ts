// Fault injection for the end-to-end tests. FORGEGATE_FAULT=<point>[:<n>] kills the process with SIGKILL at the n-th
// time (default 1st) it reaches <point> (the crash tests). FORGEGATE_PAUSE=<point> with FORGEGATE_PAUSE_DIR=<dir>
// stops there once: it writes <dir>/<point>.paused and waits for <dir>/<point>.resume, so a test can change the world
// between a run's listing and its actions (the attack tests). Both are read once; unset in production they cost one
// comparison.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const spec = process.env['FORGEGATE_FAULT'] ?? '';
const [point, nth] = spec.split(':');
const target = Number(nth ?? '1');
let hits = 0;
const pauseAt = process.env['FORGEGATE_PAUSE'] ?? '';
const pauseDir = process.env['FORGEGATE_PAUSE_DIR'] ?? '';
let paused = false;

export type FaultPoint =
  | 'planned'
  | 'admitted'
  | 'verified'
  | 'published'
  | 'confirmed'
  | 'recorded'
  | 'artifact-removed'
  | 'staging-removed'
  | 'temp-written'
  | 'flushed'
  | 'forms-written'
  | 'form-renamed';

export function faultPoint(name: FaultPoint): void {
  if (name === pauseAt && pauseDir !== '' && !paused) pause(name);
  if (name !== point) return;
  hits += 1;
  if (hits === target) process.kill(process.pid, 'SIGKILL');
}

function pause(name: string): void {
  paused = true;
  writeFileSync(join(pauseDir, `${name}.paused`), String(process.pid));
  const resume = join(pauseDir, `${name}.resume`);
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(resume)) Atomics.wait(tick, 0, 0, 20);
}
