// Issue 17 on anaconda.org (emulated over real HTTP): a feedstock that does not own a name cannot veto its owner's
// upload, and a yank (to the `broken` label) keeps a file and its twin off the channel after the ledger is lost.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../helpers/sandbox.js';
import { buildStatement, signEnvelope } from '../../../src/statement/sign.js';
import { runCli } from '../../helpers/cli.js';
import { TOKENS, anacondaSandbox, emulatorForFile, ownerFiles, stageOnAnaconda, tokenEnv } from './emulator/sandbox.js';
import { uploadLikeAnacondaClient } from './emulator/upload.js';

const { emu, work } = emulatorForFile('fg-ana-round3-');

interface Item {
  filename: string;
  decision: string;
  outcome: string | null;
  reason: string | null;
  feedstock: string | null;
  warnings: string[];
}

async function reconcile(sb: Sandbox, ...extra: string[]): Promise<Item[]> {
  const r = await runCli(['reconcile', '--config', sb.configPath, '--json', ...extra], { env: tokenEnv() });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
}

function clear(): void {
  for (const owner of ['cf-staging', 'cf-post-staging', 'conda-forge'])
    for (const f of emu.state.filesOf(owner)) emu.state.removeFile(f);
}

describe('round 3 on anaconda.org', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await anacondaSandbox(join(work, 'sb'), emu);
    await sb.addFeedstock('app', ['app']);
    await sb.addFeedstock('mallory', ['mallory']);
    await sb.commitRegistry();
  });

  it("a registered feedstock's newer statement over another's upload is a warning; the owner's statement decides", async () => {
    clear();
    const built = await sb.build({ name: 'app', version: '1.0', build: 'h0_0', subdir: 'noarch' });
    await stageOnAnaconda(sb, emu, built, { feedstock: 'app' });
    // M signs a statement over A's exact bytes with M's own key and uploads it into M's own signatures package.
    const statement = buildStatement({
      filename: built.filename,
      digests: built.digests,
      feedstock: 'mallory',
      targetChannel: 'https://conda.example.org/forge',
      label: 'main',
      subdir: 'noarch',
      issuedAtMs: Date.now(),
    });
    await uploadLikeAnacondaClient(emu.url, TOKENS.FEEDSTOCK_TOKEN, {
      owner: 'cf-staging',
      package: 'mallory-signatures',
      version: '1.0',
      basename: `${built.filename}.sig`,
      type: 'file',
      labels: ['main'],
      bytes: Buffer.from(signEnvelope(statement, sb.keys.get('mallory')!)),
    });
    const plan = await reconcile(sb, '--plan');
    expect(plan).toEqual([expect.objectContaining({ decision: 'publish', feedstock: 'app' })]);
    expect(plan[0]!.warnings).toEqual(['ignored a statement by "mallory", which does not own this name (verifies)']);
    const run = await reconcile(sb);
    expect(run).toEqual([expect.objectContaining({ outcome: 'published', feedstock: 'app' })]);
    expect(ownerFiles(emu, 'conda-forge')).toEqual([`noarch/${built.filename}@main`]);
    // Both signature files went with the upload they were paired with.
    expect(ownerFiles(emu, 'cf-staging')).toEqual([]);
  });

  it('a yanked file and its twin stay REPLAYED after the ledger is lost (the broken label remembers)', async () => {
    clear();
    const spec = { name: 'app', version: '2.0', build: 'h0_0', subdir: 'linux-64' } as const;
    const built = await sb.build(spec);
    await stageOnAnaconda(sb, emu, built, { feedstock: 'app' });
    expect((await reconcile(sb)).map((i) => i.outcome)).toEqual(['published']);
    const yank = await runCli(
      ['yank', '--config', sb.configPath, '--reason', 'bad build', '--json', `linux-64/${built.filename}`],
      { env: tokenEnv() },
    );
    expect(yank.code, yank.stderr).toBe(0);
    expect(ownerFiles(emu, 'conda-forge')).toEqual([`linux-64/${built.filename}@broken`]);

    for (const suffix of ['', '-wal', '-shm']) rmSync(`${sb.ledgerPath}${suffix}`, { force: true });
    await stageOnAnaconda(sb, emu, built, { feedstock: 'app' });
    const twin = await sb.build({ ...spec, format: 'tar.bz2' });
    await stageOnAnaconda(sb, emu, twin, { feedstock: 'app' });
    const items = await reconcile(sb);
    expect(items.map((i) => [i.filename, i.outcome, i.reason])).toEqual([
      [built.filename, 'rejected', 'REPLAYED'],
      [twin.filename, 'rejected', 'REPLAYED'],
    ]);
    expect(ownerFiles(emu, 'conda-forge')).toEqual([`linux-64/${built.filename}@broken`]);
  });
});
