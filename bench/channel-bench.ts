// Benchmark (not part of `npm test`): publishing into a channel folder at conda-forge scale. A linux-64 subdir is
// pre-filled with N realistic records (names, versions and digests from test/data/artifacts-sample.jsonl, depends
// lists as conda-forge's look), then 1,000 staged artifacts are published by one reconcile in its own process.
// Goal (issue 9): at N = 500,000 the run takes at most 3 × (parsing and serialising that repodata once + the same
// run at N = 0), rewrites the subdir's repodata once, and peaks under 2 GiB.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress } from 'zstd-napi';
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

/** N records shaped like conda-forge linux-64's: real names and digests, cycled with distinct build strings. */
async function realisticRepodata(n: number): Promise<string> {
  const samples = (await readFile(process.env['FORGEGATE_SAMPLE'] ?? SAMPLE, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Sample);
  const packages: Record<string, unknown> = {};
  const conda: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const s = samples[i % samples.length]!;
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
  return JSON.stringify({
    info: { subdir: 'linux-64' },
    packages,
    'packages.conda': conda,
    removed: [],
    repodata_version: 1,
  });
}

function child(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', join(here, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const at = argv.indexOf('--n');
  const sizes = at >= 0 ? argv[at + 1]!.split(',').map(Number) : [0, 100_000, 500_000];
  const countAt = argv.indexOf('--artifacts');
  const artifacts = countAt >= 0 ? Number(argv[countAt + 1]) : 1000;
  const root = join(tmpdir(), `fg-channel-bench-${process.pid}`);
  const rows: Record<string, unknown>[] = [];
  try {
    for (const n of sizes) {
      const sb = await Sandbox.create(join(root, `n${n}`), { policy: { concurrency: 8 } });
      await sb.addFeedstock('bench', ['benchpkg']);
      await sb.commitRegistry();
      const dir = join(sb.channelDir, 'linux-64');
      await mkdir(dir, { recursive: true });
      const text = await realisticRepodata(n);
      await writeFile(join(dir, 'repodata.json'), text);
      await writeFile(join(dir, 'repodata.json.zst'), compress(Buffer.from(text), { compressionLevel: 3 }));
      const parse = n === 0 ? { ms: 0 } : child('parse-child.js', [join(dir, 'repodata.json')]);
      for (let i = 0; i < artifacts; i++) {
        const built = await sb.build({
          name: 'benchpkg',
          version: `1.${i}`,
          build: 'h0_0',
          subdir: 'linux-64',
          zstdLevel: 1,
        });
        await sb.stage(built, { feedstock: 'bench' });
      }
      const run = child('reconcile-child.js', [sb.configPath]);
      const after = JSON.parse(await readFile(join(dir, 'repodata.json'), 'utf8')) as { 'packages.conda': object };
      rows.push({
        n,
        artifacts,
        repodataMiB: Math.round(statSync(join(dir, 'repodata.json')).size / 2 ** 20),
        wallMs: Math.round(run['ms'] as number),
        parseSerializeMs: Math.round(parse['ms'] as number),
        peakRssMiB: Math.round((run['maxRssKiB'] as number) / 1024),
        published: (run['summary'] as Record<string, number>)['published'] ?? 0,
        records: Object.keys(after['packages.conda']).length,
        indexWrites: run['indexWrites'],
      });
      await rm(sb.root, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const base = rows.find((r) => r['n'] === 0);
  for (const r of rows) {
    if (base) r['budgetMs'] = 3 * ((r['parseSerializeMs'] as number) + (base['wallMs'] as number));
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
