// Output helpers: everything a command prints goes through here, so --json stays clean and errors stay on stderr.
import { escapeControl, escapeControlKeepLines } from '../util/escape-control.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

/** A line-terminated write with every control character but the newline escaped (text and JSON alike). */
function terminal(text: string): string {
  const safe = escapeControlKeepLines(text);
  return safe.endsWith('\n') ? safe : `${safe}\n`;
}

/**
 * A reader that went away (`| head`, `| true`) is no error of the command: later writes to that stream are dropped
 * and the command ends as it would have, with its own exit code (an apply is never cut short by a closed pipe).
 */
function quietOnEpipe(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}

const stdout = quietOnEpipe(process.stdout);
const stderr = quietOnEpipe(process.stderr);

export const processIo: Io = {
  out: (text) => stdout(terminal(text)),
  err: (text) => stderr(terminal(text)),
  isTTY: process.stderr.isTTY,
  env: process.env,
};

/** A plain-text table: columns padded to their widest cell; a cell is one line, whatever it holds. */
export function textTable(header: string[], body: string[][]): string {
  const rows = body.map((r) => r.map(escapeControl));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A warning never changes the exit code: `warning[CODE]: what` and what to do. */
export function warn(io: Io, code: string, message: string, fix: string): void {
  io.err(`warning[${code}]: ${message}\n  fix: ${fix}`);
}

export type Progress = (phase: string, done: number, total: number) => void;

/** Progress on a TTY only: one rewritten line on stderr per phase (observing, inspecting, applying). */
export function progress(io: Io): Progress | undefined {
  if (!io.isTTY) return undefined;
  return (phase, done, total) => {
    stderr(`\r${phase} ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
