// Benchmark (not part of `npm test`): the resource bounds. Each bomb is verified alone in a child process (peak RSS
// is its own) and must end in ARTIFACT_INVALID under 200 MiB and 5 s; a real 2 GiB zip64 .conda must verify under
// 150 MiB.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBigConda } from './big-artifact.js';
import { writeBombs, writeTextTarBz2 } from './bombs.js';

interface ChildResult {
  ok: boolean;
  detail: string | null;
  ms: number;
  maxRssKiB: number;
}

function verifyAlone(path: string, ratio?: number): ChildResult {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'verify-child.js');
  const args = ratio === undefined ? [child, path] : [child, path, String(ratio)];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`verification child failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildResult;
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const bigArg = argv.indexOf('--big-mb');
  const bigMb = bigArg >= 0 ? Number(argv[bigArg + 1]) : 2048;
  const dir = await mkdtemp(join(tmpdir(), 'fg-bounds-'));
  try {
    const rows: {
      artifact: string;
      unpacks: string;
      verdict: string;
      ms: number;
      peakRssMiB: number;
      goal: string;
      met: boolean;
    }[] = [];
    const bombs = await writeBombs(dir);
    // The same bombs once more with the ratio cap off: the total-size cap (32 GiB) lets them unpack whole.
    const runs = [
      ...bombs.map((b) => ({ ...b, ratio: undefined })),
      ...bombs.slice(0, 2).map((b) => ({ ...b, ratio: 1e9 })),
    ];
    for (const bomb of runs) {
      const r = verifyAlone(bomb.path, bomb.ratio);
      const peak = Math.round(r.maxRssKiB / 1024);
      rows.push({
        artifact: bomb.ratio === undefined ? bomb.name : `${bomb.name}, ratio cap off (unpacked whole)`,
        unpacks: bomb.unpacks,
        verdict: r.ok
          ? bomb.ratio === undefined
            ? 'ACCEPTED (wrong)'
            : 'accepted: with no ratio cap it is a valid package of zeros'
          : `ARTIFACT_INVALID: ${r.detail}`,
        ms: Math.round(r.ms),
        peakRssMiB: peak,
        goal: bomb.ratio === undefined ? 'refused, < 200 MiB, < 5 s' : 'bounded memory, < 200 MiB',
        met: bomb.ratio === undefined ? !r.ok && peak < 200 && r.ms < 5000 : peak < 200,
      });
    }
    // A real-shaped .tar.bz2 (text, as most payloads are) shows the bzip2 decoder's throughput.
    const bz2 = await writeTextTarBz2(dir, 32 * 1024 * 1024);
    const t = verifyAlone(bz2.path);
    rows.push({
      artifact: `.tar.bz2 of 32 MiB of text (bzip2 -9), ${bz2.size} bytes`,
      unpacks: '32 MiB',
      verdict: t.ok ? `accepted, ${(32 / (t.ms / 1000)).toFixed(1)} MiB/s unpacked` : `refused (wrong): ${t.detail}`,
      ms: Math.round(t.ms),
      peakRssMiB: Math.round(t.maxRssKiB / 1024),
      goal: 'accepted, bounded memory',
      met: t.ok && t.maxRssKiB / 1024 < 150,
    });
    const big = await writeBigConda(dir, bigMb * 1024 * 1024, 'local');
    const r = verifyAlone(big.path);
    const peak = Math.round(r.maxRssKiB / 1024);
    rows.push({
      artifact: `${bigMb} MiB .conda, zip64 local headers (conda-build style), ${big.size} bytes`,
      unpacks: `${bigMb} MiB`,
      verdict: r.ok ? 'accepted' : `refused (wrong): ${r.detail}`,
      ms: Math.round(r.ms),
      peakRssMiB: peak,
      goal: 'accepted, < 150 MiB',
      met: r.ok && peak < 150,
    });
    if (json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    for (const row of rows) {
      process.stdout.write(
        `${row.artifact}\n  unpacks to ${row.unpacks}: ${row.verdict}\n  ${row.ms} ms, peak RSS ${row.peakRssMiB} MiB ` +
          `(goal: ${row.goal}) ${row.met ? 'met' : 'NOT MET'}\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
