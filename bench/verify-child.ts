// Runs one full verification in its own process, so its peak RSS is measured alone.
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { DEFAULT_UNPACK_LIMITS } from '../src/conda/limits.js';
import { verifyArtifact } from '../src/conda/verify-artifact.js';
import { peakRssKiB } from './peak-rss.js';

const path = process.argv[2]!;
// An optional ratio cap (argv[3]) shows that memory stays bounded when the budget lets a bomb unpack whole.
const ratio = process.argv[3] === undefined ? DEFAULT_UNPACK_LIMITS.maxUnpackRatio : Number(process.argv[3]);
const start = process.hrtime.bigint();
const result = await verifyArtifact(
  createReadStream(path, { highWaterMark: 1 << 20 }),
  { filename: basename(path), subdir: 'linux-64', size: statSync(path).size },
  { limits: { ...DEFAULT_UNPACK_LIMITS, maxUnpackRatio: ratio } },
);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(
  JSON.stringify({
    ok: result.ok,
    detail: result.ok ? null : result.detail,
    ms,
    maxRssKiB: peakRssKiB(),
  }),
);
