// Run the built CLI as a real process (the way cron runs it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cliArgs } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `timeoutMs` guards tests of hangs: a run still alive then is killed (signal SIGKILL), so the test fails on its
 * exit code instead of leaving a process behind. `cli` runs another copy of the built CLI (operatorSpawn()'s).
 */
export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    cwd?: string;
    timeoutMs?: number;
    uid?: number;
    gid?: number;
    /** Called with the process id once it runs (to signal it). */
    started?: (pid: number) => void;
    cli?: string;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, FORGEGATE_FAULT: '', GITHUB_STEP_SUMMARY: '', ...opts.env };
    const child = spawn(process.execPath, [...cliArgs(opts.cli ?? CLI, env), ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    if (child.pid !== undefined) opts.started?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = opts.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Run the CLI, stop it at fault point `point` (FORGEGATE_PAUSE), let `meanwhile` change the world (or signal the
 * paused process, whose pid it gets), then let it go on: what an attacker does between a run's listing and its
 * actions.
 */
export async function runCliPaused(
  args: string[],
  point: string,
  meanwhile: (paused: { pid: number }) => Promise<void> | void,
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult & { pausedAt: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-pause-'));
  try {
    const running = runCli(args, { ...opts, env: { ...opts.env, FORGEGATE_PAUSE: point, FORGEGATE_PAUSE_DIR: dir } });
    const state = { finished: false };
    void running.then(() => (state.finished = true));
    while (!existsSync(join(dir, `${point}.paused`)) && !state.finished) await new Promise((r) => setTimeout(r, 20));
    const pausedAt = existsSync(join(dir, `${point}.paused`));
    if (pausedAt) {
      // The file is written with the pid in one call; an empty read means it is not written yet.
      let pid = 0;
      while (!(pid > 0)) pid = Number(readFileSync(join(dir, `${point}.paused`), 'utf8'));
      await meanwhile({ pid });
      writeFileSync(join(dir, `${point}.resume`), '');
    }
    return { ...(await running), pausedAt };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
