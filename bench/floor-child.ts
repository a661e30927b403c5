// The floor of rewriting one index, in its own process: a plain read and write of repodata.json, then `zstd -3` of
// it (the CLI, as an operator would compress it). argv: the repodata.json, a scratch folder.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peakRssKiB } from './peak-rss.js';

const [file, scratch] = process.argv.slice(2);
let start = performance.now();
writeFileSync(join(scratch!, 'copy.json'), readFileSync(file!));
const readWriteMs = performance.now() - start;
start = performance.now();
const z = spawnSync('zstd', ['-3', '-q', '-f', '-o', join(scratch!, 'copy.json.zst'), file!]);
const zstdMs = performance.now() - start;
if (z.status !== 0) throw new Error(`zstd failed: ${z.stderr.toString()}`);
rmSync(join(scratch!, 'copy.json'));
rmSync(join(scratch!, 'copy.json.zst'));
process.stdout.write(JSON.stringify({ readWriteMs, zstdMs, maxRssKiB: peakRssKiB() }));
