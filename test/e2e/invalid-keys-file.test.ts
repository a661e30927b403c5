// keyless-v1: "An invalid keys file gives its feedstock no keys and no publishers (KEY_UNKNOWN, PUBLISHER_UNKNOWN),
// and the run reports the file." One admin's bad edit must not stop every other feedstock's publications.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_CONFIG, keyPath } from '../../src/registry/layout.js';
import { runCli } from '../helpers/cli.js';
import { Sandbox } from '../helpers/sandbox.js';

const work = mkdtempSync(join(tmpdir(), 'fg e2e invalid keys '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  items: { filename: string; outcome: string | null; reason: string | null; detail: string | null }[];
  notices: string[];
}

describe('an invalid keys file', () => {
  it('costs only its own feedstock its keys: the others publish, and the run names the file once', async () => {
    const sb = await Sandbox.create(join(work, 'sb'));
    await sb.addFeedstock('good', ['good-pkg']);
    await sb.addFeedstock('bad', ['bad-pkg']);
    // A field forgegate does not know: a restriction it must never drop silently, so the file counts for nothing.
    const path = join(sb.registryDir, keyPath('bad', DEFAULT_REGISTRY_CONFIG));
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, onlyFrom: 'azure' }));
    await sb.commitRegistry();
    for (const [name, feedstock] of [
      ['good-pkg', 'good'],
      ['bad-pkg', 'bad'],
    ] as const)
      await sb.stage(await sb.build({ name, version: '1.0', build: 'h0_0', subdir: 'noarch' }), { feedstock });

    const r = await runCli(['reconcile', '--config', sb.configPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Result;
    const item = (name: string) => out.items.find((i) => i.filename.startsWith(name))!;
    expect(item('good-pkg')).toMatchObject({ outcome: 'published' });
    expect(item('bad-pkg')).toMatchObject({ outcome: 'rejected', reason: 'KEY_UNKNOWN' });
    expect(item('bad-pkg').detail).toContain('its keys file is invalid');
    expect(item('bad-pkg').detail).toContain('"onlyFrom" is not a field of a keys file');
    expect(out.notices.filter((n) => n.startsWith('REGISTRY_KEYS_FILE_INVALID'))).toEqual([
      expect.stringContaining('feedstock "bad" has no keys or publishers until an admin fixes it'),
    ]);
  });
});
