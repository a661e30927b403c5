// Run the built CLI with its stdout read by a reader that goes away: `forgegate … | head -c N` or `| true`.
import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

/** Reads `keepBytes` of stdout (0: none, like `| true`), then closes the pipe; returns what the process did. */
export function runCliClosedStdout(
  args: string[],
  keepBytes: number,
  opts: { cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, FORGEGATE_FAULT: '', GITHUB_STEP_SUMMARY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (keepBytes === 0) child.stdout.destroy();
    else
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.length >= keepBytes) child.stdout.destroy();
      });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
