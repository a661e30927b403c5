// Benchmark (not part of `npm test`): publishing into a channel folder at conda-forge scale. A linux-64 subdir is
// pre-filled with N realistic records (names, versions and digests from test/data/artifacts-sample.jsonl, depends
// lists as conda-forge's look), its repodata.json in conda-index's compact form, then 1,000 staged artifacts of 100
// of those names are published by one reconcile in its own process, for each way a channel can keep its index:
//   monolithic  repodata.json(.zst) and current_repodata.json, no shards
//   both        the default: the monolithic forms and CEP 16 shards
//   sharded     shards only (target.store.index.monolithic: false)
// The floor, measured in the same run: the same run at N = 0, plus a plain read and write of the N-record
// repodata.json and a `zstd -3` of it (floor-child.ts). Goals (issue 20): peak RSS <= 400 MiB at N = 500,000;
// wall <= 2 x floor; sharded bytes written per run proportional to the names touched, not to N.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { compress } from 'zstd-napi';
import { condaJson } from '../src/backends/local/conda-json.js';
import { Sandbox } from '../test/helpers/sandbox.js';
import { DATA_DIR } from '../test/helpers/paths.js';

interface Sample {
  name: string;
  version: string;
  build: string;
  md5: string;
  sha256: string;
  size: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLE = join(DATA_DIR, 'artifacts-sample.jsonl');
const DEPENDS = [
  '__glibc >=2.17,<3.0.a0',
  'libgcc >=14',
  'libstdcxx >=14',
  'libzlib >=1.3.1,<2.0a0',
  'python >=3.12,<3.13.0a0',
  'python_abi 3.12.* *_cp312',
  'numpy >=1.23,<3',
  'openssl >=3.5.0,<4.0a0',
  'libffi >=3.4,<4.0a0',
];
const TOUCHED_NAMES = 100;
const MODES: Record<string, Record<string, unknown>> = {
  monolithic: { shards: false },
  both: {},
  sharded: { monolithic: false },
};

async function samples(): Promise<Sample[]> {
  return (await readFile(process.env['FORGEGATE_SAMPLE'] ?? SAMPLE, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Sample);
}

/** N records shaped like conda-forge linux-64's, written as conda-index writes them (sorted, compact). */
function realisticRepodata(n: number, sample: Sample[]): Buffer {
  const packages: Record<string, unknown> = {};
  const conda: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const s = sample[i % sample.length]!;
    const build = `${s.build}_${i}`;
    const record = {
      build,
      build_number: i % 7,
      depends: DEPENDS.slice(i % 3, 3 + (i % 7)),
      license: 'BSD-3-Clause',
      license_family: 'BSD',
      md5: s.md5,
      name: s.name,
      sha256: s.sha256,
      size: s.size,
      subdir: 'linux-64',
      timestamp: 1_700_000_000_000 + i,
      version: s.version,
      ...(i % 5 === 0 ? { constrains: ['libblas * *mkl'] } : {}),
    };
    const filename = `${s.name}-${s.version}-${build}`;
    if (i % 4 === 0) packages[`${filename}.tar.bz2`] = record;
    else conda[`${filename}.conda`] = record;
  }
  const doc = { info: { subdir: 'linux-64' }, packages, 'packages.conda': conda, removed: [], repodata_version: 1 };
  return Buffer.from(condaJson(doc), 'latin1');
}

function child(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', join(here, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Every index file of a channel's subdirs with its identity: what a run rewrote is what changed. */
function indexFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const subdir of ['linux-64', 'noarch']) {
    let names: string[];
    try {
      names = readdirSync(join(root, subdir));
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.endsWith('.conda') || name.endsWith('.tar.bz2')) continue;
      const st = statSync(join(root, subdir, name));
      files.set(`${subdir}/${name}`, `${st.ino}:${st.mtimeMs}:${st.size}`);
    }
  }
  return files;
}

function bytesWritten(root: string, before: Map<string, string>): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const [path, id] of indexFiles(root)) {
    if (before.get(path) === id) continue;
    bytes += Number(id.split(':')[2]);
    files++;
  }
  return { bytes, files };
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const at = argv.indexOf('--n');
  const sizes = at >= 0 ? argv[at + 1]!.split(',').map(Number) : [0, 100_000, 500_000];
  const countAt = argv.indexOf('--artifacts');
  const artifacts = countAt >= 0 ? Number(argv[countAt + 1]) : 1000;
  const modeAt = argv.indexOf('--modes');
  const modes = modeAt >= 0 ? argv[modeAt + 1]!.split(',') : Object.keys(MODES);
  const root = join(tmpdir(), `fg-channel-bench-${process.pid}`);
  const sample = await samples();
  const names = [...new Set(sample.map((s) => s.name))].slice(0, TOUCHED_NAMES);
  const rows: Record<string, unknown>[] = [];
  try {
    for (const n of sizes) {
      const text = realisticRepodata(n, sample);
      const template = join(root, `repodata-${n}.json`);
      await mkdir(root, { recursive: true });
      await writeFile(template, text);
      const floor = n === 0 ? { readWriteMs: 0, zstdMs: 0 } : child('floor-child.js', [template, root]);
      const zst = compress(text, { compressionLevel: 3 });
      for (const mode of modes) {
        const sb = await Sandbox.create(join(root, `n${n}-${mode}`), { policy: { concurrency: 8 } });
        const config = YAML.parse(await readFile(sb.configPath, 'utf8')) as { target: { store: object } };
        config.target.store = { ...config.target.store, index: MODES[mode] };
        await writeFile(sb.configPath, YAML.stringify(config));
        await sb.addFeedstock('bench', names);
        await sb.commitRegistry();
        const dir = join(sb.channelDir, 'linux-64');
        await mkdir(dir, { recursive: true });
        await copyFile(template, join(dir, 'repodata.json'));
        await writeFile(join(dir, 'repodata.json.zst'), zst);
        // Every form a channel forgegate ran on before holds: current_repodata.json, shards, their stamps.
        const setup = child('reindex-child.js', [sb.channelDir, 'linux-64', JSON.stringify(MODES[mode])]);
        for (let i = 0; i < artifacts; i++) {
          const built = await sb.build({
            name: names[i % names.length]!,
            version: `9999.${i}`,
            build: 'h0_0',
            subdir: 'linux-64',
            zstdLevel: 1,
          });
          await sb.stage(built, { feedstock: 'bench' });
        }
        const before = indexFiles(sb.channelDir);
        const run = child('reconcile-child.js', [sb.configPath]);
        const written = bytesWritten(sb.channelDir, before);
        rows.push({
          n,
          mode,
          artifacts,
          namesTouched: Math.min(names.length, artifacts),
          repodataMiB: +(text.length / 2 ** 20).toFixed(1),
          wallMs: Math.round(run['ms'] as number),
          peakRssMiB: Math.round((run['maxRssKiB'] as number) / 1024),
          published: (run['summary'] as Record<string, number>)['published'] ?? 0,
          indexWrites: run['indexWrites'],
          writtenMiB: +(written.bytes / 2 ** 20).toFixed(2),
          filesWritten: written.files,
          readWriteMs: Math.round(floor['readWriteMs'] as number),
          zstdMs: Math.round(floor['zstdMs'] as number),
          setupMs: Math.round(setup['ms'] as number),
          setupPeakRssMiB: Math.round((setup['maxRssKiB'] as number) / 1024),
        });
        await rm(sb.root, { recursive: true, force: true });
      }
      await rm(template, { force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  for (const r of rows) {
    const base = rows.find((b) => b['n'] === 0 && b['mode'] === r['mode']);
    if (!base) continue;
    const floorMs = (base['wallMs'] as number) + (r['readWriteMs'] as number) + (r['zstdMs'] as number);
    r['floorMs'] = floorMs;
    r['wallOverFloor'] = +((r['wallMs'] as number) / floorMs).toFixed(2);
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
