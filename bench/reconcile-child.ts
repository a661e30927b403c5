// Runs one reconcile (apply) of a config in its own process, so its wall time and peak RSS are its own.
import { loadConfig } from '../src/config/load.js';
import { reconcile } from '../src/reconcile/run.js';
import { peakRssKiB } from './peak-rss.js';

const config = await loadConfig(process.argv[2]!);
const start = performance.now();
const result = await reconcile(config, { planOnly: false, env: process.env });
const ms = performance.now() - start;
process.stdout.write(
  JSON.stringify({
    ms,
    maxRssKiB: peakRssKiB(),
    summary: result.summary,
    indexWrites: result.indexWrites,
    exitCode: result.exitCode,
  }),
);
