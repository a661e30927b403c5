// Output helpers: everything a command prints goes through here, so --json stays clean and errors stay on stderr.
import { escapeControl, escapeControlKeepLines } from '../util/escape-control.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress lines may be drawn there. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * How wide stdout's lines may be: `COLUMNS` when set, else the terminal's width; undefined (full text) for a file
   * or a pipe.
   */
  width: number | undefined;
}

/**
 * A line-terminated write. Its line structure is the command's own: every piece of outside text in it (a staged
 * name, a statement field, a server message) went through escapeControl first, which escapes newlines too; here the
 * other control characters are escaped once more (text and JSON alike).
 */
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

/** `COLUMNS` when it is a sane width, else the terminal's; none for a file or a pipe. */
export function outputWidth(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean; columns?: number }): number | undefined {
  const columns = Number(env['COLUMNS']);
  if (Number.isInteger(columns) && columns >= 20 && columns <= 10_000) return columns;
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}

export const processIo: Io = {
  out: (text) => stdout(terminal(text)),
  err: (text) => stderr(terminal(text)),
  isTTY: process.stderr.isTTY,
  env: process.env,
  width: outputWidth(process.env, process.stdout),
};

/** The shortest a shortened column gets: enough to recognise what it was. */
const MIN_COLUMN = 8;

/** `text` in at most `width` characters: the end cut off (`head…`), or the middle for names (`numpy-2…_0.conda`). */
export function shorten(text: string, width: number, where: 'end' | 'middle' = 'end'): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  if (where === 'end') return `${text.slice(0, width - 1)}…`;
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

/**
 * Forgegate's own prose (a header, a fix) in lines of at most `width`, broken between words, continuation lines
 * indented by `indent`; undefined `width` leaves it one line. A word longer than a line stays whole.
 */
export function wrap(text: string, width: number | undefined, indent = 2): string {
  if (width === undefined || text.length <= width) return text;
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let current = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = current.trim() === '' ? `${current}${word}` : `${current} ${word}`;
    if (next.length > width && current.trim() !== '') {
      lines.push(current);
      current = `${' '.repeat(indent)}${word}`;
    } else current = next;
  }
  return [...lines, current].join('\n');
}

export interface Fit {
  /** The terminal's width; undefined keeps every cell whole (a log file or a pipe gets the full text). */
  width?: number | undefined;
  /** How many trailing columns fold onto the line below a row (joined by `: `) when the table is too wide: 1. */
  fold?: number;
}

/**
 * A plain-text table: columns padded to their widest cell; a cell is one line, whatever it holds. Given a width (a
 * terminal's) that the table would overflow, the last column(s) (the detail) fold onto a line of their own under each
 * row, cut to fit with `…`, and the other columns narrow (the widest first, cut in the middle) until each line fits.
 */
export function textTable(header: string[], body: string[][], fitTo: Fit = {}): string {
  const width = fitTo.width;
  const rows = body.map((r) => r.map(escapeControl));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], w: number[]): string =>
    cells
      .map((c, i) => shorten(c, w[i]!, 'middle').padEnd(w[i]!))
      .join('  ')
      .trimEnd();
  if (width === undefined || lineWidth(widths) <= width)
    return [
      line(header, widths),
      line(
        widths.map((w) => '-'.repeat(w)),
        widths,
      ),
      ...rows.map((r) => line(r, widths)),
    ].join('\n');
  const last = header.length - Math.min(Math.max(1, fitTo.fold ?? 1), header.length - 1);
  const kept = narrow(widths.slice(0, last), header, width);
  // Under the second column, or near the margin on a very narrow terminal.
  const indent = kept.length > 1 && kept[0]! + 2 <= width / 2 ? kept[0]! + 2 : 2;
  const folded = (r: string[]): string[] => {
    const detail = r.slice(last).filter(Boolean).join(': ');
    const head = line(r.slice(0, last), kept);
    return detail === '' ? [head] : [head, `${' '.repeat(indent)}${shorten(detail, Math.max(1, width - indent))}`];
  };
  return [
    line(header.slice(0, last), kept),
    line(
      kept.map((w) => '-'.repeat(w)),
      kept,
    ),
    `${' '.repeat(indent)}(${header.slice(last).join(': ')} on the line below each row)`,
    ...rows.flatMap(folded),
  ].join('\n');
}

const lineWidth = (widths: number[]): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);

/** Narrower column widths whose line, with two spaces between, fits in `width` (the widest give way first). */
function narrow(widths: number[], header: string[], width: number): number[] {
  const out = [...widths];
  const floor = (i: number): number => Math.min(widths[i]!, Math.max(MIN_COLUMN, header[i]!.length));
  while (lineWidth(out) > width) {
    let widest = -1;
    for (let i = 0; i < out.length; i++) if (out[i]! > floor(i) && (widest < 0 || out[i]! > out[widest]!)) widest = i;
    if (widest < 0) break; // every column at its floor: as narrow as a table gets
    const others = out.filter((_, i) => i !== widest);
    const next = Math.max(...others, floor(widest));
    out[widest] = Math.max(
      floor(widest),
      Math.min(out[widest]! - 1, Math.max(next, out[widest]! - (lineWidth(out) - width))),
    );
  }
  return out;
}

export function warn(io: Io, code: string, message: string, fix: string): void {
  io.err(`warning[${code}]: ${message}\n  fix: ${fix}`);
}

export interface Progress {
  /** `what` names what is counted: `reading staged artifacts 2/3`. */
  (what: string, done: number, total: number): void;
  /** Take the line away (before other output, e.g. what an interrupted run finished). */
  clear(): void;
}

/**
 * Progress on a TTY only (never on a pipe or in a log): one line on stderr, rewritten as the count moves and erased
 * when the count is complete, so what stays on the screen is the command's output.
 */
export function progress(io: Io): Progress | undefined {
  if (!io.isTTY) return undefined;
  let shown = false;
  const clear = (): void => {
    if (shown) stderr('\r\u001b[2K');
    shown = false;
  };
  const draw = (what: string, done: number, total: number): void => {
    if (done >= total) return clear();
    stderr(`\r\u001b[2K${what} ${done}/${total}`);
    shown = true;
  };
  return Object.assign(draw, { clear });
}
