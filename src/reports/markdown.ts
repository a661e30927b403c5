// Hostile text (file names, statement fields, details) rendered into Markdown: never markup, never a table break,
// never an HTML comment (forgegate's delivery markers are comments), never a control character.
import { escapeControl } from '../util/escape-control.js';

export function mdCode(text: string): string {
  const clean = escapeControl(text.replace(/[\r\n]+/g, ' '))
    .replace(/`/g, "'")
    // Without `<` no comment or tag can open; look-alikes keep the text readable inside the code span.
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(/\|/g, '\\|')
    .slice(0, 500);
  return `\`${clean}\``;
}

export function mdTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
