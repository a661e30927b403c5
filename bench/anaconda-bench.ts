// Benchmark (not part of `npm test`): one reconcile of N staged artifacts on an emulated anaconda.org with a fixed
// latency per request. Reports wall time against the latency-bound floor (requests × latency / concurrency).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { reconcile } from '../src/reconcile/run.js';

function arg(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

export async function main(argv: string[]): Promise<void> {
  const n = arg(argv, 'n', 2000);
  const latency = arg(argv, 'latency', 50);
  const concurrency = arg(argv, 'concurrency', 64);
  const root = await mkdtemp(join(tmpdir(), 'fg-ana-bench-'));
  const child = spawn(
    process.execPath,
    [
      join(dirname(fileURLToPath(import.meta.url)), 'anaconda-emulator-proc.js'),
      root,
      String(n),
      String(latency),
      String(concurrency),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator process exited ${code}`)));
    });
    const setup = JSON.parse(first) as {
      url: string;
      configPath: string;
      payloadBytes: number;
      tokens: Record<string, string>;
    };
    const config = await loadConfig(setup.configPath);
    const before = (await (await fetch(`${setup.url}/__stats`)).json()) as { requests: number };
    const start = performance.now();
    const result = await reconcile(config, { planOnly: false, env: { ...process.env, ...setup.tokens } });
    const wallMs = performance.now() - start;
    const after = (await (await fetch(`${setup.url}/__stats`)).json()) as {
      requests: number;
      byRoute: Record<string, number>;
      leakedAuthorization: number;
    };
    const requests = after.requests - before.requests;
    const floorMs = (requests * latency) / concurrency;
    const published = result.summary['published'] ?? 0;
    if (published !== n) throw new Error(`expected ${n} published, got ${JSON.stringify(result.summary)}`);
    const row = {
      n,
      concurrency,
      latencyMs: latency,
      wallS: +(wallMs / 1000).toFixed(1),
      requests,
      requestsPerArtifact: +(requests / n).toFixed(2),
      floorS: +(floorMs / 1000).toFixed(1),
      wallOverFloor: +(wallMs / floorMs).toFixed(2),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      payloadMiB: +(setup.payloadBytes / 2 ** 20).toFixed(1),
      byRoute: after.byRoute,
    };
    if (argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
    } else {
      process.stdout.write(
        '| N | concurrency | latency | wall | requests/artifact | floor | wall/floor | peak RSS |\n|---|---|---|---|---|---|---|---|\n',
      );
      process.stdout.write(
        `| ${n} | ${concurrency} | ${latency} ms | ${row.wallS} s | ${row.requestsPerArtifact} | ${row.floorS} s | ${row.wallOverFloor} | ${row.peakRssMiB} MiB |\n`,
      );
      process.stdout.write(`requests by route: ${JSON.stringify(after.byRoute)}\n`);
    }
  } finally {
    child.kill();
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
