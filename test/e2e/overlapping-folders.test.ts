// A config whose staging is the channel (or inside it, or the channel through a symlink) would reject and delete the
// channel's packages and every repodata form, or serve unsigned uploads. The run refuses it before it reads or
// writes anything: every file of the setup is byte for byte what it was. Real packages, folders, the real CLI.
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Sandbox } from '../helpers/sandbox.js';
import { channelState } from '../helpers/channel-state.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'fg-e2e-overlap-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let sb: Sandbox;
let published: string[];

/** Every entry under `root`: its path, kind, and for files the sha256 of the bytes. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const rel = relative(root, path);
      if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(path);
      } else if (st.isFile()) {
        out[rel] = `file ${createHash('sha256').update(readFileSync(path)).digest('hex')} ${st.mtimeMs}`;
      } else out[rel] = st.isSymbolicLink() ? 'symlink' : 'other';
    }
  };
  walk(root);
  return out;
}

function withStaging(path: string): void {
  const config = YAML.parse(readFileSync(sb.configPath, 'utf8')) as { staging: { store: { path: string } } };
  config.staging.store.path = path;
  writeFileSync(sb.configPath, YAML.stringify(config));
}

beforeAll(async () => {
  sb = await Sandbox.create(join(work, 'sb'));
  await sb.addFeedstock('app', ['app']);
  await sb.commitRegistry();
  // An index with a current_repodata.json too: every form the channel keeps must survive.
  mkdirSync(join(sb.channelDir, 'noarch'), { recursive: true });
  writeFileSync(join(sb.channelDir, 'noarch', 'current_repodata.json'), '{}');
  for (const v of ['1.0', '2.0'])
    await sb.stage(await sb.build({ name: 'app', version: v, build: 'h0_0', subdir: 'noarch' }), { feedstock: 'app' });
  const first = await runCli(['reconcile', '--config', sb.configPath]);
  expect(first.code).toBe(0);
  published = channelState(sb.channelDir).records;
  expect(published).toHaveLength(2);
  // An unsigned upload dropped where the attack's staging would be: inside the channel.
  mkdirSync(join(sb.channelDir, 'incoming', 'noarch'), { recursive: true });
  const junk = await sb.build({ name: 'app', version: '6.6.6', build: 'h0_0', subdir: 'noarch' });
  writeFileSync(join(sb.channelDir, 'incoming', 'noarch', junk.filename), readFileSync(junk.path));
  symlinkSync(sb.channelDir, join(sb.root, 'uploads'));
}, 60_000);

describe('a config whose staging overlaps the channel', () => {
  const cases: [string, string, RegExp][] = [
    [
      'the channel folder itself',
      './channel',
      /staging\.store\.path \(.*\/channel\) and target\.store\.path \(.*\/channel\) are the same folder/,
    ],
    [
      'a folder inside the channel',
      './channel/incoming',
      /staging\.store\.path \(.*\/channel\/incoming\) is inside target\.store\.path \(.*\/channel\)/,
    ],
    [
      'a symlink to the channel',
      './uploads',
      /staging\.store\.path \(.*\/uploads, which resolves to .*\/channel\) and target\.store\.path \(.*\/channel\) are the same folder/,
    ],
    [
      'a folder under a symlink to the channel',
      './uploads/incoming',
      /staging\.store\.path \(.*\/uploads\/incoming, which resolves to .*\/channel\/incoming\) is inside target\.store\.path/,
    ],
  ];
  for (const [what, path, message] of cases) {
    it(`(${what}) is refused with FG_CONFIG_INVALID, exit 64, before anything is read or written`, async () => {
      withStaging(path);
      const before = snapshot(sb.root);
      for (const args of [['--plan'], []]) {
        const r = await runCli(['reconcile', '--config', sb.configPath, ...args]);
        expect(r.code).toBe(64);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^error\[FG_CONFIG_INVALID\]: config .* names folders that overlap:/);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain('fix: Give staging, quarantine, target, reports, registry and the ledger folders');
      }
      // --json: the same error, for machines.
      const json = await runCli(['reconcile', '--config', sb.configPath, '--json']);
      expect(json.code).toBe(64);
      const out = JSON.parse(json.stdout) as { error: { code: string; message: string; fix: string } };
      expect(out.error.code).toBe('FG_CONFIG_INVALID');
      expect(out.error.message).toMatch(message);
      expect(out.error.fix).toContain('Give staging, quarantine, target, reports, registry and the ledger folders');
      // Not a byte, not a timestamp moved: packages, repodata.json, .zst and current_repodata.json, the ledger.
      expect(snapshot(sb.root)).toEqual(before);
      expect(channelState(sb.channelDir).records).toEqual(published);
    });
  }

  it('with staging back in its own folder, the run goes on as before and the channel is unchanged', async () => {
    withStaging('./staging');
    const r = await runCli(['reconcile', '--config', sb.configPath]);
    expect(r.code).toBe(0);
    expect(channelState(sb.channelDir)).toMatchObject({ records: published, disagreeing: [] });
  });
});
