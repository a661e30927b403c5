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

export const processIo: Io = {
  out: (text) => process.stdout.write(terminal(text)),
  err: (text) => process.stderr.write(terminal(text)),
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

/** Progress on a TTY only: one rewritten line on stderr. */
export function progress(io: Io, label: string): ((done: number, total: number) => void) | undefined {
  if (!io.isTTY) return undefined;
  return (done, total) => {
    process.stderr.write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
