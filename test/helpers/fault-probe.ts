// Preloaded into the CLI process by the tests (`node --import <dist>/test/helpers/fault-probe.js`): listens to the
// run's probe points (src/ports/probe.ts). FORGEGATE_FAULT=<point>[:<n>] kills the process with SIGKILL the n-th
// time (default 1st) it reaches <point> (the crash tests). FORGEGATE_PAUSE=<point> with FORGEGATE_PAUSE_DIR=<dir>
// stops there once: it writes <dir>/<point>.paused and waits for <dir>/<point>.resume, so a test can change the world
// between a run's listing and its actions (the attack tests).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installProbe, type ProbePoint } from '../../src/ports/probe.js';

const [point, nth] = (process.env['FORGEGATE_FAULT'] ?? '').split(':');
const target = Number(nth ?? '1');
const pauseAt = process.env['FORGEGATE_PAUSE'] ?? '';
const pauseDir = process.env['FORGEGATE_PAUSE_DIR'] ?? '';
let hits = 0;
let paused = false;

function pause(name: string): void {
  paused = true;
  writeFileSync(join(pauseDir, `${name}.paused`), String(process.pid));
  const resume = join(pauseDir, `${name}.resume`);
  const tick = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(resume)) Atomics.wait(tick, 0, 0, 20);
}

installProbe((name: ProbePoint) => {
  if (name === pauseAt && pauseDir !== '' && !paused) pause(name);
  if (name !== point) return;
  hits += 1;
  if (hits === target) process.kill(process.pid, 'SIGKILL');
});
