// Hostile text (file names, statement fields, details) rendered into Markdown: never markup, never a table break,
// never an HTML comment (forgegate's delivery markers are comments), never a control character.
import { boundText } from '../util/bound-text.js';
import { escapeControl } from '../util/escape-control.js';

/** One field of a report or summary (a name, a label, a detail) shows at most this many characters. */
const MAX_CODE_SPAN = 500;

export function mdCode(text: string): string {
  // Only the start is ever shown: escaping the rest of a 60,000-character detail would be wasted work.
  const head = text.slice(0, MAX_CODE_SPAN);
  const clean = escapeControl(head.replace(/[\r\n]+/g, ' '))
    .replace(/`/g, "'")
    // Without `<` no comment or tag can open; look-alikes keep the text readable inside the code span.
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(/\|/g, '\\|');
  return `\`${boundText(clean, MAX_CODE_SPAN, text.length - head.length)}\``;
}

export function mdTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
