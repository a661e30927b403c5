// Benchmark (not part of `npm test`): `forgegate audit` at conda-forge scale.
// Folder channel: N files (default 1,000,000) over S subdirs (default 10; --audit-subdirs 1 puts them all in one),
// each subdir's repodata.json synthetic (records shaped as test/data/artifacts-sample.jsonl's) and every file stored
// (hard links to one empty file, so the set-up costs directory entries, not disk). Times `audit baseline` and a
// clean `audit` against it, each in its own process, with peak RSS; before the audit, the ledger's publication log
// gets an entry for every other file (--audit-logged, default N/2), so the log's side of the merge is measured too. anaconda.org (emulated, in process): an audit after K of M names changed, and the `/package` requests
// per changed name, beside the repodata requests (one per label and known subdir).
import { spawnSync } from 'node:child_process';
import { linkSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { Ledger } from '../src/ledger/ledger.js';
import { runAudit } from '../src/reconcile/audit.js';
import { condaJson } from '../src/backends/local/conda-json.js';
import { DATA_DIR } from '../test/helpers/paths.js';
import { Sandbox } from '../test/helpers/sandbox.js';
import { AnacondaEmulator } from '../test/backends/anaconda/emulator/server.js';
import { anacondaSandbox, tokenEnv } from '../test/backends/anaconda/emulator/sandbox.js';

const here = dirname(fileURLToPath(import.meta.url));
const SUBDIRS = [
  'noarch',
  'linux-64',
  'linux-aarch64',
  'linux-ppc64le',
  'osx-64',
  'osx-arm64',
  'win-64',
  'win-32',
  'linux-32',
  'emscripten-wasm32',
];
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

/** `--audit-heap-mib N` caps each child's V8 heap: a run that still completes shows what is live, not garbage. */
let heapFlags: string[] = [];

function child(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...heapFlags, join(here, 'audit-child.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`audit-child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function folder(n: number, subdirCount: number, logged: number): Promise<Record<string, unknown>> {
  const subdirs = SUBDIRS.slice(0, subdirCount);
  const root = join(tmpdir(), `fg-audit-bench-${process.pid}`);
  try {
    const sb = await Sandbox.create(join(root, 'sb'));
    new Ledger(sb.ledgerPath).close();
    const sample = (await readFile(join(DATA_DIR, 'artifacts-sample.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; version: string; build: string });
    // A file system caps the links to one inode (ext4: 65,000): a new empty file every 50,000 links.
    let blank = '';
    let links = 0;
    const start = performance.now();
    const per = Math.ceil(n / subdirs.length);
    const names: [string, string][] = [];
    for (const [k, subdir] of subdirs.entries()) {
      const dir = join(sb.channelDir, subdir);
      await mkdir(dir, { recursive: true });
      const conda: Record<string, unknown> = {};
      for (let i = 0; i < per && k * per + i < n; i++) {
        const s = sample[i % sample.length]!;
        const build = `${s.build}_${i}`;
        const filename = `${s.name}-${s.version}-${build}.conda`;
        conda[filename] = {
          build,
          build_number: 0,
          depends: ['python >=3.12,<3.13.0a0', 'libzlib >=1.3.1,<2.0a0'],
          md5: EMPTY_MD5,
          name: s.name,
          sha256: EMPTY_SHA256,
          size: 0,
          subdir,
          timestamp: 1_700_000_000_000 + i,
          version: s.version,
        };
        if (links++ % 50_000 === 0) {
          blank = join(root, `blank-${links}`);
          writeFileSync(blank, '');
        }
        linkSync(blank, join(dir, filename));
        if (i % 2 === 1 && names.length < logged) names.push([subdir, filename]);
      }
      const doc = { info: { subdir }, packages: {}, 'packages.conda': conda, removed: [], repodata_version: 1 };
      await writeFile(join(dir, 'repodata.json'), Buffer.from(condaJson(doc), 'latin1'));
    }
    const setupMs = performance.now() - start;
    const baselineDir = join(root, 'baseline');
    const baseline = child([sb.configPath, baselineDir, 'baseline']);
    // The gate's log for every other file (same bytes as the baseline says; no upload time, so none to compare).
    const logStart = performance.now();
    const ledger = new Ledger(sb.ledgerPath);
    try {
      for (let at = 0; at < names.length; at += 50_000)
        ledger.transaction(() => {
          for (const [subdir, filename] of names.slice(at, at + 50_000))
            ledger.recordLogEntry({
              kind: 'publish',
              subdir,
              filename,
              labels: ['main'],
              from: [],
              sha256: EMPTY_SHA256,
              md5: EMPTY_MD5,
              size: 0,
              uploadedAt: null,
              evidence: 'bench key 0123456789abcdef, statement sha256 of 64 hex characters',
              at: '2026-12-04T00:00:00.000Z',
            });
        });
    } finally {
      ledger.close();
    }
    const logMs = performance.now() - logStart;
    const audit = child([sb.configPath, baselineDir, 'audit']);
    return {
      files: n,
      subdirs: subdirs.length,
      logged: names.length,
      setupMs: Math.round(setupMs),
      logMs: Math.round(logMs),
      baseline,
      audit,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function anaconda(names: number, changed: number): Promise<Record<string, unknown>> {
  const emu = new AnacondaEmulator();
  await emu.start();
  const root = join(tmpdir(), `fg-audit-bench-ana-${process.pid}`);
  try {
    const sb = await anacondaSandbox(root, emu);
    new Ledger(sb.ledgerPath).close();
    const add = (name: string, version: string): void => {
      emu.state.addFile({
        owner: 'conda-forge',
        package: name,
        version,
        basename: `noarch/${name}-${version}-h0_0.conda`,
        type: 'conda',
        labels: ['main'],
        attrs: {},
        bytes: Buffer.from(`${name}-${version}`),
      });
    };
    for (let i = 0; i < names; i++) add(`pkg${i}`, '1.0');
    const config = await loadConfig(sb.configPath);
    const env = { ...process.env, ...tokenEnv() };
    // The baseline is the channel as it is: every file known.
    const { takeBaseline } = await import('../src/reconcile/audit.js');
    const baselineDir = join(root, 'baseline');
    await takeBaseline(config, baselineDir, env);
    const audit = async (): Promise<{ ms: number; requests: number; packages: number; status: string }> => {
      const before = { all: emu.requests, pkg: emu.byRoute.get('GET /package') ?? 0 };
      const t = performance.now();
      const r = await runAudit(config, { baseline: baselineDir, report: false }, env);
      return {
        ms: Math.round(performance.now() - t),
        requests: emu.requests - before.all,
        packages: (emu.byRoute.get('GET /package') ?? 0) - before.pkg,
        status: r.status,
      };
    };
    const first = await audit();
    const unchanged = await audit();
    for (let i = 0; i < changed; i++) add(`pkg${i}`, '1.1');
    const after = await audit();
    return {
      names,
      changed,
      first,
      unchanged,
      afterChange: after,
      packageRequestsPerChangedName: after.packages / changed,
    };
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function folderText(f: Record<string, unknown>): string {
  const b = f['baseline'] as { ms: number; maxRssKiB: number };
  const au = f['audit'] as { ms: number; maxRssKiB: number; status: string };
  const mib = (k: number): string => `${Math.round(k / 1024)} MiB`;
  const s = (ms: number): string => `${Math.round(ms / 1000)} s`;
  return (
    `folder channel, ${(f['files'] as number).toLocaleString('en')} files in ${f['subdirs'] as number} subdirs ` +
    `(set-up ${s(f['setupMs'] as number)}; ${(f['logged'] as number).toLocaleString('en')} log entries written ` +
    `in ${s(f['logMs'] as number)}):\n` +
    `  audit baseline  ${(b.ms / 1000).toFixed(1)} s  peak RSS ${mib(b.maxRssKiB)}\n` +
    `  audit           ${(au.ms / 1000).toFixed(1)} s  peak RSS ${mib(au.maxRssKiB)}  (${au.status})\n`
  );
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const n = arg(argv, 'audit-files', 1_000_000);
  const heap = arg(argv, 'audit-heap-mib', 0);
  heapFlags = heap > 0 ? [`--max-old-space-size=${heap}`] : [];
  const subdirCount = Math.min(Math.max(1, arg(argv, 'audit-subdirs', SUBDIRS.length)), SUBDIRS.length);
  const f = await folder(n, subdirCount, arg(argv, 'audit-logged', Math.floor(n / 2)));
  if (argv.includes('--audit-folder-only')) {
    if (json) process.stdout.write(`${JSON.stringify({ folder: f })}\n`);
    else process.stdout.write(folderText(f));
    return;
  }
  const a = await anaconda(arg(argv, 'audit-names', 500), arg(argv, 'audit-changed', 50));
  if (json) {
    process.stdout.write(`${JSON.stringify({ folder: f, anaconda: a })}\n`);
    return;
  }
  process.stdout.write(
    folderText(f) +
      `anaconda.org (emulated), ${a['names'] as number} names, ${a['changed'] as number} changed:\n` +
      `  first audit ${JSON.stringify(a['first'])}\n  unchanged ${JSON.stringify(a['unchanged'])}\n` +
      `  after the change ${JSON.stringify(a['afterChange'])} (the new files are in neither log nor baseline)\n` +
      `  /package requests per changed name: ${a['packageRequestsPerChangedName'] as number}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
