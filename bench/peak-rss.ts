// Peak RSS of this process, in KiB. getrusage's maxrss survives execve, so a child spawned by a large benchmark
// process would report the parent's size; Linux's VmHWM belongs to the new address space alone.
import { readFileSync } from 'node:fs';

export function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS;
}
