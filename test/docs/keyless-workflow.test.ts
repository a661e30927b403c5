// The README's keyless job (issue 21: "the README's workflow is complete and correct"): it runs only on push, asks
// for the OIDC token it needs and nothing more, attests one artifact with the CEP 27 predicate this gate checks, and
// its upload script, run as written with a recording `pixi`, uploads the artifact and then F.sigstore.json as a
// `file` distribution, the pairing anaconda.org staging reads (test/backends/anaconda/keyless.test.ts).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CEP27_PREDICATE_TYPE } from '../../src/statement/keyless/cep27.js';
import { readDoc } from '../helpers/docs.js';

const work = mkdtempSync(join(tmpdir(), 'fg keyless workflow '));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { permissions: Record<string, string>; steps: Step[] }>;
}

const block = /<!-- keyless-workflow -->\n```yaml\n([\s\S]*?)```/.exec(readDoc('README.md'))?.[1];
const workflow = YAML.parse(block ?? '') as Workflow;
const job = Object.values(workflow.jobs)[0]!;

describe("the README's keyless GitHub Actions job", () => {
  it('runs on push only, with the permissions attesting needs and no more', () => {
    expect(block).toBeDefined();
    expect(Object.keys(workflow.on)).toEqual(['push']);
    expect(workflow.permissions).toEqual({});
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write', attestations: 'write' });
  });

  it('attests exactly the built artifact with the CEP 27 predicate and a targetChannel', () => {
    const attest = job.steps.find((s) => s.uses?.startsWith('actions/attest@'))!;
    expect(attest.with?.['predicate-type']).toBe(CEP27_PREDICATE_TYPE);
    expect(attest.with?.['subject-path']).toBe('${{ steps.artifact.outputs.path }}');
    const predicate = JSON.parse(attest.with!['predicate']!) as { targetChannel: string };
    expect(Object.keys(predicate)).toEqual(['targetChannel']);
    expect(new URL(predicate.targetChannel).protocol).toBe('https:');
  });

  it('uploads the artifact, then its bundle as F.sigstore.json in a file package, as written', () => {
    const upload = job.steps.find((s) => s.run?.includes('anaconda upload'))!;
    expect(upload.env?.['BUNDLE']).toBe('${{ steps.attest.outputs.bundle-path }}');
    expect(upload.env?.['ANACONDA_API_TOKEN']).toMatch(/^\$\{\{ secrets\.\w+ \}\}$/);
    const bin = join(work, 'bin');
    const log = join(work, 'pixi.log');
    mkdirSync(bin);
    writeFileSync(join(bin, 'pixi'), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(log)}\n`);
    chmodSync(join(bin, 'pixi'), 0o755);
    const artifact = join(work, 'output', 'linux-64', 'numpy-2.1.0-py312h1234567_0.conda');
    mkdirSync(join(work, 'output', 'linux-64'), { recursive: true });
    writeFileSync(artifact, 'package bytes');
    writeFileSync(join(work, 'bundle.jsonl'), '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
    const r = spawnSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', upload.run!], {
      cwd: work,
      encoding: 'utf8',
      env: {
        PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`,
        ANACONDA_API_TOKEN: 'staging-token',
        ARTIFACT: artifact,
        BUNDLE: join(work, 'bundle.jsonl'),
      },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(`${artifact}.sigstore.json`, 'utf8')).toContain('bundle.v0.3');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toEqual([
      `exec --spec anaconda-client -- anaconda upload --user cf-staging --label main --force ${artifact}`,
      'exec --spec anaconda-client -- anaconda upload --user cf-staging --label main --force --package-type file ' +
        `--package numpy-attestations --version 2.1.0 ${artifact}.sigstore.json`,
    ]);
  });
});
