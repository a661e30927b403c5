// The operator files in cron/ work as shipped: they agree with the configs docs/operations.md shows for a host and for
// GitHub Actions (token variables, the folders the config writes, the config path, the log folder), and the
// workflow's shell steps do what they say when run.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import type { Config, StoreConfig } from '../../src/config/types.js';
import { REPO_ROOT } from '../helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'fg-operator-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), 'utf8');
const OPERATIONS = read('docs/operations.md');
const HOST_CONFIG = '/etc/forgegate/forgegate.yml';

/** The fenced YAML block after `<!-- operator-config: NAME -->` in docs/operations.md. */
function readmeConfig(name: string): unknown {
  const at = OPERATIONS.indexOf(`<!-- operator-config: ${name} -->\n\`\`\`yaml\n`);
  expect(at, `docs/operations.md block ${name}`).toBeGreaterThan(0);
  const start = OPERATIONS.indexOf('\n', OPERATIONS.indexOf('```yaml', at)) + 1;
  return parseYaml(OPERATIONS.slice(start, OPERATIONS.indexOf('\n```', start)));
}

function validated(doc: unknown, configPath: string): Config {
  const { config, errors } = validateConfig(doc, configPath);
  expect(errors).toEqual([]);
  return config!;
}

/** Every `tokenEnv` the config names. */
function tokenEnvs(doc: unknown): string[] {
  if (Array.isArray(doc)) return doc.flatMap(tokenEnvs);
  if (doc === null || typeof doc !== 'object') return [];
  return Object.entries(doc).flatMap(([k, v]) => (k === 'tokenEnv' && typeof v === 'string' ? [v] : tokenEnvs(v)));
}

/** The folders a run with this config writes in. */
function writtenFolders(config: Config): string[] {
  const folder = (s: StoreConfig): string[] => (s.type === 'directory' && s.path ? [s.path] : []);
  return [
    dirname(config.ledger),
    ...folder(config.quarantine.store),
    ...(config.reports.type === 'directory' ? [config.reports.path] : []),
    ...folder(config.target.store),
    ...folder(config.staging.store),
  ].sort();
}

/** systemd's `Key=Value` lines (comments and sections dropped); a key given twice keeps both values. */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

function bash(script: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-e', '-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('on a host: systemd unit, crontab, logrotate and token file', () => {
  const doc = readmeConfig('host');
  const config = validated(doc, HOST_CONFIG);
  const unit = unitSettings(read('cron/forgegate.service'));
  const cronLine = read('cron/forgegate.crontab')
    .split('\n')
    .find((l) => /^[*\d]/.test(l))!;

  it('the unit runs the documented host config from /etc/forgegate, read-only, with the tokens from /etc/forgegate/env', () => {
    expect(unit.get('ExecStart')).toEqual([`/usr/bin/env forgegate reconcile --config ${HOST_CONFIG} --quiet`]);
    expect(unit.get('EnvironmentFile')).toEqual(['/etc/forgegate/env']);
    expect(unit.get('ProtectSystem')).toEqual(['strict']);
    const writable = (unit.get('ReadWritePaths') ?? []).flatMap((v) => v.split(/\s+/)).sort();
    // Exactly what the config writes: nothing it needs is missing, nothing more is open.
    expect(writable).toEqual(writtenFolders(config));
    expect(writable.some((p) => HOST_CONFIG.startsWith(`${p}/`))).toBe(false);
  });

  it('the token file names exactly the variables the config reads', () => {
    const names = read('cron/forgegate.env')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0]);
    expect(names.sort()).toEqual(tokenEnvs(doc).sort());
    expect(tokenEnvs(doc)).toEqual(['REGISTRY_TOKEN']);
  });

  it('the crontab line runs the same config with the same tokens, into a log folder that is created and rotated', () => {
    expect(cronLine).toContain(`forgegate reconcile --config ${HOST_CONFIG} --quiet`);
    expect(cronLine).toContain('. /etc/forgegate/env');
    expect(cronLine).not.toContain('%'); // cron turns % into a newline
    const log = /(?:>>|>) (\S+) 2>&1$/.exec(cronLine)?.[1];
    expect(log).toBe('/var/log/forgegate/reconcile.log');
    const rotate = read('cron/forgegate.logrotate');
    expect(rotate).toMatch(new RegExp(`^${log!.replace(/[./]/g, '\\$&')} \\{$`, 'm'));
    expect(rotate).toMatch(/^\s+create 0640 forgegate forgegate$/m);
    expect(rotate).toMatch(/^\s+su forgegate forgegate$/m);
  });

  it('the install steps create every folder the unit opens and the crontab logs to (the quarantine 0700)', () => {
    const steps = read('cron/README.md');
    const created = [...steps.matchAll(/^install -d .*$/gm)].flatMap((m) =>
      m[0].split(/\s+/).filter((w) => w.startsWith('/')),
    );
    for (const folder of [...writtenFolders(config), '/var/log/forgegate']) expect(created).toContain(folder);
    expect(steps).toMatch(/^install -d -o forgegate -g forgegate -m 0700 \/var\/lib\/forgegate\/quarantine$/m);
    expect(steps).toContain('cron/forgegate.logrotate /etc/logrotate.d/forgegate');
  });
});

describe('on GitHub Actions: the workflow', () => {
  const doc = readmeConfig('github-actions');
  const config = validated(doc, '/admin-repo/forgegate.yml');
  const workflow = parseYaml(read('cron/github-workflow.yml')) as {
    on: { workflow_dispatch: { inputs: Record<string, { type: string; default: unknown }> } };
    jobs: {
      reconcile: {
        steps: {
          name?: string;
          uses?: string;
          run?: string;
          env?: Record<string, string>;
          with?: Record<string, unknown>;
        }[];
      };
    };
  };
  const steps = workflow.jobs.reconcile.steps;
  const step = (name: string): (typeof steps)[number] => steps.find((s) => s.name === name)!;

  it('passes each tokenEnv variable of the documented config from the secret of the same name, and nothing else', () => {
    const env = { ...step('Reconcile').env };
    delete env['ACCEPT_CLOCK_JUMP'];
    expect(Object.keys(env).sort()).toEqual(tokenEnvs(doc).sort());
    for (const [name, value] of Object.entries(env)) expect(value).toBe(`\${{ secrets.${name} }}`);
    expect(read('cron/github-workflow.yml')).not.toContain('GITHUB_TOKEN');
  });

  it('does not assume the admin repository is a forgegate checkout: it installs the pinned package', () => {
    const text = read('cron/github-workflow.yml');
    expect(text).not.toMatch(/npm ci|npm run build|dist\/src\/cli/);
    expect(step('Install forgegate').run).toContain('npm install --global');
    expect(step('Install forgegate').env).toEqual({ FORGEGATE_PACKAGE: '${{ vars.FORGEGATE_PACKAGE }}' });
    const pinned = step('Check that forgegate is pinned').run!;
    const commit = 'a'.repeat(40);
    for (const ok of ['forgegate@0.1.0', `github:example/forgegate#${commit}`])
      expect(bash(pinned, { FORGEGATE_PACKAGE: ok }).status, ok).toBe(0);
    for (const moving of ['', 'forgegate', 'forgegate@^0.1.0', 'forgegate@latest', 'github:example/forgegate#main']) {
      const r = bash(pinned, { FORGEGATE_PACKAGE: moving });
      expect(r.status, moving).toBe(64);
      expect(r.stdout).toContain('::error::Set the repository variable FORGEGATE_PACKAGE');
    }
  });

  it('keeps the ledger folder of the documented config in the cache', () => {
    const ledgerFolder = relative('/admin-repo', dirname(config.ledger));
    const caches = steps.filter((s) => s.uses?.startsWith('actions/cache/'));
    expect(caches.map((s) => s.with?.['path'])).toEqual([ledgerFolder, ledgerFolder]);
  });

  it('runs the documented config, and passes --accept-clock-jump only when "Run workflow" ticks the input', () => {
    expect(workflow.on.workflow_dispatch.inputs['accept-clock-jump']).toMatchObject({
      type: 'boolean',
      default: false,
    });
    expect(step('Reconcile').env?.['ACCEPT_CLOCK_JUMP']).toBe('${{ inputs.accept-clock-jump }}');
    // The step's script, with a `forgegate` that prints its arguments.
    const fake = join(work, 'forgegate');
    writeFileSync(fake, '#!/bin/sh\necho "$@"\n');
    chmodSync(fake, 0o755);
    const run = (accept: string): string =>
      bash(step('Reconcile').run!, {
        PATH: `${work}:${process.env['PATH'] ?? ''}`,
        ACCEPT_CLOCK_JUMP: accept,
      }).stdout.trim();
    expect(run('')).toBe('reconcile --config forgegate.yml'); // a scheduled run: no inputs
    expect(run('false')).toBe('reconcile --config forgegate.yml');
    expect(run('true')).toBe('reconcile --config forgegate.yml --accept-clock-jump');
  });
});
