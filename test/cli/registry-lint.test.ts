import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  ALLOWLIST_FILE,
  CONFIG_FILE,
  DEFAULT_REGISTRY_CONFIG,
  formatOutputFile,
  outputPath,
} from '../../src/registry/layout.js';
import { runCli } from '../helpers/cli.js';
import { DATA_DIR, VECTORS_DIR } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'fg-lint-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const write = (rel: string, text: string): void => {
  mkdirSync(dirname(join(work, rel)), { recursive: true });
  writeFileSync(join(work, rel), text);
};

// The whole real registry (32,676 outputs) is linted in-process where it is laid out once
// (test/backends/local/directory-registry.test.ts); the CLI lints a sample of it: every 50th output.
describe('forgegate registry lint', () => {
  beforeAll(() => {
    const data = JSON.parse(readFileSync(join(DATA_DIR, 'feedstock-outputs.json'), 'utf8')) as {
      outputs: Record<string, string[]>;
      config: object;
      registry_config: object;
    };
    write(CONFIG_FILE, JSON.stringify(data.registry_config));
    write(ALLOWLIST_FILE, YAML.stringify(data.config));
    for (const [name, fs] of Object.entries(data.outputs).filter((_, i) => i % 50 === 0))
      write(outputPath(name, DEFAULT_REGISTRY_CONFIG), formatOutputFile(fs));
  });

  it('passes a sample of the real conda-forge registry (654 of its outputs) with no problems', async () => {
    const r = await runCli(['registry', 'lint', work, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, outputs: 654, problems: [] });
  });

  it('finds mis-sharded files, bad JSON and bad key ids, exit 1', async () => {
    write('outputs/x/y/z/numpy.json', formatOutputFile(['numpy']));
    write(outputPath('broken', DEFAULT_REGISTRY_CONFIG), '{"feedstocks": "broken"}');
    write(
      'keys/d/e/m/demo.json',
      JSON.stringify({ keys: [{ keyid: 'f'.repeat(64), publicKey: 'iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=' }] }),
    );
    const r = await runCli(['registry', 'lint', work]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('outputs/x/y/z/numpy.json: belongs at outputs/n/u/m/numpy.json');
    expect(r.stdout).toContain('outputs/b/r/o/broken.json: "feedstocks" must be a non-empty list');
    expect(r.stdout).toContain('keys/d/e/m/demo.json: keys[0].keyid must be the lowercase hex sha256');
  });

  it('checks publishers: the keyless fixture passes; a foreign repository, a PR event or no sigstore block do not', async () => {
    const fixture = join(VECTORS_DIR, 'keyless', 'registry');
    const clean = await runCli(['registry', 'lint', fixture, '--json']);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, problems: [] });
    const copy = join(work, 'keyless');
    cpSync(fixture, copy, { recursive: true });
    const numpy = join(copy, 'keys/n/u/m/numpy.json');
    const doc = JSON.parse(readFileSync(numpy, 'utf8')) as { publishers: Record<string, unknown>[] };
    doc.publishers[0]!['repository'] = 'conda-forge/scipy-feedstock';
    writeFileSync(numpy, JSON.stringify(doc));
    const scipy = join(copy, 'keys/s/c/i/scipy.json');
    const sdoc = JSON.parse(readFileSync(scipy, 'utf8')) as { publishers: Record<string, unknown>[] };
    sdoc.publishers[0]!['events'] = ['pull_request'];
    writeFileSync(scipy, JSON.stringify(sdoc));
    const r = await runCli(['registry', 'lint', copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('publisher "gha-main" names conda-forge/scipy-feedstock, which repoPattern');
    expect(r.stdout).toContain('keys/s/c/i/scipy.json: publishers[0].events lists "pull_request"');
    writeFileSync(join(copy, 'config.json'), '{}');
    const off = await runCli(['registry', 'lint', copy]);
    expect(off.stdout).toContain('lists publishers, but config.json has no sigstore block');
  });
});
