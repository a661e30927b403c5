// The README's "Start a registry" walkthrough works verbatim on a fresh machine: its marked code blocks run, in
// order, in a new empty folder, with `forgegate` on the PATH as `npm link` would put it.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'fg-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every ```sh block right after a `<!-- walkthrough -->` marker, in README order. */
function walkthroughBlocks(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/<!-- walkthrough -->\n```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

describe('README walkthrough (folder flow)', () => {
  it('runs verbatim, block by block, and ends with the package published', () => {
    const blocks = walkthroughBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'forgegate'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'forgegate'), 0o755);
    const here = join(work, 'fresh');
    mkdirSync(here);
    // One shell, as a reader pasting block after block would have; any failing command stops it.
    const script = blocks.map((b) => `${b}\n`).join('');
    const out = execFileSync('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: here,
      env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, GITHUB_STEP_SUMMARY: '' },
      encoding: 'utf8',
    });
    expect(out).toMatch(/forgegate plan at .* plan: publish 1/);
    expect(out).toMatch(/published +noarch\/demo-pkg-1\.0\.0-pyh0_0\.conda/);
    expect(out).toMatch(/noarch\/demo-pkg-1\.0\.0-pyh0_0\.conda · feedstock demo-pkg · first seen/);
    expect(readdirSync(join(here, 'channel', 'noarch'))).toContain('demo-pkg-1.0.0-pyh0_0.conda');
    expect(readdirSync(join(here, 'staging', 'noarch'))).toEqual([]);
  });
});
