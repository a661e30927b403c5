// Benchmark child (not part of `npm test`): one `audit baseline` or one `audit` of a folder channel, in its own
// process so its peak RSS is its own. argv: config path, baseline folder, baseline|audit.
import { loadConfig } from '../src/config/load.js';
import { runAudit, takeBaseline } from '../src/reconcile/audit.js';
import { peakRssKiB } from './peak-rss.js';

const [configPath, baseline, mode] = process.argv.slice(2);
const config = await loadConfig(configPath!);
const start = performance.now();
if (mode === 'baseline') {
  const subdirs = await takeBaseline(config, baseline!, process.env);
  const files = subdirs.reduce((n, s) => n + s.files, 0);
  process.stdout.write(JSON.stringify({ ms: performance.now() - start, maxRssKiB: peakRssKiB(), files }));
} else {
  const r = await runAudit(config, { baseline: baseline!, report: false }, process.env);
  const files = r.checked.reduce((n, c) => n + c.files, 0);
  process.stdout.write(
    JSON.stringify({
      ms: performance.now() - start,
      maxRssKiB: peakRssKiB(),
      files,
      status: r.status,
      findings: r.findings.length,
    }),
  );
}
