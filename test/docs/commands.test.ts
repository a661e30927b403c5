// Every forgegate command line the docs show is one the CLI takes: the command exists, its subcommand is one the
// command's help names, and every flag appears in that help. The walkthrough, feedstock and operator tests run the
// blocks that can run on a fresh machine; this covers the rest (anaconda.org, GitHub, production paths).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docPaths, readDoc } from '../helpers/docs.js';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

interface Shown {
  doc: string;
  line: string;
  words: string[];
}

/** `forgegate …` lines in the docs' sh blocks (continuations joined, comments cut), and in their prose. */
function shownCommands(): Shown[] {
  const shown: Shown[] = [];
  for (const doc of docPaths()) {
    for (const block of readDoc(doc).matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) {
      const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n');
      for (const raw of lines) {
        const line = raw.replace(/\s+#\s.*$/, '').trim();
        const at = line.search(/(?:^|[;&|(]\s*)forgegate\s/);
        if (at < 0) continue;
        const words = line.slice(line.indexOf('forgegate', at)).split(/\s+/);
        shown.push({ doc, line, words: words.slice(1) });
      }
    }
    // And the ones quoted in the prose: `forgegate reconcile --config C --plan`.
    const prose = readDoc(doc).replace(/```[\s\S]*?```/g, '');
    for (const m of prose.matchAll(/`forgegate ([a-z][^`]*)`/g))
      shown.push({ doc, line: m[0], words: m[1]!.split(/\s+/) });
  }
  return shown;
}

const help = new Map<string, string>();
function helpOf(command: string): string {
  let text = help.get(command);
  if (text === undefined) {
    text = execFileSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' });
    help.set(command, text);
  }
  return text;
}

describe('the commands the docs show', () => {
  const shown = shownCommands();

  it('are many, from the README and the docs', () => {
    expect(shown.length).toBeGreaterThanOrEqual(50);
    expect([...new Set(shown.map((s) => s.doc))]).toEqual(
      expect.arrayContaining(['README.md', 'docs/admin.md', 'docs/feedstock.md', 'docs/operations.md']),
    );
  });

  it("name commands, subcommands and flags that each command's --help lists", () => {
    const topLevel = helpOf('help');
    for (const { doc, line, words } of shown) {
      const [command, sub] = words;
      expect(topLevel, `${doc}: ${line}`).toMatch(new RegExp(`^  ${command} `, 'm'));
      const text = helpOf(command!);
      if (sub !== undefined && /^[a-z][a-z-]+$/.test(sub) && ['registry', 'ledger', 'key'].includes(command!))
        expect(text, `${doc}: ${line}`).toContain(sub);
      for (const flag of words.filter((w) => w.startsWith('--'))) {
        const name = flag.replace(/=.*$/, '');
        expect(text, `${doc}: ${line} (${name})`).toMatch(new RegExp(`${name}(?![a-z-])`));
      }
    }
  });

  it('include every command the CLI dispatches in the top-level help', () => {
    const main = readFileSync(join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'utf8');
    const table = /const COMMANDS[^{]*\{([\s\S]*?)\n\};/.exec(main)![1]!;
    const dispatched = [...table.matchAll(/^ {2}([a-z-]+): /gm)].map((m) => m[1]!);
    expect(dispatched.length).toBeGreaterThanOrEqual(9);
    const topLevel = helpOf('help');
    for (const command of dispatched) expect(topLevel).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});
