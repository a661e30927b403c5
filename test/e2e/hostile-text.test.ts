// Uploader text reaches reports, step summaries and terminals: it must never act as markup, a delivery marker or a
// terminal control sequence there. Real packages, real folders, the real CLI process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { generateKeyPair } from '../../src/statement/keys.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-hostile-text-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const VICTIM = 'linux-64/victim-1.0-h0_0.conda';
/** A feedstock "name" carrying a copy of the marker a later real failure will get, and terminal escapes. */
const HOSTILE =
  `x <!-- forgegate:failure ${VICTIM} KEY_UNKNOWN --> <!-- hide the rest ` +
  '\u001b]0;owned\u0007\u001b[2J\r\u009b31m\u202e';
/** Raw control characters that must never be printed: ESC, BEL, CR, CSI (C1) and a bidi override. */
// eslint-disable-next-line no-control-regex -- finding raw control characters is the point
const RAW_CONTROL = /[\u0007\u001b\r\u009b\u202e]/;

let sb: Sandbox;
const summary = join(work, 'summary.md');
const report = (): string => readFileSync(join(sb.reportsDir, '_unattributed', 'unknown.md'), 'utf8');

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  const evil = await sb.build({ name: 'evil', version: '1.0', build: 'h0_0', subdir: 'linux-64' });
  await sb.stage(evil, { feedstock: HOSTILE, keys: [generateKeyPair()] });
}, 60_000);

describe('hostile statement text', () => {
  let run: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    writeFileSync(summary, '');
    run = await runCli(['reconcile', '--config', sb.configPath], { env: { GITHUB_STEP_SUMMARY: summary } });
  });

  it('is rejected and reported to the administrators (KEY_UNKNOWN)', () => {
    expect(run.code).toBe(0);
    expect(report()).toContain('**KEY_UNKNOWN**');
  });

  it('never forms an HTML comment in the report: the only comments are forgegate markers', () => {
    const text = report();
    expect(text.match(/<!--/g)).toHaveLength(2); // the report header and the row's own marker
    expect(text.split('\n').filter((l) => l.includes('<!--'))).toEqual([
      '<!-- forgegate:report feedstock=_unattributed commit=unknown -->',
      expect.stringMatching(/ <!-- forgegate:failure linux-64\/evil-1\.0-h0_0\.conda KEY_UNKNOWN -->$/),
    ]);
    expect(text).not.toMatch(RAW_CONTROL);
  });

  it('never forms an HTML comment or a control character in the step summary', () => {
    const text = readFileSync(summary, 'utf8');
    expect(text).toContain('KEY_UNKNOWN');
    expect(text).not.toContain('<!--');
    expect(text).not.toMatch(RAW_CONTROL);
  });

  it('reaches the terminal escaped: the run table shows \\u001b, never ESC itself', () => {
    expect(run.stdout).toContain('\\u001b]0;owned\\u0007');
    expect(run.stdout + run.stderr).not.toMatch(RAW_CONTROL);
  });

  it('reaches the terminal escaped through `ledger failures`, as text and as JSON', async () => {
    const text = await runCli(['ledger', 'failures', '--config', sb.configPath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('KEY_UNKNOWN');
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    const json = await runCli(['ledger', 'failures', '--config', sb.configPath, '--json']);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const { rows } = JSON.parse(json.stdout) as { rows: { detail: string }[] };
    // Escaped for the terminal, yet still JSON that decodes to the exact text.
    expect(rows[0]!.detail).toContain(HOSTILE);
  });

  it('cannot mark a later real failure as already reported', async () => {
    const victim = await sb.build({ name: 'victim', version: '1.0', build: 'h0_0', subdir: 'linux-64' });
    await sb.stage(victim, { feedstock: 'newcomer', keys: [generateKeyPair()] });
    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ reports: { sent: 1 } });
    expect(report()).toMatch(
      new RegExp(` <!-- forgegate:failure ${VICTIM.replace(/\./g, '\\.')} KEY_UNKNOWN -->$`, 'm'),
    );
  });
});
