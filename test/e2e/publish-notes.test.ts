// A package whose info/paths.json disagrees with its payload is published (conda installs the payload), and the
// disagreement is recorded in the run's detail and the ledger, never silently.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../helpers/sandbox.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-notes-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('publishing a package whose info/paths.json disagrees with the payload', () => {
  it('publishes it and records the disagreement in the run result and the ledger', async () => {
    const sb = await Sandbox.create(join(work, 'sb'));
    await sb.addFeedstock('tool', ['tool']);
    await sb.commitRegistry();
    const built = await sb.build({
      name: 'tool',
      version: '1.0',
      build: 'h0_0',
      subdir: 'linux-64',
      extraEntries: [{ name: 'share/tool/unlisted.txt', type: 'file', content: 'not in paths.json' }],
    });
    await sb.stage(built, { feedstock: 'tool' });
    const run = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const item = (JSON.parse(run.stdout) as { items: { outcome: string; detail: string | null }[] }).items[0]!;
    expect(item).toEqual(
      expect.objectContaining({
        outcome: 'published',
        detail: 'the payload holds paths info/paths.json does not list: 1 (first: share/tool/unlisted.txt)',
      }),
    );
    const db = new Database(sb.ledgerPath, { readonly: true });
    try {
      const row = db.prepare("SELECT detail FROM decisions_v2 WHERE outcome = 'published'").get() as { detail: string };
      expect(row.detail).toBe(item.detail);
    } finally {
      db.close();
    }
  });
});
