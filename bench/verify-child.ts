// Runs one full verification in its own process, so its peak RSS is measured alone.
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { verifyArtifact } from '../src/conda/verify-artifact.js';

const path = process.argv[2]!;
const start = process.hrtime.bigint();
const result = await verifyArtifact(createReadStream(path, { highWaterMark: 1 << 20 }), {
  filename: basename(path),
  subdir: 'linux-64',
  size: statSync(path).size,
});
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(
  JSON.stringify({
    ok: result.ok,
    detail: result.ok ? null : result.detail,
    ms,
    maxRssKiB: process.resourceUsage().maxRSS,
  }),
);
