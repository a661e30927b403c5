// The benchmark's emulator process: builds a sandbox (registry, keys) and seeds an anaconda.org emulator with N
// staged artifacts and their signatures, in memory; then serves with a fixed latency until killed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArtifactFilename } from '../src/conda/filename.js';
import { anacondaSandbox, TOKENS } from '../test/backends/anaconda/emulator/sandbox.js';
import { AnacondaEmulator } from '../test/backends/anaconda/emulator/server.js';
import { DATA_DIR } from '../test/helpers/paths.js';

const [root, nText, latencyText, concurrencyText] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nText);
const FEEDSTOCKS = 300;
const SCALE = 100;
const MAX_PAYLOAD = 256 * 1024;

const sizes = readFileSync(join(DATA_DIR, 'artifacts-sample.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { size: number }).size);
const emu = new AnacondaEmulator();
await emu.start();
const sb = await anacondaSandbox(root, emu, { concurrency: Number(concurrencyText) });
for (let f = 0; f < FEEDSTOCKS; f++) {
  const names = Array.from({ length: Math.ceil(n / FEEDSTOCKS) }, (_, k) => `bench-${f}-${k}`);
  await sb.addFeedstock(`feedstock-${f}`, names);
}
await sb.commitRegistry('bench registry');
let payloadBytes = 0;
for (let i = 0; i < n; i++) {
  const f = i % FEEDSTOCKS;
  const k = Math.floor(i / FEEDSTOCKS);
  const size = Math.min(MAX_PAYLOAD, Math.floor(sizes[i % sizes.length]! / SCALE));
  payloadBytes += size;
  const built = await sb.build({
    name: `bench-${f}-${k}`,
    version: '1.0',
    build: 'h0_0',
    subdir: ['linux-64', 'noarch', 'osx-arm64', 'win-64'][i % 4]!,
    zstdLevel: 1,
    files: { 'lib/payload.bin': Buffer.alloc(size, i % 251) },
  });
  const local = await sb.stage(built, { feedstock: `feedstock-${f}` });
  const p = parseArtifactFilename(built.filename)!;
  emu.state.addFile({
    owner: 'cf-staging',
    package: p.name,
    version: p.version,
    basename: `${built.subdir}/${built.filename}`,
    type: 'conda',
    labels: ['main'],
    attrs: {},
    bytes: readFileSync(local),
  });
  emu.state.addFile({
    owner: 'cf-staging',
    package: `${p.name}-signatures`,
    version: p.version,
    basename: `${built.filename}.sig`,
    type: 'file',
    labels: ['main'],
    attrs: {},
    bytes: readFileSync(`${local}.sig`),
  });
}
emu.faults.latencyMs = Number(latencyText);
process.stdout.write(
  `${JSON.stringify({ url: emu.url, configPath: sb.configPath, n, payloadBytes, tokens: TOKENS })}\n`,
);
