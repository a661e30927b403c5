// Benchmark set-up (not timed): writes every form of one subdir's index from its repodata.json, shards included, as
// a channel that has run forgegate before holds them. argv: channel root, subdir, index options as JSON.
import { LocalChannel } from '../src/backends/local/local-channel.js';
import { peakRssKiB } from './peak-rss.js';

const [root, subdir, options] = process.argv.slice(2);
const start = performance.now();
const update = await new LocalChannel(root!, JSON.parse(options ?? '{}') as object).reindex(subdir!);
process.stdout.write(
  JSON.stringify({ ms: performance.now() - start, maxRssKiB: peakRssKiB(), shards: update.shardsWritten }),
);
